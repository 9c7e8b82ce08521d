import type { CreateKeyInput } from '../lambdas/core/key-service';
import { buttonValue, keysIn, startSlackHarness } from '../test/bots/slack/slack-harness';
import { answerUnique, startStandInUpstream } from '../test/http/openai-relay/stand-in-upstream';
import { startTestStack, type TestStack } from '../test/support/local-stack';
import { startDynamoThrottle, type DynamoThrottle, type Usage } from './dynamo-throttle';
import { startDynalite } from '../lambdas/adapters/dynalite-server';
import { median, round } from './stats';

/**
 * What each call costs in DynamoDB's billing units (issue 23 point 6): write units (the items' own
 * and their index entries') and read units, counted by the throttling layer in counting mode
 * (dynamo-throttle.ts, no limits) between the local stack's services and its dynalite (given as DYNAMODB_ENDPOINT), and turned
 * into dollars per million calls at on-demand prices. Calls are made one at a time, each followed
 * by its after-answer work (settlement, usage record, daily counters), so a figure is one call's
 * whole bill; under load, calls waiting on one day item share its write (group commit) and cost less.
 */

/**
 * On-demand request prices, us-east-1, as published on aws.amazon.com/dynamodb/pricing/on-demand
 * after the price cut of 2024-11-01 — an assumption of this bench (prices change; other regions
 * and table classes differ): $0.625 per million write request units, $0.125 per million read.
 */
export const ON_DEMAND_PRICES = { region: 'us-east-1', asOf: '2024-11', writePerMillionUnits: 0.625, readPerMillionUnits: 0.125 };

export interface CallUnits {
  /** Table write units, index write units, read units (medians over the samples). */
  writeUnits: number;
  indexWriteUnits: number;
  readUnits: number;
  /** DynamoDB requests made (median). */
  requests: number;
  /** Dollars per million such calls at ON_DEMAND_PRICES. */
  dollarsPerMillion: number;
  /** One sample's requests by operation, e.g. `UpdateItem ×3`. */
  operations: string;
  /** One sample's write units by item family (ids elided) and where they landed (table or index), e.g. `KEY#… (gsi1): 1`. */
  writesByFamily: Record<string, number>;
  samples: number;
}

export interface CapacityFigures {
  prices: typeof ON_DEMAND_PRICES;
  models: CallUnits;
  responses: CallUnits;
  /** The same call with `store: false`: no stored response, so no owner record (issue 24, after the "before" figures). */
  responsesUnstored: CallUnits;
  chat: CallUnits;
  responsesLimited: CallUnits;
  keys: { create: CallUnits; update: CallUnits; rotate: CallUnits; revoke: CallUnits };
  slackRotate: CallUnits;
}

/** Dollars per million calls costing these units. */
export function dollarsPerMillion(units: { writeUnits: number; indexWriteUnits: number; readUnits: number }): number {
  return round((units.writeUnits + units.indexWriteUnits) * ON_DEMAND_PRICES.writePerMillionUnits + units.readUnits * ON_DEMAND_PRICES.readPerMillionUnits, 4);
}

/** dynalite in memory with the counting proxy in front: the store a measured stack is given (DYNAMODB_ENDPOINT). */
async function countedStore(): Promise<{ proxy: DynamoThrottle; close(): Promise<void> }> {
  const dynalite = await startDynalite({ thread: true });
  const proxy = await startDynamoThrottle({ target: dynalite.endpoint, limits: false });
  return {
    proxy,
    close: async () => {
      await proxy.close();
      await dynalite.close();
    },
  };
}

/** The proxy's counters for each of `samples` calls of `call` (after-answer work included), as medians. */
export async function unitsPerCall(proxy: DynamoThrottle, idle: () => Promise<void>, samples: number, call: (i: number) => Promise<void>): Promise<CallUnits> {
  const seen: Usage[] = [];
  let operations = '';
  let writesByFamily: Record<string, number> = {};
  for (let i = 0; i < samples; i++) {
    await idle();
    proxy.reset();
    await call(i);
    await idle();
    seen.push({ ...proxy.total });
    operations = [...proxy.byOperation].map(([op, u]) => `${op} ×${u.calls}`).join(', ');
    writesByFamily = {};
    for (const [partition, usage] of proxy.partitions) {
      if (usage.writeUnits === 0) continue;
      const family = familyOf(partition);
      writesByFamily[family] = (writesByFamily[family] ?? 0) + usage.writeUnits;
    }
  }
  const m = (pick: (u: Usage) => number) => median(seen.map(pick));
  const units = { writeUnits: m((u) => u.writeUnits), indexWriteUnits: m((u) => u.indexWriteUnits), readUnits: m((u) => u.readUnits) };
  return { ...units, requests: m((u) => u.calls), dollarsPerMillion: dollarsPerMillion(units), operations, writesByFamily, samples };
}

/** `table#gsi1|{"S":"PROJECT#prj_1#KEYS"}` → `PROJECT#…#KEYS (gsi1)`: the key layout's name for a partition. */
function familyOf(partition: string): string {
  const [where, value] = [partition.slice(0, partition.indexOf('|')), partition.slice(partition.indexOf('|') + 1)];
  const index = where.includes('#') ? ` (${where.split('#')[1]})` : '';
  let pk = value;
  try {
    pk = String(Object.values(JSON.parse(value) as Record<string, unknown>)[0]);
  } catch {
    // not an attribute value: keep it as it is
  }
  return `${pk.split('#').map((part) => (/^[A-Z_-]+$/.test(part) ? part : '…')).join('#')}${index}`;
}

const BODY = '{"model":"archibot","input":"ping"}';
const UNSTORED_BODY = '{"model":"archibot","input":"ping","store":false}';
const CHAT_BODY = '{"model":"archibot","messages":[{"role":"user","content":"ping"}]}';

async function answered(res: Response, status: number, what: string): Promise<any> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`${what} answered ${res.status}: ${text.slice(0, 200)}`);
  return text ? JSON.parse(text) : undefined;
}

/** Model calls and key management through the local stack, with the counting proxy in front of its store. */
export async function measureGateway(samples: number): Promise<Omit<CapacityFigures, 'prices' | 'slackRotate'>> {
  const upstream = await startStandInUpstream(answerUnique);
  const store = await countedStore();
  let stack: TestStack | undefined;
  try {
    stack = await startTestStack({ UPSTREAM_BASE_URL: upstream.baseUrl, UPSTREAM_API_KEY: 'up-secret', DYNAMODB_ENDPOINT: store.proxy.url });
    const s = stack;
    const p = store.proxy;
    await s.services.operator.adjustCredits(s.bootstrap.accountId, 1_000_000_000);
    const operator = { kind: 'operator' as const, actor: 'cli:bench', projectId: s.bootstrap.projectId };
    const newKey = async (name: string, limits: Partial<CreateKeyInput> = {}) =>
      (await s.services.keys.create(operator, { name, type: 'viewer', rateLimit: { limit: 1_000_000, windowSeconds: 3600 }, ...limits })).secret;
    const idle = () => s.idle();
    /** A warm key's calls: the first opens its rate-limit window and is not counted. */
    const warm = async (key: string, call: (key: string) => Promise<void>) => {
      await call(key);
      return unitsPerCall(p, idle, samples, () => call(key));
    };
    const models = (key: string) => s.call('/v1/models', { key }).then((r) => answered(r, 200, 'GET /v1/models'));
    const post = (path: string, body: string) => (key: string) =>
      fetch(`${s.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body }).then((r) => answered(r, 200, `POST ${path}`));
    const responses = post('/v1/responses', BODY);

    const figures = {
      models: await warm(await newKey('capacity models'), models),
      responses: await warm(await newKey('capacity responses'), responses),
      responsesUnstored: await warm(await newKey('capacity responses, unstored'), post('/v1/responses', UNSTORED_BODY)),
      chat: await warm(await newKey('capacity chat'), post('/v1/chat/completions', CHAT_BODY)),
      responsesLimited: await warm(
        await newKey('capacity responses, limited', { budget: { credits: 1_000_000_000, period: 'month' }, tokenLimit: { tokens: 10_000_000_000, windowSeconds: 60 }, maxConcurrent: 1000 }),
        responses,
      ),
    };
    // Key management by the bootstrap admin key, each on a key of its own.
    const admin = s.adminKey;
    await models(admin);
    const ids: string[] = [];
    const create = await unitsPerCall(p, idle, samples, async (i) => {
      ids.push((await answered(await s.call('/v1/keys', { key: admin, body: { name: `capacity key ${i}`, type: 'viewer' } }), 201, 'POST /v1/keys')).id);
    });
    const update = await unitsPerCall(p, idle, samples, async (i) => {
      await answered(await s.call(`/v1/keys/${ids[i]}`, { key: admin, method: 'PATCH', body: { name: `capacity key ${i}, renamed` } }), 200, 'PATCH /v1/keys/{id}');
    });
    const rotate = await unitsPerCall(p, idle, samples, async (i) => {
      ids[i] = (await answered(await s.call(`/v1/keys/${ids[i]}/rotate`, { key: admin, body: {} }), 201, 'POST /v1/keys/{id}/rotate')).id ?? ids[i];
    });
    const revoke = await unitsPerCall(p, idle, samples, async (i) => {
      await answered(await s.call(`/v1/keys/${ids[i]}/revoke`, { key: admin, body: {} }), 200, 'POST /v1/keys/{id}/revoke');
    });
    return { ...figures, keys: { create, update, rotate, revoke } };
  } finally {
    await stack?.stop();
    await store.close();
    await upstream.close();
  }
}

/**
 * Slack `/apikeys rotate <key>` with its confirmation click, warm (a second rotate on the same
 * instance), through the real Slack mount against the local stack (as slack-rotate.ts measures
 * its hops): every unit of the flow, the replay guard's claims and the usage records included.
 */
async function measureSlack(samples: number): Promise<CallUnits> {
  const store = await countedStore();
  const h = await startSlackHarness({ DYNAMODB_ENDPOINT: store.proxy.url }).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  try {
    const issue = async (name: string) => {
      const res = await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name, type: 'viewer' } });
      if (res.status !== 201) throw new Error(`POST /v1/keys answered ${res.status}`);
      await h.stack.call('/v1/models', { key: res.body.key as string });
    };
    const rotate = async (name: string) => {
      const asked = await h.command(`rotate ${name}`);
      const confirm = await h.answer(asked.responseId);
      const click = await h.click('kw_confirm', buttonValue(confirm.body, 'kw_confirm'));
      const done = await h.answer(click.responseId);
      if (keysIn(done).length !== 1) throw new Error(`the click did not deliver a new key: ${done.raw.slice(0, 200)}`);
    };
    await issue('capacity rotate cold');
    await rotate('capacity rotate cold');
    for (let i = 0; i < samples; i++) await issue(`capacity rotate ${i}`);
    return await unitsPerCall(store.proxy, () => h.stack.idle(), samples, (i) => rotate(`capacity rotate ${i}`));
  } finally {
    await h.stop();
    await store.close();
  }
}

export async function measureCapacity(samples = 5): Promise<CapacityFigures> {
  return { prices: ON_DEMAND_PRICES, ...(await measureGateway(samples)), slackRotate: await measureSlack(Math.min(samples, 3)) };
}

/**
 * Issue 23's targets for write units: at most half of the "before" figures (docs/operating.md §8,
 * measured 2026-12-06), item and index writes together: 9 WRU for a warm model call (POST
 * /v1/responses and POST /v1/chat/completions alike then), 7 for GET /v1/models.
 */
const HALF_OF_BEFORE = { units: 9 / 2, target: '≤ 4.5 WRU (half of the 9 before, issue 23)' };
const HALF_OF_BEFORE_READS = { units: 7 / 2, target: '≤ 3.5 WRU (half of the 7 before, issue 23)' };

function verdict(u: CallUnits, half = HALF_OF_BEFORE): string {
  return u.writeUnits + u.indexWriteUnits <= half.units ? 'met' : 'not met';
}

/** The bench's rows: [measure, figure, target, verdict]. */
export function capacityRows(c: CapacityFigures): [string, string, string, string][] {
  const figure = (u: CallUnits) => `${u.writeUnits} + ${u.indexWriteUnits} index WRU, ${u.readUnits} RRU = $${u.dollarsPerMillion}/M`;
  const rows: [string, string, string, string][] = [
    [`DynamoDB units per call (on-demand ${c.prices.region} ${c.prices.asOf}: $${c.prices.writePerMillionUnits}/M WRU, $${c.prices.readPerMillionUnits}/M RRU)`, 'write + index write, read = $ per million calls', '', ''],
    ['  … POST /v1/responses, warm key (answer and after-answer work; the stored response’s owner record included)', figure(c.responses), HALF_OF_BEFORE.target, verdict(c.responses)],
    ['  … POST /v1/responses with store: false (the work the 9 before measured: no owner record then)', figure(c.responsesUnstored), HALF_OF_BEFORE.target, verdict(c.responsesUnstored)],
    ['  … POST /v1/chat/completions, warm key', figure(c.chat), HALF_OF_BEFORE.target, verdict(c.chat)],
    ['  … POST /v1/responses, a key with a budget, a token limit and a concurrency cap', figure(c.responsesLimited), HALF_OF_BEFORE.target, verdict(c.responsesLimited)],
    ['  … GET /v1/models, warm key', figure(c.models), HALF_OF_BEFORE_READS.target, verdict(c.models, HALF_OF_BEFORE_READS)],
    ['  … POST /v1/keys (create)', figure(c.keys.create), '', ''],
    ['  … PATCH /v1/keys/{id}', figure(c.keys.update), '', ''],
    ['  … POST /v1/keys/{id}/rotate', figure(c.keys.rotate), '', ''],
    ['  … POST /v1/keys/{id}/revoke', figure(c.keys.revoke), '', ''],
    ['  … Slack /apikeys rotate + confirm click (claims and usage records included)', figure(c.slackRotate), '', ''],
  ];
  return rows;
}
