import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDynamoClient } from '../../lambdas/adapters/dynamodb-client';
import { ensureTable, startDynalite, type DynaliteServer } from '../../lambdas/adapters/dynalite-server';
import { StaticSecretsProvider } from '../../lambdas/adapters/secrets';
import { OpenAiCompatibleUpstream } from '../../lambdas/adapters/upstream';
import { loadConfig } from '../../lambdas/config';
import { callModel, type KeyAdmission, type ModelCallOutcome, type ModelCallPorts, type ModelCallRequest } from '../../lambdas/core/model-call';
import type { ModelCallAdmission } from '../../lambdas/core/ports';
import type { CreateKeyInput } from '../../lambdas/core/key-service';
import { buildServices, type Services } from '../../lambdas/services';
import { sse, startStandInUpstream, type StandInUpstream } from '../http/openai-relay/stand-in-upstream';

/**
 * The model call's tagged outcomes, on real ports: the store on dynalite, the catalog, the key
 * check, billing, and the upstream adapter against a stand-in upstream on 127.0.0.1. Pricing is
 * the default: 1 credit reserved, 1 per request, 0.5 per 1,000 tokens.
 */
let dynalite: DynaliteServer;
let upstream: StandInUpstream;
let services: Services;
let ports: ModelCallPorts;
const warnings: Array<{ message: string; attributes: Record<string, unknown> }> = [];
const secrets = new StaticSecretsProvider({ hashing: { current: 'test-hashing-secret' }, upstream: { apiKey: 'sk-platform' } });

beforeAll(async () => {
  [dynalite, upstream] = await Promise.all([startDynalite(), startStandInUpstream()]);
  const dynamo = createDynamoClient(dynalite.endpoint);
  await ensureTable(dynamo, 'model-call-test');
  const config = loadConfig({
    TABLE_NAME: 'model-call-test',
    DYNAMODB_ENDPOINT: dynalite.endpoint,
    UPSTREAM_BASE_URL: upstream.baseUrl,
    UPSTREAM_TIMEOUT_MS: '300',
    MODELS: 'archibot=gpt-up,archibot-mini',
  });
  services = buildServices(config, { dynamo, secrets });
  ports = { ...services, logger: { warn: (message, attributes) => warnings.push({ message, attributes }) } };
});
afterAll(async () => {
  // The calls here bypass the HTTP after-answer work, which settles the lease work they started
  // (a deferred removal, a balance re-read): settle it before the store goes away.
  await services?.store.leasesSettled();
  services?.dynamo.destroy();
  await Promise.all([dynalite?.close(), upstream?.close()]);
});
beforeEach(() => {
  upstream.reset();
  upstream.requests.length = 0;
  warnings.length = 0;
});

/** A fresh account holding `credits`, a project, and a key on it (`raw`). */
async function caller(credits: number, key: CreateKeyInput = {}, apiAccess = true): Promise<{ accountId: string; raw: string }> {
  const account = await services.operator.createAccount({ name: 'calls', apiAccess: true, credits });
  const { project } = await services.operator.createProject({ accountId: account.id, name: 'p', actor: 'test' });
  const issued = await services.keys.create({ kind: 'operator', actor: 'test', projectId: project.id }, { name: 'caller', ...key });
  if (!apiAccess) await services.store.setApiAccess(account.id, false);
  return { accountId: account.id, raw: issued.secret };
}

/** A call as the edge makes it, admitting `raw` (and counting its admissions). */
function request(raw: string, over: Partial<ModelCallRequest> = {}): ModelCallRequest & { admissions: number } {
  const call = {
    model: 'archibot',
    stream: false,
    path: '/responses' as const,
    body: (model: { upstream: string }) => JSON.stringify({ model: model.upstream, input: 'Hello' }),
    bearer: raw,
    admissions: 0,
    async admit(admission?: ModelCallAdmission): Promise<KeyAdmission> {
      call.admissions += 1;
      const check = await services.auth.authenticate(raw, admission);
      if (check.result === 'over_limit') return check;
      if (check.result !== 'valid') throw new Error(`not admitted: ${check.result}`);
      return { result: 'valid', key: check.key, ...(check.hold ? { hold: check.hold } : {}) };
    },
    ...over,
  };
  return call;
}

const balanceOf = async (accountId: string) => (await services.store.getAccount(accountId))!.credits;

function expectKind<K extends ModelCallOutcome['kind']>(outcome: ModelCallOutcome, kind: K): Extract<ModelCallOutcome, { kind: K }> {
  expect(outcome.kind).toBe(kind);
  return outcome as Extract<ModelCallOutcome, { kind: K }>;
}

describe('refused before the upstream: nothing charged, nothing called', () => {
  it('a model outside the catalog is model_not_found, once the key is admitted', async () => {
    const { accountId, raw } = await caller(5);
    const call = request(raw, { model: 'gpt-4o' });
    expect(await callModel(ports, call)).toEqual({ kind: 'model_not_found', model: 'gpt-4o' });
    expect(call.admissions).toBe(1);
    const bad = request(raw.slice(0, -4) + 'AAAA', { model: 'gpt-4o' });
    await expect(callModel(ports, bad)).rejects.toThrow('not admitted');
    expect(await balanceOf(accountId)).toBe(5);
    expect(upstream.requests).toHaveLength(0);
  });

  it('a model outside the key’s own list is model_not_found; with the account known, the reservation taken beside the admission is given back', async () => {
    const { accountId, raw } = await caller(5, { models: ['archibot-mini'] });
    expect(await callModel(ports, request(raw))).toEqual({ kind: 'model_not_found', model: 'archibot' });
    // The second call: this instance now knows the key's account, so both writes went out together.
    expect(await services.auth.accountOf(raw)).toBe(accountId);
    expect(await callModel(ports, request(raw))).toEqual({ kind: 'model_not_found', model: 'archibot' });
    expect(await balanceOf(accountId)).toBe(5);
    expect(upstream.requests).toHaveLength(0);
  });

  it('a key without responses:write is scope_missing', async () => {
    const { accountId, raw } = await caller(5, { scopes: ['keys:read'] });
    expect(await callModel(ports, request(raw))).toEqual({ kind: 'scope_missing', scope: 'responses:write' });
    expect(await callModel(ports, request(raw))).toEqual({ kind: 'scope_missing', scope: 'responses:write' });
    expect(await balanceOf(accountId)).toBe(5);
  });

  it('a key refused at admission throws its refusal, and a reservation taken beside it is given back', async () => {
    const { accountId, raw } = await caller(5);
    expectKind(await callModel(ports, request(raw)), 'answered');
    const balance = await balanceOf(accountId);
    const refusing = request(raw, { admit: () => Promise.reject(new Error('revoked meanwhile')) });
    await expect(callModel(ports, refusing)).rejects.toThrow('revoked meanwhile');
    expect(await balanceOf(accountId)).toBe(balance);
  });

  it('a reservation the balance does not cover, or with API access off, is reservation_refused with the balance seen', async () => {
    const poor = await caller(0.5);
    expect(await callModel(ports, request(poor.raw))).toEqual({ kind: 'reservation_refused', refusal: 'insufficient_quota', balance: 0.5 });
    expect(await callModel(ports, request(poor.raw))).toEqual({ kind: 'reservation_refused', refusal: 'insufficient_quota', balance: 0.5 });
    const off = await caller(5, {}, false);
    expect(await callModel(ports, request(off.raw))).toEqual({ kind: 'reservation_refused', refusal: 'api_access_disabled', balance: 5 });
    expect(upstream.requests).toHaveLength(0);
  });
});

describe('the upstream fails or rejects: refunded in full', () => {
  it('an upstream that cannot be reached is upstream_failed, not timed out', async () => {
    const { accountId, raw } = await caller(5);
    const unreachable: ModelCallPorts = { ...ports, upstream: new OpenAiCompatibleUpstream('http://127.0.0.1:1/v1', secrets) };
    expect(await callModel(unreachable, request(raw))).toEqual({ kind: 'upstream_failed', timedOut: false, balance: 5 });
    expect(await balanceOf(accountId)).toBe(5);
    expect(warnings.map((w) => w.message)).toEqual(['upstream failed']);
  });

  it('an upstream silent past the timeout is upstream_failed, timed out', async () => {
    const { accountId, raw } = await caller(5);
    upstream.handle(() => undefined);
    expect(await callModel(ports, request(raw))).toEqual({ kind: 'upstream_failed', timedOut: true, balance: 5 });
    expect(await balanceOf(accountId)).toBe(5);
  });

  it('an upstream error is upstream_rejected, with its status and body', async () => {
    const { accountId, raw } = await caller(5);
    const error = JSON.stringify({ error: { message: 'Bad input.', type: 'invalid_request_error' } });
    upstream.handle((_req, res) => res.writeHead(400, { 'content-type': 'application/json' }).end(error));
    expect(await callModel(ports, request(raw))).toEqual({ kind: 'upstream_rejected', status: 400, body: error, balance: 5 });
    expect(await balanceOf(accountId)).toBe(5);
  });
});

describe('answered: billable, settled by usage', () => {
  it('a whole answer is the upstream’s text, sent with the mapped model, and its bill states the price by usage and the balance after it', async () => {
    const { accountId, raw } = await caller(5);
    const answered = expectKind(await callModel(ports, request(raw)), 'answered');
    expect(JSON.parse(upstream.requests.at(-1)!.body.toString()).model).toBe('gpt-up');
    expect(JSON.parse(answered.text).object).toBe('response');
    expect(answered.model).toEqual({ id: 'archibot', upstream: 'gpt-up' });
    // The reservation (1) stands until settlement.
    expect(await balanceOf(accountId)).toBe(4);
    const bill = answered.bill({ inputTokens: 12, outputTokens: 8, totalTokens: 20 });
    expect({ charged: bill.charged, remaining: bill.remaining }).toEqual({ charged: 0.01, remaining: 4.99 });
    const settled = await bill.settle();
    await settled.written;
    expect(settled.charged).toBe(0.01);
    expect(await balanceOf(accountId)).toBe(4.99);
  });

  it('without usage, a whole answer costs the per-request price', async () => {
    const { accountId, raw } = await caller(5);
    const answered = expectKind(await callModel(ports, request(raw)), 'answered');
    const bill = answered.bill(undefined);
    expect({ charged: bill.charged, remaining: bill.remaining }).toEqual({ charged: 1, remaining: 4 });
    await (await bill.settle()).written;
    expect(await balanceOf(accountId)).toBe(4);
  });
});

describe('streaming: settled by what the upstream served', () => {
  const events = [sse({ type: 'response.output_text.delta', delta: 'Hello there' }), sse({ type: 'response.completed', response: {} })];

  it('states the reservation, and settles by the usage the stream reported', async () => {
    const { accountId, raw } = await caller(5);
    upstream.handle((_req, res) => res.writeHead(200, { 'content-type': 'text/event-stream' }).end(events.join('')));
    const streaming = expectKind(await callModel(ports, request(raw, { stream: true })), 'streaming');
    expect({ charged: streaming.charged, remaining: streaming.remaining }).toEqual({ charged: 1, remaining: 4 });
    expect(await streaming.answer.text()).toBe(events.join(''));
    const settled = await streaming.settle({ usage: { inputTokens: 1_000, outputTokens: 3_000, totalTokens: 4_000 }, sent: { contentBytes: 11, contentDeltas: 1 } });
    await settled.written;
    expect(settled.charged).toBe(2);
    expect(await balanceOf(accountId)).toBe(3);
    expect(warnings).toEqual([]);
  });

  it('a stream that reported no usage is settled by its estimate (never below the reservation), and says so', async () => {
    const { accountId, raw } = await caller(5);
    upstream.handle((_req, res) => res.writeHead(200, { 'content-type': 'text/event-stream' }).end(events.join('')));
    const streaming = expectKind(await callModel(ports, request(raw, { stream: true })), 'streaming');
    await streaming.answer.text();
    const settled = await streaming.settle({ usage: undefined, sent: { contentBytes: 40_000, contentDeltas: 10 } });
    await settled.written;
    // 10,000 output tokens and a few input ones: just over 5 credits, charged whole (into debt).
    expect(settled.charged).toBeGreaterThan(5);
    expect(await balanceOf(accountId)).toBeCloseTo(5 - settled.charged, 6);
    expect(warnings).toEqual([{ message: 'stream settled by estimate', attributes: { keyId: streaming.key.id } }]);
  });

  it('letGo cancels the upstream of a stream that never ends', async () => {
    const { raw } = await caller(5);
    upstream.handle((_req, res) => res.writeHead(200, { 'content-type': 'text/event-stream' }).write(events[0]));
    const streaming = expectKind(await callModel(ports, request(raw, { stream: true })), 'streaming');
    const closed = new Promise((resolve) => upstream.events.once('closed', resolve));
    streaming.letGo(false);
    await closed;
  });
});
