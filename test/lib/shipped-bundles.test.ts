import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DEFAULT_HEADER_BRAND } from '../../lambdas/config';
import { CONTRACT } from '../../lambdas/http/contract';
import { openApiDocument } from '../../lambdas/http/openapi';
import { OPENAPI_FILE } from '../../lambdas/http/openapi-shipped';
import { LOCAL_MODEL_LABEL } from '../../lambdas/adapters/local-model';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ESM_REQUIRE_BANNER } from '../../lib/keywarden-service';
import { FUNCTION_NAMES, header, PUBLIC_BASE_URL, restEvent, secretArn, type ShippedBundles, startShippedBundles } from './shipped-bundle-harness';
import { asArray, functionLogicalId, functionRole, roleStatements } from './synth-app';
import type { SlackStandIn } from '../bots/slack/slack-stand-in';

/**
 * The artifacts that would be uploaded, not the TypeScript sources: each function's bundled
 * `index.mjs` from the production assembly, driven as Lambda would (./shipped-bundle-harness.ts).
 */
describe('shipped Lambda bundles (production assembly)', () => {
  let bundles: ShippedBundles;
  /** Every raw key the API bundle has issued in this file, for the log scan. */
  const issued: string[] = [];

  beforeAll(async () => {
    bundles = await startShippedBundles();
  }, 240_000);

  afterAll(() => bundles?.close());

  // What a client sends. Each test issues the keys it uses, so no test depends on another's order.

  async function createKey(name: string): Promise<APIGatewayProxyResult> {
    const res = await bundles.api(restEvent('POST', '/v1/keys', { key: bundles.adminKey, body: { name } }));
    if (res.statusCode === 201) issued.push((JSON.parse(res.body) as { key: string }).key);
    return res;
  }

  /** A fresh active key under a name no other test uses. */
  async function issueKey(purpose: string): Promise<{ id: string; key: string; name: string }> {
    const res = await createKey(`bundle test ${purpose} ${randomUUID().slice(0, 8)}`);
    expect(res.statusCode, res.body).toBe(201);
    return JSON.parse(res.body) as { id: string; key: string; name: string };
  }

  /** The same key id with a wrong secret. */
  const forge = (key: string) => `${key.slice(0, -3)}${key.endsWith('AAA') ? 'BBB' : 'AAA'}`;

  const listKeys = (search: string) => bundles.api(restEvent('GET', '/v1/keys', { key: bundles.adminKey, query: { search } }));

  /** GET /v1/models is one of OpenAI's routes: the response-streaming bundle serves it, as in AWS. */
  const models = async (key: string) => {
    const { prelude, body } = await bundles.responses(restEvent('GET', '/v1/models', { key }));
    return { statusCode: prelude.statusCode, headers: prelude.headers ?? {}, body };
  };

  const respond = (key: string, input: string, options: { stream?: boolean } = {}) =>
    bundles.responses(restEvent('POST', '/v1/responses', { key, body: { model: 'archibot', input, ...options } }));

  const revoke = (id: string) =>
    bundles.api(restEvent('POST', `/v1/keys/${id}/revoke`, { key: bundles.adminKey, resource: '/v1/keys/{id}/revoke', pathParameters: { id } }));

  /** Slack's URL verification, signed with the signing secret or not signed at all. */
  function slackUrlVerification(challenge: string, signed: boolean): Promise<APIGatewayProxyResult> {
    const body = JSON.stringify({ type: 'url_verification', token: 'ignored', challenge });
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (signed) {
      const timestamp = String(Math.floor(Date.now() / 1000));
      headers['X-Slack-Request-Timestamp'] = timestamp;
      headers['X-Slack-Signature'] = `v0=${createHmac('sha256', bundles.secrets.slack.signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
    }
    return bundles.slack(restEvent('POST', '/slack/events', { rawBody: body, headers }));
  }

  /** A Teams message activity with no Bot Framework token. */
  const unauthenticatedTeamsMessage = () =>
    bundles.teams(
      restEvent('POST', '/api/messages', {
        body: {
          type: 'message',
          id: randomUUID(),
          text: 'help',
          channelId: 'msteams',
          serviceUrl: 'https://smba.trafficmanager.net/teams/',
          from: { id: '29:intruder', aadObjectId: randomUUID() },
          conversation: { id: 'a:1', conversationType: 'personal' },
          recipient: { id: `28:${bundles.secrets.teams.appId}` },
        },
      }),
    );

  it('are ESM with the require banner and leave the AWS SDK to the runtime', () => {
    for (const path of Object.values(bundles.bundlePaths)) {
      const code = readFileSync(path, 'utf8');
      expect(code.startsWith(ESM_REQUIRE_BANNER)).toBe(true);
      expect(code).toMatch(/from\s*"@aws-sdk\/client-secrets-manager"/);
      expect(code).not.toMatch(/\bclass \w+ extends \w+\s*\{[^}]*"DynamoDBServiceException"/);
      expect(code).not.toContain('node_modules/@aws-sdk/');
    }
  });

  it('each carry only their half: the API bundle no local model and no model-call relay, the streaming bundle no key management', () => {
    const api = readFileSync(bundles.bundlePaths.api, 'utf8');
    const responses = readFileSync(bundles.bundlePaths.responses, 'utf8');
    // Strings only each half's code holds (a minifier keeps string literals).
    expect(responses).toContain(LOCAL_MODEL_LABEL);
    expect(api).not.toContain(LOCAL_MODEL_LABEL);
    expect(api).not.toContain('stream settled by estimate');
    expect(responses).toContain('stream settled by estimate');
    expect(api).toContain('/v1/keys/:id/rotate');
    expect(responses).not.toContain('/v1/keys/:id/rotate');
  });

  it('the API bundle serves the OpenAPI document generated beside it, placed for its deployment, without carrying the generator', async () => {
    const res = await bundles.api(restEvent('GET', '/v1/openapi.json'));
    expect(res.statusCode, res.body).toBe(200);
    const served = JSON.parse(res.body) as { servers: unknown };
    expect(served).toEqual(openApiDocument(Object.values(CONTRACT), { serverUrl: `${PUBLIC_BASE_URL}/v1`, brand: DEFAULT_HEADER_BRAND }));
    // What only the generator holds (its license id), and only OpenAI's contracts (their routes).
    const api = readFileSync(bundles.bundlePaths.api, 'utf8');
    expect(readFileSync(join(dirname(bundles.bundlePaths.api), OPENAPI_FILE), 'utf8')).toContain('LicenseRef-Proprietary');
    expect(api).not.toContain('LicenseRef-Proprietary');
    expect(api).not.toContain('/v1/embeddings');
  });

  it('creates a key with the bootstrap admin key (API bundle)', async () => {
    const res = await createKey('bundle test key');
    expect(res.statusCode, res.body).toBe(201);
    const body = JSON.parse(res.body) as { id: string; key: string; name: string; setupScript: string; status: string };
    expect(body.name).toBe('bundle test key');
    expect(body.status).toBe('active');
    expect(body.key).toMatch(/^archie_[A-Za-z0-9]+$/);
    expect(body.setupScript).toContain(`${PUBLIC_BASE_URL}/v1`);
    expect(res.body).not.toContain(bundles.adminKey);
  });

  it('lists a new key without its secret', async () => {
    const created = await issueKey('listed');
    const res = await listKeys(created.name);
    expect(res.statusCode, res.body).toBe(200);
    const body = JSON.parse(res.body) as { data: Array<{ id: string; name: string }> };
    expect(body.data.map((k) => k.id)).toContain(created.id);
    expect(res.body).not.toContain(created.key);
  });

  it('serves /v1/models to a new key, with rate-limit headers', async () => {
    const { key } = await issueKey('models');
    const res = await models(key);
    expect(res.statusCode, res.body).toBe(200);
    const body = JSON.parse(res.body) as { object: string; data: Array<{ id: string }> };
    expect(body.object).toBe('list');
    expect(body.data.map((m) => m.id)).toContain('archibot');
    expect(header(res.headers, 'x-ratelimit-limit')).toBeDefined();
    expect(header(res.headers, 'x-ratelimit-remaining')).toBeDefined();
  });

  it('rejects a wrong key in the OpenAI error shape without echoing it', async () => {
    const { key } = await issueKey('forged');
    // The forgery shares the id of a key the warm function has just served.
    expect((await models(key)).statusCode).toBe(200);
    const forged = forge(key);
    const res = await models(forged);
    expect(res.statusCode).toBe(401);
    const body = JSON.parse(res.body) as { error: { code: string; type: string; message: string } };
    expect(body.error.code).toBe('invalid_api_key');
    expect(res.body).not.toContain(forged);
  });

  it('streams /v1/responses through the response-streaming bundle (prelude, 8 NUL bytes, SSE body)', async () => {
    const { key } = await issueKey('streaming');
    const { prelude, body } = await respond(key, 'Hello from the bundle test', { stream: true });
    expect(prelude.statusCode, body).toBe(200);
    expect(header(prelude.headers, 'content-type')).toMatch(/text\/event-stream/);
    expect(header(prelude.headers, 'x-archibot-request-id')).toMatch(/^req_/);
    expect(header(prelude.headers, 'x-ratelimit-limit')).toBeDefined();
    expect(body).toMatch(/^event: response\.created/m);
    expect(body).toMatch(/^event: response\.completed/m);
    expect(body).toContain('Hello from the bundle test');
  });

  it('answers a non-streaming /v1/responses request through the same framing', async () => {
    const { key } = await issueKey('non-streaming');
    const { prelude, body } = await respond(key, 'Say hi');
    expect(prelude.statusCode, body).toBe(200);
    const json = JSON.parse(body) as { object: string; status: string };
    expect(json.object).toBe('response');
    expect(json.status).toBe('completed');
    expect(Number(header(prelude.headers, 'x-archibot-credits-charged'))).toBeGreaterThan(0);
  });

  it('rejects a revoked key on the streaming path at once', async () => {
    const { id, key } = await issueKey('revoked');
    // Served once first, so the warm streaming function has seen the key while it was active.
    expect((await respond(key, 'are you there?')).prelude.statusCode).toBe(200);
    const revoked = await revoke(id);
    expect(revoked.statusCode, revoked.body).toBe(200);
    const { prelude, body } = await respond(key, 'still there?');
    expect(prelude.statusCode).toBe(401);
    expect((JSON.parse(body) as { error: { code: string } }).error.code).toBe('key_revoked');
  });

  it('Slack bundle: rejects an unsigned request and answers a signed URL verification', async () => {
    const unsigned = await slackUrlVerification('bundle-challenge-42', false);
    expect(unsigned.statusCode).toBe(401);
    const signed = await slackUrlVerification('bundle-challenge-42', true);
    expect(signed.statusCode, signed.body).toBe(200);
    expect(signed.body).toContain('bundle-challenge-42');
  });

  /**
   * Issue 12, ack first: Slack gives 3 s. With every /v1 call taking 5 s, the Slack bundle acks a
   * signed command in well under a second, having handed the work to an asynchronous invocation
   * of itself (the Lambda API stand-in records it); invoked with that payload, as Lambda would,
   * the work answers at the response_url.
   */
  describe('Slack bundle: ack first, work after', () => {
    // The stage was synthesized with the stand-in as its slackApiUrl: response URLs on its origin are answered.
    let slackStandIn: SlackStandIn;
    beforeAll(() => {
      slackStandIn = bundles.slackStandIn;
    });
    afterAll(() => bundles.setApiDelay(0));

    it('acks a signed command within Slack’s 3 s while /v1 answers in 5 s; the answer reaches the response_url afterwards', async () => {
      bundles.setApiDelay(5_000);
      const body = new URLSearchParams({
        team_id: 'T1',
        user_id: 'U1',
        channel_id: 'C1',
        command: '/apikeys',
        text: 'list',
        response_url: slackStandIn.responseUrl('bundle-ack'),
        trigger_id: 'trigger-bundle',
      }).toString();
      const timestamp = String(Math.floor(Date.now() / 1000));
      const signature = `v0=${createHmac('sha256', bundles.secrets.slack.signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
      const before = bundles.lambdaInvocations.length;
      const started = performance.now();
      const ack = await bundles.slack(
        restEvent('POST', '/slack/events', {
          rawBody: body,
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Slack-Request-Timestamp': timestamp, 'X-Slack-Signature': signature },
        }),
      );
      const ackMs = performance.now() - started;
      expect(ack).toMatchObject({ statusCode: 200, body: '' });
      // Slack's own limit (3 s), with every /v1 call taking 5 s: the ack cannot have waited for the work.
      expect(ackMs).toBeLessThan(3_000);
      expect(slackStandIn.responses('bundle-ack')).toEqual([]);

      const handoff = bundles.lambdaInvocations.slice(before);
      expect(handoff).toEqual([
        {
          functionName: `arn:aws:lambda:eu-west-1:123456789012:function:${bundles.stage.config.resourcePrefix}-slack`,
          invocationType: 'Event',
          payload: expect.objectContaining({ kind: 'keywarden.slack.work', rawBody: body }),
        },
      ]);
      const workStarted = performance.now();
      await bundles.slack(handoff[0]!.payload as Record<string, unknown>);
      // The slow API was really in the path: the work took at least one 5-second /v1 call.
      expect(performance.now() - workStarted).toBeGreaterThanOrEqual(5_000);
      const answers = slackStandIn.responses('bundle-ack');
      expect(answers).toHaveLength(1);
      expect(answers[0]!.body.response_type).toBe('ephemeral');
      expect(answers[0]!.raw).toContain('Slack bot viewer key');
      expect(slackStandIn.api('auth.test')).toEqual([]);
    }, 90_000);
  });

  it('Teams bundle: refuses an activity without a Bot Framework token', async () => {
    const res = await unauthenticatedTeamsMessage();
    expect(res.statusCode).toBe(401);
  });

  /**
   * The checks over everything the functions did (DynamoDB calls, secret reads, log lines) hold
   * whichever scenarios ran before them: this suite first sends a request down every path above.
   */
  describe('after a request on every path', () => {
    beforeAll(async () => {
      const { id, key, name } = await issueKey('every path');
      expect((await listKeys(name)).statusCode).toBe(200);
      expect((await models(key)).statusCode).toBe(200);
      expect((await models(forge(key))).statusCode).toBe(401);
      expect((await respond(key, 'Hello', { stream: true })).prelude.statusCode).toBe(200);
      expect((await respond(key, 'Say hi')).prelude.statusCode).toBe(200);
      expect((await revoke(id)).statusCode).toBe(200);
      expect((await respond(key, 'still there?')).prelude.statusCode).toBe(401);
      expect((await slackUrlVerification('every-path', false)).statusCode).toBe(401);
      expect((await slackUrlVerification('every-path', true)).statusCode).toBe(200);
      expect((await unauthenticatedTeamsMessage()).statusCode).toBe(401);
    });

    it('made only the DynamoDB calls their roles in the template allow', () => {
      expect(bundles.dynamoCalls.length).toBeGreaterThan(0);
      expect(bundles.dynamoCalls.filter((c) => c.fn === undefined)).toEqual([]);
      const { statelessJson: template, config } = bundles.stage;
      for (const name of FUNCTION_NAMES) {
        const statements = roleStatements(template, functionRole(template, functionLogicalId(template, config, name)));
        const allowed = (operation: string, index: string | undefined) =>
          statements.some(
            (st) =>
              asArray(st.Action).includes(`dynamodb:${operation}`) &&
              asArray(st.Resource).some((r) => (index ? JSON.stringify(r).includes(`/index/${index}"`) : !JSON.stringify(r).includes('/index/'))),
          );
        for (const call of bundles.dynamoCalls.filter((c) => c.fn === name)) {
          expect(allowed(call.operation, call.indexName), `${name}: ${call.operation} ${call.indexName ?? 'table'}`).toBe(true);
        }
      }
      expect(bundles.dynamoCalls.filter((c) => c.fn === 'slack' || c.fn === 'teams')).toEqual([]);
      expect(new Set(bundles.dynamoCalls.filter((c) => c.fn === 'responses').map((c) => c.operation)).size).toBeGreaterThan(0);
    });

    it('read the secrets from Secrets Manager by the ARNs in the template, and logged no raw key', () => {
      for (const name of ['hashing', 'slack', 'teams', 'botViewerKeys', 'botAssertion'] as const) {
        expect(bundles.secretsManagerCalls).toContain(secretArn(name));
      }
      expect(Object.values(bundles.environments).flatMap((env) => Object.keys(env))).toEqual(
        expect.arrayContaining(['SECRET_HASHING_ARN', 'SECRET_BOT_ASSERTION_ARN', 'SECRET_UPSTREAM_ARN']),
      );
      const text = bundles.logs();
      // The scan means something only if the bundles logged the requests above: the API bundle's
      // create, and the refusals of a forged and a revoked key on both paths.
      const entries = text
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => ({ status: (JSON.parse(line) as { status?: number }).status, line }));
      const logged = (status: number, path: string) => entries.some((e) => e.status === status && e.line.includes(`"${path}"`));
      expect(logged(201, '/v1/keys')).toBe(true);
      expect(logged(401, '/v1/models')).toBe(true);
      expect(logged(401, '/v1/responses')).toBe(true);
      const botKeys = bundles.secrets.botViewerKeys;
      expect(issued.length).toBeGreaterThan(0);
      for (const raw of [bundles.adminKey, ...issued, botKeys.slack, botKeys.teams]) expect(text).not.toContain(raw);
    });
  });
});
