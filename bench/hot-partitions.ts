import { Worker } from 'node:worker_threads';
import { cpus, loadavg } from 'node:os';
import { startDynalite } from '../lambdas/adapters/dynalite-server';
import { answerUnique, startStandInUpstream } from '../test/http/openai-relay/stand-in-upstream';
import { startTestStack, type TestStack } from '../test/support/local-stack';
import { DYNAMODB_PARTITION_LIMITS, startDynamoThrottle, type DynamoThrottle, type ThrottleLimits } from './dynamo-throttle';
import { round } from './stats';
import { USAGE_SHARDS } from '../lambdas/adapters/store/table';

/**
 * Hot partitions under DynamoDB's per-partition limits (issue 23 point 2): the local stack on an
 * external store (DYNAMODB_ENDPOINT) that is dynalite behind the throttling layer
 * (dynamo-throttle.ts), a stand-in upstream on 127.0.0.1, and POST /v1/responses driven as fast as
 * `concurrency` loops in a worker thread go, for `seconds`:
 *
 *   - account: one account, many keys of one project (each with a limit that never binds): the
 *     account's balance item is the partition every call writes. Exact after: the balance went
 *     down by what the usage records of those keys say was charged.
 *   - key: one key whose rate limit is 2,000 calls a second: its own item is written by every
 *     call. Admitted per window (grouped by the answers' `x-ratelimit-reset`, the server's own
 *     window) must stay ≤ the limit.
 *
 * This machine's 2 shared cores cap the stack far below 1,000 calls a second, so at DynamoDB's
 * real limits the throttle rarely bites and the figure is the CPU's. The same two runs are then
 * made with every partition held to a tenth (100 WCU / 300 RCU a second, the key's limit scaled
 * alike to 200/s): there the partition binds, and calls/s ÷ the partition's WCU/s is what the
 * 10× target is about (two account writes per call is ≈ 0.5 calls per WCU; 10× is ≥ 5).
 * The CPU figure (all threads of this process, cores busy) says which of the two was limiting.
 * Last, the account alone at a scale where the project's usage shards bind well below the CPU
 * (`boundScaleFor`: a fiftieth, or less on a machine the first run found slower).
 */
export interface HotRun {
  scenario: 'account' | 'key';
  limits: { writeUnitsPerSecond: number; readUnitsPerSecond: number };
  keys: number;
  rateLimit: { limit: number; windowSeconds: number };
  concurrency: number;
  seconds: number;
  /** Answers by status (`failed`: no answer at all). */
  statuses: Record<string, number>;
  okPerSecond: number;
  /** CPU-seconds a second over the load, every thread of the process (dynalite, proxy, stack, client). */
  cpuCores: number;
  /** How long the after-answer work (settlement, usage records) took to drain once the load stopped. */
  drainSeconds: number;
  /** Calls answered 200 ÷ (load + drain): the rate at which calls were answered and their records written. */
  durablePerSecond: number;
  /** The scenario's hot item: the account's balance or the key's item. */
  hot: { family: string; writeUnitsPerCall: number; wcuPerSecond: number; refused: number };
  /** Refusals by partition (ids elided), the most refused first; units over the load. */
  partitions: { family: string; writeUnits: number; readUnits: number; refused: number }[];
  refused: number;
  /**
   * Calls per write unit on the busiest partition of each family (one partition, or the busiest of
   * many: a usage shard, one of many keys), the fewest first: what each allows at a partition's
   * WCU a second, whatever the CPU managed here. The first is the partition that binds first.
   */
  callsPerWcuByPartition: { family: string; callsPerWcu: number }[];
  /** Calls a second sustained ÷ the partition's WCU a second. */
  callsPerWcu: number;
  /** The machine's 1-minute load average at the end of the load (its cores are shared). */
  loadAverage: number;
  exact: { debited: number; recorded: number; records: number; ok: boolean };
  windows?: { count: number; maxAdmitted: number; over: number };
}

export interface HotPartitionFigures {
  real: HotRun[];
  scaled: HotRun[];
  /** The account scenario with every partition held low enough that one binds before the CPU does. */
  bound: HotRun[];
}

const BODY = '{"model":"archibot","input":"ping"}';
const KEY_LIMIT_PER_SECOND = 2000;
const ACCOUNT_KEYS = 64;
const credits = (n: number) => Math.round(n * 1e6) / 1e6;

/**
 * The client: `concurrency` loops, loop i on key i mod keys, counting answers by status and the
 * admitted calls by their rate-limit window; a loop answered 503 waits its Retry-After (a 429 does
 * not: the hot key's flood is meant to keep knocking). Plain JS in a worker so the client shares no event
 * loop with the stack; the raw keys stay in memory, never printed.
 */
const CLIENT = `
const { parentPort, workerData } = require('node:worker_threads');
const { url, keys, body, concurrency, durationMs } = workerData;
(async () => {
  const statuses = {};
  const windows = {};
  const start = performance.now();
  const until = start + durationMs;
  await Promise.all(Array.from({ length: concurrency }, async (_, i) => {
    const headers = { authorization: 'Bearer ' + keys[i % keys.length], 'content-type': 'application/json' };
    while (performance.now() < until) {
      let status = 'failed';
      try {
        const res = await fetch(url, { method: 'POST', headers, body });
        await res.arrayBuffer();
        status = String(res.status);
        const w = res.headers.get('x-ratelimit-reset');
        if (res.status === 200 && w) windows[w] = (windows[w] || 0) + 1;
        // A 503 says when to come back (the store catching up): this loop waits that long, as OpenAI's SDKs do.
        const after = Number(res.headers.get('retry-after'));
        if (res.status === 503 && after > 0) await new Promise((r) => setTimeout(r, Math.min(after * 1000, Math.max(0, until - performance.now()))));
      } catch {}
      statuses[status] = (statuses[status] || 0) + 1;
    }
  }));
  parentPort.postMessage({ statuses, windows, elapsedMs: performance.now() - start });
})();
`;

async function drive(url: string, keys: string[], concurrency: number, durationMs: number) {
  const worker = new Worker(CLIENT, { eval: true, workerData: { url, keys, body: BODY, concurrency, durationMs } });
  try {
    return await new Promise<{ statuses: Record<string, number>; windows: Record<string, number>; elapsedMs: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  } finally {
    await worker.terminate();
  }
}

/** `table#gsi1|{"S":"KEY#key_1#USAGE"}` → `KEY#…#USAGE (gsi1)`: the key layout's name for a partition. */
export function familyOf(partition: string): string {
  const bar = partition.indexOf('|');
  const where = partition.slice(0, bar);
  let pk = partition.slice(bar + 1);
  try {
    pk = String(Object.values(JSON.parse(pk) as Record<string, unknown>)[0]);
  } catch {
    // not an attribute value: keep it as it is
  }
  const index = where.includes('#') ? ` (${where.split('#')[1]})` : '';
  return `${pk.split('#').map((part) => (/^[A-Z_-]+$/.test(part) ? part : '…')).join('#')}${index}`;
}

/**
 * A setup step (a key's creation) under the scaled limits, which its burst of writes on the
 * project's partitions may spend past the SDK's three attempts: tried again after a pause. A
 * creation refused part-way is made again whole (what it wrote before the refusal, an audit
 * record, stays; the key it never stored is not issued), so each key is issued once.
 */
async function throttledSetup<T>(step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (attempt >= 20 || !/ProvisionedThroughputExceeded|Throttling/.test((err as Error).name ?? '')) throw err;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

/** One scenario on a running stack: fresh keys, the load, the drain, the exactness check. */
async function scenario(
  s: TestStack,
  proxy: DynamoThrottle,
  limits: ThrottleLimits,
  which: 'account' | 'key',
  options: { seconds: number; concurrency: number; scale: number },
): Promise<HotRun> {
  const operator = { kind: 'operator' as const, actor: 'cli:bench', projectId: s.bootstrap.projectId };
  const rateLimit = which === 'key' ? { limit: Math.max(1, Math.round(KEY_LIMIT_PER_SECOND * options.scale)), windowSeconds: 1 } : { limit: 1_000_000_000, windowSeconds: 3600 };
  const issued = [];
  for (let i = 0; i < (which === 'account' ? ACCOUNT_KEYS : 1); i++) issued.push(await throttledSetup(() => s.services.keys.create(operator, { name: `hot ${which} ${i}`, type: 'viewer', rateLimit })));
  const balance = async () => {
    await s.idle();
    return (await s.services.store.getAccount(s.bootstrap.accountId))!.credits;
  };
  // The keys' own announcements (key.created, through the outbox partition the scaled limits hold
  // too) are setup: delivered before the load, so the drain after it is the calls' work alone.
  for (let pass = 0; pass < 120 && (await s.services.store.dueEvents(s.services.clock.now(), 1)).length > 0; pass++) {
    await s.services.relay.runDue().catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const before = await balance();
  proxy.reset();
  const cpu = process.cpuUsage();
  const load = await drive(`${s.url}/v1/responses`, issued.map((k) => k.secret), options.concurrency, options.seconds * 1000);
  const used = process.cpuUsage(cpu);
  const loadAverage = loadavg()[0]!;
  const drainStart = performance.now();
  const after = await balance();
  const drainSeconds = round((performance.now() - drainStart) / 1000);

  let recorded = 0;
  let records = 0;
  for (const { key } of issued) {
    let cursor: string | undefined;
    do {
      const page = await s.services.store.queryUsage({ projectId: s.bootstrap.projectId, keyId: key.id, limit: 500, cursor });
      for (const r of page.items) recorded += r.credits ?? 0;
      records += page.items.length;
      cursor = page.nextCursor;
    } while (cursor);
  }
  const debited = credits(before - after);
  recorded = credits(recorded);
  const ok = load.statuses['200'] ?? 0;

  const byFamily = new Map<string, { family: string; writeUnits: number; readUnits: number; refused: number; count: number; busiest: number }>();
  for (const [name, p] of proxy.partitions) {
    const family = familyOf(name);
    const f = byFamily.get(family) ?? { family, writeUnits: 0, readUnits: 0, refused: 0, count: 0, busiest: 0 };
    f.count += 1;
    f.busiest = Math.max(f.busiest, p.writeUnits);
    f.writeUnits += p.writeUnits;
    f.readUnits += p.readUnits;
    f.refused += p.throttled;
    byFamily.set(family, f);
  }
  const families = [...byFamily.values()].sort((a, b) => b.refused - a.refused || b.writeUnits - a.writeUnits);
  // The hot item: in `account` the account's partition; in `key` the one key's (no other key is used then).
  const hotName = which === 'account' ? 'ACCOUNT#…' : 'KEY#…';
  const hotFamily = byFamily.get(hotName) ?? { family: hotName, writeUnits: 0, readUnits: 0, refused: 0, count: 0, busiest: 0 };
  // Each partition key is its own partition: a family of many (the usage shards, many keys) is as
  // hot as its busiest member.
  const callsPerWcuByPartition = families
    .filter((f) => f.busiest > 0)
    .map((f) => ({ family: f.count > 1 ? `${f.family} (busiest of ${f.count})` : f.family, callsPerWcu: round(ok / f.busiest, 2) }))
    .sort((a, b) => a.callsPerWcu - b.callsPerWcu)
    .slice(0, 5);
  const seconds = load.elapsedMs / 1000;
  const okPerSecond = ok / seconds;
  const windows = Object.values(load.windows);
  return {
    scenario: which,
    limits: { writeUnitsPerSecond: limits.writeUnitsPerSecond, readUnitsPerSecond: limits.readUnitsPerSecond },
    keys: issued.length,
    rateLimit,
    concurrency: options.concurrency,
    seconds: round(seconds, 1),
    statuses: load.statuses,
    okPerSecond: round(okPerSecond, 0),
    cpuCores: round((used.user + used.system) / 1000 / load.elapsedMs),
    drainSeconds,
    durablePerSecond: round(ok / (seconds + drainSeconds), 0),
    hot: {
      family: hotFamily.family,
      writeUnitsPerCall: round(hotFamily.writeUnits / Math.max(ok, 1), 3),
      wcuPerSecond: round(hotFamily.writeUnits / seconds, 0),
      refused: hotFamily.refused,
    },
    partitions: families.slice(0, 6).map((f) => ({ family: f.family, writeUnits: round(f.writeUnits, 1), readUnits: round(f.readUnits, 1), refused: f.refused })),
    callsPerWcuByPartition,
    refused: proxy.total.throttled,
    callsPerWcu: round(okPerSecond / limits.writeUnitsPerSecond, 2),
    loadAverage: round(loadAverage, 1),
    exact: { debited, recorded, records, ok: debited === recorded && records >= ok },
    ...(which === 'key' ? { windows: { count: windows.length, maxAdmitted: Math.max(0, ...windows), over: windows.filter((n) => n > rateLimit.limit).length } } : {}),
  };
}

/** dynalite behind the throttle at `limits`, a stack on it, the scenarios asked for. */
async function underLimits(limits: ThrottleLimits, scale: number, options: { seconds: number; concurrency: number }, scenarios: Array<'account' | 'key'> = ['account', 'key']): Promise<HotRun[]> {
  const upstream = await startStandInUpstream(answerUnique);
  const dynalite = await startDynalite({ thread: true });
  const proxy = await startDynamoThrottle({ target: dynalite.endpoint, limits });
  let stack: TestStack | undefined;
  try {
    stack = await startTestStack({ UPSTREAM_BASE_URL: upstream.baseUrl, UPSTREAM_API_KEY: 'up-secret', DYNAMODB_ENDPOINT: proxy.url });
    await stack.services.operator.adjustCredits(stack.bootstrap.accountId, 1_000_000_000);
    const runs: HotRun[] = [];
    for (const which of scenarios) {
      runs.push(await scenario(stack, proxy, limits, which, { ...options, scale }));
      upstream.reset();
    }
    return runs;
  } finally {
    await stack?.stop();
    await proxy.close();
    await dynalite.close();
    await upstream.close();
  }
}

/**
 * Both scenarios at DynamoDB's limits, then with every partition held to `HOT_PARTITIONS_SCALE`
 * (default 0.1) of them; then the account alone at `HOT_PARTITIONS_BOUND_SCALE` (default 0.02),
 * where a partition binds well below what this machine's CPU serves — what the account sustains
 * there, records written, ÷ a partition's WCU is the ratio, measured and not inferred.
 */
export async function measureHotPartitions(
  options: { seconds?: number; concurrency?: number; scale?: number; boundScale?: number } = {},
): Promise<HotPartitionFigures> {
  const seconds = options.seconds ?? Number(process.env.HOT_PARTITIONS_SECONDS ?? 15);
  const concurrency = options.concurrency ?? Number(process.env.HOT_PARTITIONS_CONCURRENCY ?? 64);
  const scale = options.scale ?? Number(process.env.HOT_PARTITIONS_SCALE ?? 0.1);
  const boundScaleAsked = options.boundScale ?? (process.env.HOT_PARTITIONS_BOUND_SCALE ? Number(process.env.HOT_PARTITIONS_BOUND_SCALE) : undefined);
  const scaledTo = (k: number): ThrottleLimits => ({
    ...DYNAMODB_PARTITION_LIMITS,
    writeUnitsPerSecond: DYNAMODB_PARTITION_LIMITS.writeUnitsPerSecond * k,
    readUnitsPerSecond: DYNAMODB_PARTITION_LIMITS.readUnitsPerSecond * k,
  });
  const real = await underLimits(DYNAMODB_PARTITION_LIMITS, 1, { seconds, concurrency });
  const scaled = await underLimits(scaledTo(scale), scale, { seconds, concurrency });
  const boundScale = boundScaleAsked ?? boundScaleFor(real.find((r) => r.scenario === 'account')?.okPerSecond);
  const bound = await underLimits(scaledTo(boundScale), boundScale, { seconds, concurrency }, ['account']);
  return { real, scaled, bound };
}

/**
 * The scale at which the project's usage shards bind well below what this machine's CPU serves:
 * a fiftieth of DynamoDB's limits (20 WCU/s a partition) on a machine that serves ≥ 320 calls/s at
 * the real limits, less on a slower one (or a busier moment), so the 8 shards together take about
 * half of what the CPU served (`cpuBound`, the account at the real limits) — else the row would
 * measure the CPU again. Three significant digits; at least a thousandth.
 */
export function boundScaleFor(cpuBound: number | undefined): number {
  if (cpuBound === undefined || !Number.isFinite(cpuBound) || cpuBound <= 0) return 0.02;
  const perShard = (cpuBound / 2) / USAGE_SHARDS;
  const scale = Math.min(0.02, Math.max(0.001, perShard / DYNAMODB_PARTITION_LIMITS.writeUnitsPerSecond));
  return Number(scale.toPrecision(3));
}

/** Before leased credits: two balance writes per call, ≈ 0.5 calls per WCU; the issue asks 10× that (a lease of 20 reservations writes it ≈ once per 20 calls). */
const ACCOUNT_CALLS_PER_WCU_TARGET = 5;

/** The bench's rows: [measure, figure, target, verdict]. */
export function hotPartitionRows(h: HotPartitionFigures): [string, string, string, string][] {
  const rows: [string, string, string, string][] = [];
  const verdict = (met: boolean) => (met ? 'met' : 'MISSED');
  const statuses = (r: HotRun) => Object.entries(r.statuses).map(([code, n]) => `${n} × ${code}`).join(', ');
  for (const [label, runs] of [['DynamoDB limits', h.real], ['limits scaled', h.scaled], ['limits scaled until a partition binds', h.bound ?? []]] as const) {
    for (const r of runs) {
      const where = `${r.limits.writeUnitsPerSecond} WCU / ${r.limits.readUnitsPerSecond} RCU per partition (${label})`;
      const refused = r.partitions.filter((p) => p.refused > 0);
      // What held the calls back: the most refused partition, or the CPU when none was refused.
      const bound = refused[0] ? `throttle-bound: ${refused[0].family}` : 'CPU-bound (no partition refused)';
      const ceiling = round(r.limits.writeUnitsPerSecond / Math.max(r.hot.writeUnitsPerCall, 0.001), 0);
      if (r.scenario === 'account') {
        rows.push([`Hot account: ${r.keys} keys, POST /v1/responses at c=${r.concurrency}, ${where}`, `${r.okPerSecond} calls/s over ${r.seconds} s; ${statuses(r)}`, '', '']);
        // Where a partition binds, what is sustained is what got its records written: answered ÷ (load + drain).
        const binding = label === 'limits scaled until a partition binds';
        const ratio = binding ? round(r.durablePerSecond / r.limits.writeUnitsPerSecond, 2) : r.callsPerWcu;
        rows.push([
          binding ? "  … calls/s sustained, records written (200s ÷ (load + drain)), ÷ a partition's WCU/s" : "  … calls/s sustained ÷ a partition's WCU/s",
          binding ? `${ratio}: ${r.durablePerSecond} calls/s ÷ ${r.limits.writeUnitsPerSecond} (${bound})` : `${ratio} (${bound})`,
          `≥ ${ACCOUNT_CALLS_PER_WCU_TARGET} (10× of 0.5)`,
          binding || refused.length > 0 || ratio >= ACCOUNT_CALLS_PER_WCU_TARGET ? verdict(ratio >= ACCOUNT_CALLS_PER_WCU_TARGET) : '',
        ]);
        const first = r.callsPerWcuByPartition[0];
        rows.push([
          '  … calls per WCU by partition, the fewest first → calls/s at 1,000 WCU/s',
          r.callsPerWcuByPartition.map((p) => `${p.family} ${p.callsPerWcu} (${round(p.callsPerWcu * 1000, 0)}/s)`).join(', '),
          `≥ ${ACCOUNT_CALLS_PER_WCU_TARGET} on each`,
          first ? verdict(first.callsPerWcu >= ACCOUNT_CALLS_PER_WCU_TARGET) : '',
        ]);
        rows.push([
          `  … the balance item ${r.hot.family}: WCU per call → calls per WCU`,
          `${r.hot.writeUnitsPerCall} → ${round(1 / Math.max(r.hot.writeUnitsPerCall, 0.001), 1)} (${r.hot.wcuPerSecond} WCU/s, ${r.hot.refused} refused)`,
          `≥ ${ACCOUNT_CALLS_PER_WCU_TARGET}`,
          verdict(r.hot.writeUnitsPerCall > 0 && 1 / r.hot.writeUnitsPerCall >= ACCOUNT_CALLS_PER_WCU_TARGET),
        ]);
      } else {
        const limit = r.rateLimit.limit / r.rateLimit.windowSeconds;
        // Short of the limit with no partition refused, the CPU held the calls back, not the key's
        // item: said so, beside the miss (the scaled run, where the partition binds, is the test).
        const served = r.okPerSecond >= limit * 0.95;
        rows.push([
          `Hot key: one key limited to ${r.rateLimit.limit}/${r.rateLimit.windowSeconds}s, c=${r.concurrency}, ${where}`,
          `${r.okPerSecond} calls/s over ${r.seconds} s; ${statuses(r)}`,
          `≥ ${limit}/s`,
          served || refused.length > 0 ? verdict(served) : 'MISSED (CPU-bound)',
        ]);
        const w = r.windows!;
        rows.push(["  … admitted per rate-limit window (the server's windows)", `max ${w.maxAdmitted} in ${w.count} windows, ${w.over} over`, `≤ ${r.rateLimit.limit}`, verdict(w.over === 0)]);
        rows.push([
          `  … the key item ${r.hot.family}: WCU per call → ceiling at ${r.limits.writeUnitsPerSecond} WCU/s`,
          `${r.hot.writeUnitsPerCall} → ${ceiling} calls/s (${r.hot.wcuPerSecond} WCU/s, ${r.hot.refused} refused)`,
          `≥ ${limit}/s`,
          verdict(ceiling >= limit),
        ]);
      }
      rows.push(['  … throttle refusals by partition (ids elided)', refused.length === 0 ? 'none' : refused.map((p) => `${p.family}: ${p.refused}`).join(', '), '', '']);
      rows.push([
        '  … CPU of this process (all threads), machine load, after-answer drain',
        `${r.cpuCores} of ${cpus().length} cores, load ${r.loadAverage}, drain ${r.drainSeconds} s`,
        '',
        '',
      ]);
      rows.push([
        '  … exact: balance before − after = Σ usage records; a record per 200',
        `${r.exact.debited} = ${r.exact.recorded}, ${r.exact.records} records for ${r.statuses['200'] ?? 0} × 200 — ${r.exact.ok ? 'yes' : 'no'}`,
        'yes',
        verdict(r.exact.ok),
      ]);
    }
  }
  return rows;
}

if (process.argv[1]?.endsWith('hot-partitions.ts')) {
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const figures = await measureHotPartitions();
  for (const row of hotPartitionRows(figures)) console.log(row.filter(Boolean).join('  |  '));
  console.log(JSON.stringify(figures, null, 2));
  process.exit(0);
}
