import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSERTION_HEADER, signAssertion } from '../../../lambdas/core/actor-assertion';
import { generateKey } from '../../../lambdas/core/key-format';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createApiHandler } from '../../../lambdas/http/lambda-adapter';
import { OPENAI_ROUTE_TABLE } from '../../../lambdas/http/openai-route-table';
import { ExposureOutcomeSchema, ExposureUsageSchema } from '../../../lambdas/http/routes/keys.contract';
import { ReportLeakResult } from '../../../lambdas/http/routes/bots.contract';
import { UsageListSchema } from '../../../lambdas/http/routes/usage.contract';
import { expectApiError } from '../../support/api-error';
import { captureOutput } from '../../support/capture';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { storedItems } from '../../support/stored-items';
import { createKey } from '../openai-relay/stack-helpers';

/**
 * Issue 22 through the real stack (the local server over HTTP, dynalite, the real router): usage
 * records carry the caller's address and user agent; GET /v1/keys/{id}/exposure sums what a key
 * did since it was first seen exposed; POST /v1/keys/{id}/report-exposed under the authority rule;
 * POST /v1/bots/leaks for a value seen in a conversation. No raw key in a log, a record or an answer.
 */
let stack: TestStack;
/** A second project with its own admin key. */
let other: { adminKey: string };

beforeAll(async () => {
  stack = await startTestStack({ KEYWARDEN_ADMINS: 'slack:T1:UADMIN' });
  const { operator, keys } = stack.services;
  const account = await operator.createAccount({ name: 'Other customer', apiAccess: true, credits: 10 });
  const { project } = await operator.createProject({ accountId: account.id, name: 'Other project', actor: 'test' });
  other = { adminKey: (await keys.create({ kind: 'operator', actor: 'test', projectId: project.id }, { name: 'other admin' })).secret };
});
afterAll(async () => stack?.stop());

async function exposureOf(id: string, key = stack.adminKey) {
  await stack.idle();
  const res = await stack.json(`/v1/keys/${id}/exposure`, { key });
  if (res.status === 200) ExposureUsageSchema.parse(res.body);
  return res;
}

describe('usage records say who called', () => {
  it('each record keeps the caller address and its user agent, cut to 200 characters with any key in it redacted', async () => {
    const { id, key } = await createKey(stack, { name: 'traced' });
    const pasted = generateKey();
    expect((await stack.json('/v1/models', { key, headers: { 'user-agent': 'curl/8.5.0' } })).status).toBe(200);
    expect((await stack.json('/v1/models', { key, headers: { 'user-agent': `sdk ${pasted} ${'x'.repeat(400)}` } })).status).toBe(200);
    await stack.idle();
    const res = await stack.json(`/v1/usage?keyId=${id}`, { key: stack.adminKey });
    UsageListSchema.parse(res.body);
    const [long, short] = res.body.data;
    expect(short).toMatchObject({ userAgent: 'curl/8.5.0', sourceIp: expect.stringMatching(/127\.0\.0\.1|::1/) });
    expect(long.userAgent.length).toBe(200);
    expect(long.userAgent.startsWith('sdk archie_')).toBe(true);
    expect(JSON.stringify(res.body)).not.toContain(pasted);
    expect(JSON.stringify(await storedItems(stack.services))).not.toContain(pasted);
  });

  it('in AWS, the address is API Gateway’s sourceIp (requestContext.identity); one that does not read as an address is not kept', async () => {
    const { id, key } = await createKey(stack, { name: 'in lambda' });
    // GET /v1/models is the streaming function's in AWS; the address is read alike by both (fromProxyEvent).
    const handler = createApiHandler(stack.services, OPENAI_ROUTE_TABLE);
    const event = (sourceIp: string) =>
      ({
        httpMethod: 'GET',
        path: '/v1/models',
        headers: { Authorization: `Bearer ${key}`, 'User-Agent': 'OpenAI/Python 1.50.0' },
        queryStringParameters: null,
        multiValueQueryStringParameters: null,
        body: null,
        isBase64Encoded: false,
        requestContext: { requestId: crypto.randomUUID(), identity: { sourceIp } },
      }) as unknown as APIGatewayProxyEvent;
    expect((await handler(event('203.0.113.7'))).statusCode).toBe(200);
    stack.clock.advance(1);
    expect((await handler(event('<script>'))).statusCode).toBe(200);
    const res = await stack.json(`/v1/usage?keyId=${id}`, { key: stack.adminKey });
    expect(res.body.data.map((r: any) => [r.sourceIp ?? null, r.userAgent])).toEqual([
      [null, 'OpenAI/Python 1.50.0'],
      ['203.0.113.7', 'OpenAI/Python 1.50.0'],
    ]);
  });
});

describe('GET /v1/keys/{id}/exposure', () => {
  it('a never-exposed key: its whole life; once exposed, only the calls since, by (address, user agent), most calls first', async () => {
    const { id, key } = await createKey(stack, { name: 'watched' });
    expect((await stack.json('/v1/responses', { key, body: { model: 'archibot', input: 'before' } })).status).toBe(200);
    const life = await exposureOf(id);
    expect(life.body).toMatchObject({ object: 'key.exposure_usage', keyId: id, exposure: null, since: null, calls: 1, complete: true });
    expect(life.body.tokens).toBeGreaterThan(0);

    // Exposed by an operator's tool: from here on, what an attacker holding it would have done.
    const outcome = await stack.services.keys.expose((await stack.services.store.getKey(id))!, { source: 'chat', location: 'https://chat.example/c/1' });
    expect(outcome.handled).toBe('revoked');
    expect((await exposureOf(id)).body).toMatchObject({ exposure: { source: 'chat' }, since: outcome.key.exposure!.at, calls: 0, firstUse: null, lastUse: null, sources: [] });
    // A revoked key's calls are no records (401); so the figures after the exposure come from a
    // key exposed while it kept working: its usage since is written as if by the thief.
    const thief = await createKey(stack, { name: 'thief' });
    stack.clock.advance(1_000);
    const at = new Date(stack.clock.now()).toISOString();
    await stack.services.store.markExposed(thief.id, { source: 'github', location: 'https://github.com/o/r/blob/main/.env', at });
    stack.clock.advance(1_000);
    for (const ua of ['python-requests/2.32', 'python-requests/2.32', 'Go-http-client/1.1']) {
      expect((await stack.json('/v1/responses', { key: thief.key, body: { model: 'archibot', input: 'steal' }, headers: { 'user-agent': ua } })).status).toBe(200);
    }
    const since = await exposureOf(thief.id);
    expect(since.body).toMatchObject({ exposure: { source: 'github', at }, since: at, calls: 3, complete: true });
    expect(since.body.sources.map((s: any) => [s.userAgent, s.calls])).toEqual([
      ['python-requests/2.32', 2],
      ['Go-http-client/1.1', 1],
    ]);
    expect(since.body.sources[0].address).toMatch(/127\.0\.0\.1|::1/);
    expect(since.body.firstUse >= at && since.body.lastUse >= since.body.firstUse).toBe(true);
    expect(since.body.credits).toBeGreaterThan(0);
  });

  it('a key of another project is 404 (audit:read is checked with every route: exposure.security.test.ts)', async () => {
    const viewer = await createKey(stack, { name: 'reader', type: 'viewer' });
    expectApiError(await exposureOf(viewer.id, other.adminKey), 404, 'not_found');
  });
});

describe('POST /v1/keys/{id}/report-exposed', () => {
  it('a viewer key reports itself: revoked at once, its exposure on the answer; its next call is 401 key_revoked', async () => {
    const viewer = await createKey(stack, { name: 'self', type: 'viewer' });
    const res = await stack.json(`/v1/keys/${viewer.id}/report-exposed`, { key: viewer.key, body: { location: 'pasted in a ticket' } });
    expect(res.status).toBe(200);
    ExposureOutcomeSchema.parse(res.body);
    expect(res.body).toMatchObject({ object: 'key.exposure_report', handled: 'revoked', key: { id: viewer.id, status: 'revoked', exposure: { source: 'report', location: 'pasted in a ticket' } } });
    expectApiError(await stack.json('/v1/models', { key: viewer.key }), 401, 'key_revoked');
    const again = await stack.json(`/v1/keys/${viewer.id}/report-exposed`, { key: stack.adminKey, body: {} });
    expect(again.body.handled).toBe('already');
    const audit = await stack.json(`/v1/audit?keyId=${viewer.id}`, { key: stack.adminKey });
    expect(audit.body.data.filter((r: any) => r.action === 'key.exposed').map((r: any) => r.details)).toEqual([{ source: 'report', location: 'pasted in a ticket' }]);
  });

  it('an admin key reports another key; without a location it names the reporter', async () => {
    const target = await createKey(stack, { name: 'reported' });
    const res = await stack.json(`/v1/keys/${target.id}/report-exposed`, { key: stack.adminKey, body: {} });
    expect(res.body).toMatchObject({ handled: 'revoked', key: { exposure: { source: 'report', location: `reported by key:${stack.bootstrap.adminKeyId}` } } });
  });

  it('a narrower key reporting a wider one is 403 and audited as denied; nothing changes', async () => {
    const narrow = await createKey(stack, { name: 'narrow', scopes: ['keys:read', 'keys:write'] });
    const wide = await createKey(stack, { name: 'wide' });
    expectApiError(await stack.json(`/v1/keys/${wide.id}/report-exposed`, { key: narrow.key, body: {} }), 403, 'insufficient_permissions');
    const viewer = await createKey(stack, { name: 'viewer reporter', type: 'viewer' });
    expectApiError(await stack.json(`/v1/keys/${wide.id}/report-exposed`, { key: viewer.key, body: {} }), 403, 'insufficient_permissions');
    expect((await stack.json('/v1/models', { key: wide.key })).status).toBe(200);
    const audit = await stack.json(`/v1/audit?keyId=${wide.id}`, { key: stack.adminKey });
    const denied = audit.body.data.filter((r: any) => r.action === 'key.exposed');
    expect(denied.map((r: any) => `${r.outcome} ${r.actor}`).sort()).toEqual([`denied key:${narrow.id}`, `denied key:${viewer.id}`].sort());
    expect((await stack.services.store.getKey(wide.id))?.exposure).toBeUndefined();
  });

  it('the Automator key: refused to a keys:write key without admin, rotated for an admin key', async () => {
    const automator = (await stack.json('/v1/keys?type=system', { key: stack.adminKey })).body.data[0];
    expect(automator.type).toBe('system');
    const manager = await createKey(stack, { name: 'manager', scopes: ['keys:read', 'keys:write', 'audit:read'] });
    expectApiError(await stack.json(`/v1/keys/${automator.id}/report-exposed`, { key: manager.key, body: {} }), 403, 'insufficient_permissions');
    const res = await stack.json(`/v1/keys/${automator.id}/report-exposed`, { key: stack.adminKey, body: { location: 'CI log' } });
    expect(res.body).toMatchObject({ handled: 'rotated', key: { id: automator.id, exposure: { source: 'report', location: 'CI log' } } });
    const now = (await stack.json('/v1/keys?type=system', { key: stack.adminKey })).body.data.map((k: any) => k.id);
    expect(now.some((id: string) => id !== automator.id)).toBe(true);
  });

  it('a person through a bot: a project admin may report a key, anyone else is 403 and audited by name', async () => {
    const bot = stack.secrets.botViewerKeys!.slack;
    const botId = (await stack.json('/v1/me', { key: bot })).body.id;
    const asPerson = (sub: string) => ({ [ASSERTION_HEADER]: signAssertion(stack.secrets.botAssertion.current, { sub, bot: 'slack', kid: botId }) });
    const target = await createKey(stack, { name: 'seen in slack' });
    const member = await stack.json(`/v1/keys/${target.id}/report-exposed`, { key: bot, body: {}, headers: asPerson('slack:T1:UMEMBER') });
    expectApiError(member, 403, 'insufficient_permissions');
    expect((await stack.json('/v1/models', { key: target.key })).status).toBe(200);
    const admin = await stack.json(`/v1/keys/${target.id}/report-exposed`, { key: bot, body: {}, headers: asPerson('slack:T1:UADMIN') });
    expect(admin.body).toMatchObject({ handled: 'revoked', key: { exposure: { source: 'report', location: 'reported by slack:T1:UADMIN' } } });
    const audit = await stack.json(`/v1/audit?keyId=${target.id}`, { key: stack.adminKey });
    expect(audit.body.data.find((r: any) => r.outcome === 'denied')).toMatchObject({ action: 'key.exposed', actor: 'slack:T1:UMEMBER', viaBot: 'slack', reason: 'not a project admin' });
  });

  it("another project's key is 404", async () => {
    const target = await createKey(stack, { name: 'elsewhere' });
    expectApiError(await stack.json(`/v1/keys/${target.id}/report-exposed`, { key: other.adminKey, body: {} }), 404, 'not_found');
    expect((await stack.json('/v1/models', { key: target.key })).status).toBe(200);
  });
});

describe('POST /v1/bots/leaks', () => {
  it('any valid key holding a live value reports it: revoked (any project), never echoed or logged; a non-key or dead key is found: false', async () => {
    const output = captureOutput({ loggers: [stack.services.logger] });
    const bot = await createKey(stack, { name: 'bot viewer', type: 'viewer' });
    const leaked = await createKey(stack, { name: 'leaked' });
    const foreign = (await stack.json('/v1/keys', { key: other.adminKey, body: { name: 'foreign leaked' } })).body;
    const bodies: string[] = [];
    try {
      const res = await stack.json('/v1/bots/leaks', { key: bot.key, body: { key: leaked.key, location: 'https://slack.example/archives/C1/p1' } });
      bodies.push(JSON.stringify(res.body));
      ReportLeakResult.parse(res.body);
      expect(res.body).toEqual({ object: 'leak_report', found: true, keyId: leaked.id, projectId: stack.bootstrap.projectId, handled: 'revoked' });
      expectApiError(await stack.json('/v1/models', { key: leaked.key }), 401, 'key_revoked');

      const elsewhere = await stack.json('/v1/bots/leaks', { key: bot.key, body: { key: foreign.key, location: 'a channel' } });
      bodies.push(JSON.stringify(elsewhere.body));
      expect(elsewhere.body).toMatchObject({ found: true, keyId: foreign.id, handled: 'revoked' });

      const again = await stack.json('/v1/bots/leaks', { key: bot.key, body: { key: leaked.key, location: 'again' } });
      bodies.push(JSON.stringify(again.body));
      expect(again.body).toMatchObject({ found: true, handled: 'already' });
      for (const value of ['not a key', generateKey()]) {
        const none = await stack.json('/v1/bots/leaks', { key: bot.key, body: { key: value, location: 'a channel' } });
        bodies.push(JSON.stringify(none.body));
        expect(none.body).toEqual({ object: 'leak_report', found: false, keyId: null, projectId: null, handled: null });
      }
      await stack.idle();
    } finally {
      output.stop();
    }
    const logs = output.text();
    expect(logs).toContain('/v1/bots/leaks');
    for (const raw of [leaked.key, foreign.key]) {
      expect(logs).not.toContain(raw);
      for (const body of bodies) expect(body).not.toContain(raw);
    }
    expect(JSON.stringify(await storedItems(stack.services))).not.toContain(leaked.key);
  });
});
