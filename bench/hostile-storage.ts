/**
 * The storage half of `npm run hostile` (issue 23 points 4 and 5 at scale; `npm test` has the
 * bounded versions: lost-answers*.test.ts, throttled-store.test.ts, records-throttled.test.ts).
 * Each run is the whole stack on an external store (DYNAMODB_ENDPOINT), a real dynalite behind:
 *
 *   - lost answers: the fault proxy (test/support/dynamo-fault-proxy.ts) lets every write land
 *     and drops the answer of 1 in 10, which the shipped transport then sends again, as the SDK
 *     does;
 *   - throttling: the bench's throttling layer (bench/dynamo-throttle.ts) holding every partition
 *     to a fiftieth of DynamoDB's limits (20 WCU, 60 RCU a second), under many times the load
 *     that lets through,
 *
 * with four keys at once: one plain, one with a rate limit, one with a budget, a token limit and
 * a concurrency cap, and one making calls that are not model calls; model calls on both APIs,
 * streamed and not. A violation: an answer other than 200, 429, or 503 with Retry-After; a
 * request unanswered after 30 s; the balance moved otherwise than the usage records charged; a
 * rate limit admitting more than it allows; a budget spent beyond itself or otherwise than its
 * records; a slot left held; a key's or the account's daily counters not adding up to their
 * records. It asserts nothing; bench/hostile.ts prints the figures and adds up the violations.
 * Run alone: `npx tsx bench/hostile-storage.ts`.
 */
import { roundCredits } from '../lambdas/core/credits';
import { createTable, startDynalite } from '../test/support/dynalite';
import { startDynamoFaultProxy } from '../test/support/dynamo-fault-proxy';
import { startTestStack, type TestStack } from '../test/support/local-stack';
import { answerUnique, startStandInUpstream, type StandInUpstream } from '../test/http/openai-relay/stand-in-upstream';
import { balance, setBalance, usageOf } from '../test/http/openai-relay/stack-helpers';
import { DYNAMODB_PARTITION_LIMITS, startDynamoThrottle } from './dynamo-throttle';

const CALLS = Number(process.env.HOSTILE_STORAGE_CALLS ?? 2000);
const CONCURRENCY = 32;
const TIMEOUT_MS = 30_000;
const RATE_LIMIT = 150;
const BUDGET = 3;
const SCALE = 0.02;

type Figures = Record<string, string | number>;
type Kind = 'responses' | 'responses-stream' | 'chat' | 'chat-stream' | 'models';

interface Tally {
  statuses: Record<number, number>;
  slowestMs: number;
  hung: number;
  retryAfterMissing: number;
}

export async function hostileStorage(): Promise<{ figures: Figures; violations: string[] }> {
  const figures: Figures = {};
  const violations: string[] = [];
  const upstream = await startStandInUpstream(answerUnique);
  try {
    await lostAnswers(upstream, figures, violations);
    await throttled(upstream, figures, violations);
  } finally {
    await upstream.close();
  }
  return { figures, violations };
}

/** The stack behind the fault proxy, 1 write answer in 10 dropped after it landed. */
async function lostAnswers(upstream: StandInUpstream, figures: Figures, violations: string[]): Promise<void> {
  const db = await startDynalite();
  await createTable(db.endpoint, 'keywarden');
  const proxy = await startDynamoFaultProxy({ upstream: db.endpoint });
  let stack: TestStack | undefined;
  try {
    stack = await startTestStack({ DYNAMODB_ENDPOINT: proxy.endpoint, UPSTREAM_BASE_URL: upstream.baseUrl, UPSTREAM_API_KEY: 'up-secret' });
    const writes = new Set(['UpdateItem', 'PutItem', 'BatchWriteItem', 'DeleteItem']);
    await underFaults(stack, 'lost answers', figures, violations, () => proxy.setPolicy((target, _body, n) => (writes.has(target) && n % 10 === 0 ? 'drop-answer' : 'forward')), () => proxy.setPolicy(() => 'forward'));
    figures['lost answers: write answers dropped after the write landed'] = Object.values(proxy.counts).reduce((sum, c) => sum + c.dropped, 0);
  } finally {
    await stack?.stop();
    await proxy.close();
    await db.close();
  }
}

/** The stack behind the throttling layer at a fiftieth of DynamoDB's per-partition limits, set up and checked through it too (with pauses that let its buckets fill). */
async function throttled(upstream: StandInUpstream, figures: Figures, violations: string[]): Promise<void> {
  const db = await startDynalite();
  const limits = { ...DYNAMODB_PARTITION_LIMITS, writeUnitsPerSecond: DYNAMODB_PARTITION_LIMITS.writeUnitsPerSecond * SCALE, readUnitsPerSecond: DYNAMODB_PARTITION_LIMITS.readUnitsPerSecond * SCALE };
  const throttle = await startDynamoThrottle({ target: db.endpoint, limits });
  let stack: TestStack | undefined;
  try {
    stack = await startTestStack({ DYNAMODB_ENDPOINT: throttle.url, UPSTREAM_BASE_URL: upstream.baseUrl, UPSTREAM_API_KEY: 'up-secret' });
    const pause = () => new Promise((resolve) => setTimeout(resolve, 2_000));
    await underFaults(stack, 'throttled', figures, violations, async () => (await pause(), throttle.reset()), pause);
    const refused = throttle.total.throttled;
    figures[`throttled: requests refused by the throttle (${limits.writeUnitsPerSecond} WCU / ${limits.readUnitsPerSecond} RCU per partition)`] = refused;
    if (refused === 0) violations.push('the throttled run was never throttled: it proves nothing');
  } finally {
    await stack?.stop();
    await throttle.close();
    await db.close();
  }
}

/** The four keys' calls with the faults on (`on` … `off`), then every check. */
async function underFaults(stack: TestStack, run: string, figures: Figures, violations: string[], on: () => unknown, off: () => unknown): Promise<void> {
  await setBalance(stack, 1_000_000);
  const keyOf = async (name: string, extra: Record<string, unknown> = {}) => {
    for (let attempt = 0; ; attempt++) {
      const made = await stack.json<{ id: string; key: string }>('/v1/keys', { key: stack.adminKey, body: { name, type: 'viewer', rateLimit: { limit: 6000, windowSeconds: 60 }, ...extra } });
      if (made.status === 201) return made.body;
      // A throttled store answers 503 + Retry-After: as a client does, wait and ask again.
      if (made.status !== 503 || attempt === 10) throw new Error(`${run}: POST /v1/keys answered ${made.status}: ${JSON.stringify(made.body)}`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  };
  const plain = await keyOf(`${run}: plain`);
  const limited = await keyOf(`${run}: rate-limited`, { rateLimit: { limit: RATE_LIMIT, windowSeconds: 3600 } });
  const budgeted = await keyOf(`${run}: budgeted`, { budget: { credits: BUDGET, period: 'month' }, tokenLimit: { tokens: 10_000_000, windowSeconds: 3600 }, maxConcurrent: 4 });
  const reader = await keyOf(`${run}: reader`);
  const before = await balance(stack);
  const kinds: Kind[] = ['responses', 'chat', 'responses-stream', 'chat-stream', 'models'];
  // A quarter each: the plain key's model calls, the limited key (twice its limit), the budgeted key, the reader's /v1/models.
  const jobs = Array.from({ length: CALLS }, (_, i) => {
    const which = i % 4;
    if (which === 3) return { key: reader, kind: 'models' as Kind };
    return { key: [plain, limited, budgeted][which]!, kind: kinds[Math.floor(i / 4) % 4]! };
  });
  const tally: Tally = { statuses: {}, slowestMs: 0, hung: 0, retryAfterMissing: 0 };
  const perKey = new Map<string, Record<number, number>>();
  await on();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let job = jobs.shift(); job; job = jobs.shift()) {
        const status = await call(stack, job.key.key, job.kind, tally);
        const mine = perKey.get(job.key.id) ?? {};
        mine[status] = (mine[status] ?? 0) + 1;
        perKey.set(job.key.id, mine);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await stack.idle();
  await off();
  await stack.idle();

  figures[`${run}: calls (4 keys, c=${CONCURRENCY})`] = `${CALLS} in ${seconds.toFixed(1)} s`;
  figures[`${run}: answers`] = Object.entries(tally.statuses).map(([code, n]) => `${n} × ${code}`).join(', ');
  figures[`${run}: slowest answer`] = `${Math.round(tally.slowestMs)} ms`;
  const other = Object.keys(tally.statuses).map(Number).filter((s) => s !== 0 && ![200, 429, 503].includes(s));
  if (other.length) violations.push(`${run}: answers other than 200, 429, 503: ${other.join(', ')}`);
  if (tally.hung) violations.push(`${run}: ${tally.hung} requests unanswered after ${TIMEOUT_MS / 1000} s`);
  if (tally.retryAfterMissing) violations.push(`${run}: ${tally.retryAfterMissing} 503s without Retry-After`);

  // Money: the balance moved by what the records charged, to the credit.
  const records = new Map<string, { requests: number; tokens: number; credits: number }>();
  for (const key of [plain, limited, budgeted, reader]) records.set(key.id, await recordsOf(stack, key.id));
  const charged = roundCredits([...records.values()].reduce((sum, r) => sum + r.credits, 0));
  const debited = roundCredits(before - (await balance(stack)));
  figures[`${run}: credits debited / charged in usage records`] = `${debited} / ${charged}`;
  if (debited !== charged) violations.push(`${run}: the balance moved by ${debited}, the usage records charged ${charged}`);

  // Limits: the rate limit admitted at most its limit; the budget spent at most itself, exactly what its records charged; no slot held.
  const admitted = perKey.get(limited.id)?.[200] ?? 0;
  figures[`${run}: rate limit ${RATE_LIMIT} an hour, calls admitted`] = admitted;
  if (admitted > RATE_LIMIT) violations.push(`${run}: a rate limit of ${RATE_LIMIT} admitted ${admitted}`);
  const kept = (await stack.services.store.getKey(budgeted.id)) as unknown as Record<string, unknown> & { budget?: { credits: number } };
  const spent = roundCredits(BUDGET - Number(kept.budgetLeft ?? BUDGET));
  const budgetCharged = roundCredits(records.get(budgeted.id)!.credits);
  figures[`${run}: budget ${BUDGET} credits, spent / charged in its records`] = `${spent} / ${budgetCharged}`;
  if (spent > BUDGET || spent !== budgetCharged) violations.push(`${run}: a budget of ${BUDGET} spent ${spent}, its records charged ${budgetCharged}`);
  const held = Object.entries(kept).filter(([name, lease]) => /^slot\d+$/.test(name) && lease !== undefined);
  if (held.length) violations.push(`${run}: ${held.length} concurrency slots left held`);

  // Daily counters: each key's days, and the account's, add up to their records.
  for (const key of [plain, limited, budgeted, reader]) {
    const days = await daysOf(stack, `keyId=${key.id}&`);
    const log = records.get(key.id)!;
    if (days.requests !== log.requests || days.tokens !== log.tokens || days.credits !== roundCredits(log.credits)) {
      violations.push(`${run}: key ${key.id}'s days say ${JSON.stringify(days)}, its records ${JSON.stringify(log)}`);
    }
  }
  figures[`${run}: each key's days = its usage records`] = [...records.values()].map((r) => r.requests).join(' + ') + ' calls';
}

async function call(stack: TestStack, key: string, kind: Kind, tally: Tally): Promise<number> {
  const started = performance.now();
  const stream = kind.endsWith('-stream');
  const [path, body] =
    kind === 'models'
      ? ['/v1/models', undefined]
      : kind.startsWith('chat')
        ? ['/v1/chat/completions', { model: 'archibot', messages: [{ role: 'user', content: 'hostile storage' }], ...(stream ? { stream: true } : {}) }]
        : ['/v1/responses', { model: 'archibot', input: 'hostile storage', ...(stream ? { stream: true } : {}) }];
  let status = 0;
  try {
    const res = await fetch(`${stack.url}${path}`, {
      method: body ? 'POST' : 'GET',
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    await res.text();
    status = res.status;
    if (status === 503 && !(Number(res.headers.get('retry-after')) > 0)) tally.retryAfterMissing += 1;
  } catch (err) {
    if (err instanceof Error && err.name === 'TimeoutError') tally.hung += 1;
    else throw err;
  }
  tally.slowestMs = Math.max(tally.slowestMs, performance.now() - started);
  tally.statuses[status] = (tally.statuses[status] ?? 0) + 1;
  return status;
}

/** A key's usage records as its days count them: requests, tokens, credits. */
async function recordsOf(stack: TestStack, keyId: string): Promise<{ requests: number; tokens: number; credits: number }> {
  const { records, tokens, charged } = await usageOf(stack, keyId);
  return { requests: records, tokens, credits: roundCredits(charged) };
}

/** A key's (or the account's) last two UTC days, summed: a run may cross midnight. */
export async function daysOf(stack: TestStack, filter: string): Promise<{ requests: number; tokens: number; credits: number }> {
  const res = await stack.json<{ data: Array<{ requests: number; tokens: number; credits: number }> }>(`/v1/usage/daily?${filter}days=2`, { key: stack.adminKey });
  if (res.status !== 200) throw new Error(`GET /v1/usage/daily answered ${res.status}`);
  return res.body.data.reduce((a, d) => ({ requests: a.requests + d.requests, tokens: a.tokens + d.tokens, credits: roundCredits(a.credits + d.credits) }), { requests: 0, tokens: 0, credits: 0 });
}

if (process.argv[1]?.endsWith('hostile-storage.ts')) {
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { figures, violations } = await hostileStorage();
  for (const [name, value] of Object.entries(figures)) console.log(`  ${name.padEnd(64)} ${value}`);
  console.log(`\nViolations: ${violations.length}`);
  for (const v of violations) console.log(`  ${v}`);
  process.exit(0);
}
