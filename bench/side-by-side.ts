import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { StandInUpstream, UpstreamRequest } from '../test/http/openai-relay/stand-in-upstream';
import type { Target } from './latency';
import { portkeyTarget, startPortkey, portkeyEntry } from './portkey';
import { median, percentile, round } from './stats';

/**
 * Keywarden beside the open-source Portkey gateway, in the same run, against the same stand-in
 * upstream, with the same request body (issue 23 point 8).
 *
 * Added p50 at concurrency 1: rounds of turns, each turn one direct call to the upstream, one
 * Keywarden call and one Portkey call, their order cycling through all six; per round each
 * gateway's added p50 is its p50 less the direct p50 of that same round, and the ratio is taken
 * per round, so both gateways see the same machine noise. Throughput at concurrency 32: rounds of
 * one timed phase per gateway, which goes first alternating by round, ratio per round. The figure
 * is the median of the per-round ratios, with min and max.
 *
 * Portkey runs as its own process (as it ships); Keywarden runs in the bench's process beside the
 * stand-in upstream, with dynalite and the load on threads of their own, as in the other rows.
 *
 * Every call is counted where it lands: the direct calls, Keywarden and Portkey each carry their
 * own upstream bearer token, so the stand-in tells them apart, and a gateway's 200s must each
 * have reached it.
 */
export const SIDE_BY_SIDE_TARGETS = {
  /** Keywarden's added p50 at concurrency 1 at most this many times Portkey's. */
  addedP50RatioMax: 1.2,
  /** Keywarden's throughput at concurrency 32 at least this many times Portkey's. */
  throughputRatioMin: 1,
};

/**
 * Sized to keep the section under a minute on two busy cores, warm-up and Portkey's start included
 * (≈ 12 ms a turn there, so ≈ 12 s of rotation; 25 s of throughput phases).
 */
const PLAN = { latencyRounds: 8, turnsPerRound: 120, throughputRounds: 5, phaseMs: 2_500, concurrency: 32 };

export interface RatioSummary {
  median: number;
  min: number;
  max: number;
  perRound: number[];
}

export interface SideBySideFigures {
  portkeyVersion: string;
  addedP50: {
    rounds: number;
    turnsPerRound: number;
    /** Per round, ms. */
    directP50: number[];
    keywardenAdded: number[];
    portkeyAdded: number[];
    ratio: RatioSummary;
    failed: { keywarden: Record<string, number>; portkey: Record<string, number>; direct: Record<string, number> };
  };
  throughput: {
    rounds: number;
    concurrency: number;
    secondsPerPhase: number;
    keywardenRps: number[];
    portkeyRps: number[];
    ratio: RatioSummary;
    errors: { keywarden: number; portkey: number };
    /**
     * On-CPU time per answered request during each gateway's phases, median of the rounds: every
     * thread of the bench process (Keywarden, its store's thread, the stand-in upstream, the load,
     * V8's helpers) and of Portkey's. On two saturated cores the throughput ratio is about the
     * inverse of this one. Undefined where there is no /proc (not Linux).
     */
    cpuMsPerRequest?: { keywarden: number; portkey: number };
  };
  /** 200s each gateway (and the direct calls) answered, beside the calls the upstream received from each. */
  answered: { direct: number; keywarden: number; portkey: number };
  upstreamHits: { direct: number; keywarden: number; portkey: number; other: number };
  seconds: number;
}

export function summarizeRatios(ratios: readonly number[]): RatioSummary {
  return { median: round(median(ratios)), min: round(Math.min(...ratios)), max: round(Math.max(...ratios)), perRound: ratios.map((r) => round(r)) };
}

type Who = 'direct' | 'keywarden' | 'portkey';
const DIRECT_KEY = 'up-direct-side-by-side';
const PORTKEY_KEY = 'up-portkey-side-by-side';

interface RotationRound {
  ms: number[];
  failed: Record<string, number>;
}

interface Throughput {
  completed: number;
  failed: number;
  elapsedMs: number;
}

/** The section's load, from a worker thread of its own (bench/side-by-side-worker.mjs). */
class SideBySideLoad {
  private readonly worker = new Worker(new URL('./side-by-side-worker.mjs', import.meta.url));

  private async run<T>(task: Record<string, unknown>): Promise<T> {
    this.worker.postMessage(task);
    const [reply] = (await once(this.worker, 'message')) as [{ ok: boolean; result?: T; error?: string }];
    if (!reply.ok) throw new Error(`side-by-side worker: ${reply.error}`);
    return reply.result!;
  }

  /** The rotation at concurrency 1: per round, per target, its 200s' times and other answers. */
  rotate(rounds: number, perRound: number, targets: Target[]): Promise<RotationRound[][]> {
    return this.run({ kind: 'rotation', rounds, perRound, targets });
  }

  throughput(concurrency: number, durationMs: number, target: Target): Promise<Throughput> {
    return this.run({ kind: 'throughput', concurrency, durationMs, target });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

function addFailures(into: Record<string, number>, from: Record<string, number>): void {
  for (const [status, n] of Object.entries(from)) into[status] = (into[status] ?? 0) + n;
}

export async function measureSideBySide(options: {
  upstream: StandInUpstream;
  /** Keywarden's `POST /v1/responses` with a key whose limits the run will not reach. */
  keywarden: Target;
  /** The bearer token Keywarden forwards upstream (UPSTREAM_API_KEY), to count its calls. */
  keywardenUpstreamKey: string;
  progress?: (text: string) => void;
}): Promise<SideBySideFigures> {
  const { upstream, keywarden } = options;
  const started = performance.now();
  const portkeyGateway = await startPortkey();
  const load = new SideBySideLoad();
  const hits = { direct: 0, keywarden: 0, portkey: 0, other: 0 };
  const byKey: Record<string, Who> = { [`Bearer ${DIRECT_KEY}`]: 'direct', [`Bearer ${options.keywardenUpstreamKey}`]: 'keywarden', [`Bearer ${PORTKEY_KEY}`]: 'portkey' };
  const count = (req: UpstreamRequest) => {
    const who = byKey[String(req.headers.authorization)];
    if (who) hits[who] += 1;
    else hits.other += 1;
  };
  try {
    const portkey = portkeyTarget(portkeyGateway.url, upstream.baseUrl, PORTKEY_KEY, keywarden.body);
    const direct: Target = { url: `${upstream.baseUrl}/responses`, headers: { authorization: `Bearer ${DIRECT_KEY}`, 'content-type': 'application/json' }, body: keywarden.body };

    options.progress?.('Keywarden beside Portkey: warm-up');
    await load.rotate(1, 60, [direct, keywarden, portkey]);
    await load.throughput(PLAN.concurrency, 1_000, keywarden);
    await load.throughput(PLAN.concurrency, 1_000, portkey);

    upstream.events.on('request', count);
    const answered = { direct: 0, keywarden: 0, portkey: 0 };
    options.progress?.(`Keywarden beside Portkey: added p50, concurrency 1 (${PLAN.latencyRounds} rounds × ${PLAN.turnsPerRound} turns)`);
    const rounds = await load.rotate(PLAN.latencyRounds, PLAN.turnsPerRound, [direct, keywarden, portkey]);
    const failed = { direct: {}, keywarden: {}, portkey: {} };
    const directP50: number[] = [];
    const keywardenAdded: number[] = [];
    const portkeyAdded: number[] = [];
    for (const [d, k, p] of rounds as [RotationRound, RotationRound, RotationRound][]) {
      const dp = percentile(d.ms, 50);
      directP50.push(round(dp));
      keywardenAdded.push(round(percentile(k.ms, 50) - dp, 3));
      portkeyAdded.push(round(percentile(p.ms, 50) - dp, 3));
      answered.direct += d.ms.length;
      answered.keywarden += k.ms.length;
      answered.portkey += p.ms.length;
      addFailures(failed.direct, d.failed);
      addFailures(failed.keywarden, k.failed);
      addFailures(failed.portkey, p.failed);
    }
    // A denominator at or below zero is noise swallowing Portkey's cost; 0.01 ms as for the pass-through row.
    const latencyRatios = keywardenAdded.map((k, i) => k / Math.max(portkeyAdded[i]!, 0.01));

    options.progress?.(`Keywarden beside Portkey: throughput, concurrency ${PLAN.concurrency} (${PLAN.throughputRounds} rounds × 2 × ${PLAN.phaseMs / 1000} s)`);
    const keywardenRps: number[] = [];
    const portkeyRps: number[] = [];
    const errors = { keywarden: 0, portkey: 0 };
    const cpu: { keywarden: number[]; portkey: number[] } = { keywarden: [], portkey: [] };
    const processes = [process.pid, portkeyGateway.pid];
    for (let r = 0; r < PLAN.throughputRounds; r++) {
      const order: Array<[Who & ('keywarden' | 'portkey'), Target]> = [
        ['keywarden', keywarden],
        ['portkey', portkey],
      ];
      if (r % 2 === 1) order.reverse();
      for (const [who, target] of order) {
        const before = onCpuMs(processes);
        const t = await load.throughput(PLAN.concurrency, PLAN.phaseMs, target);
        const after = onCpuMs(processes);
        if (before !== undefined && after !== undefined && t.completed > 0) cpu[who].push((after - before) / t.completed);
        (who === 'keywarden' ? keywardenRps : portkeyRps).push(t.completed / (t.elapsedMs / 1000));
        answered[who] += t.completed;
        errors[who] += t.failed;
      }
    }
    const throughputRatios = keywardenRps.map((k, i) => k / Math.max(portkeyRps[i]!, 1));
    return {
      portkeyVersion: portkeyVersion(),
      addedP50: {
        rounds: PLAN.latencyRounds,
        turnsPerRound: PLAN.turnsPerRound,
        directP50,
        keywardenAdded,
        portkeyAdded,
        ratio: summarizeRatios(latencyRatios),
        failed,
      },
      throughput: {
        rounds: PLAN.throughputRounds,
        concurrency: PLAN.concurrency,
        secondsPerPhase: PLAN.phaseMs / 1000,
        keywardenRps: keywardenRps.map((r) => round(r, 0)),
        portkeyRps: portkeyRps.map((r) => round(r, 0)),
        ratio: summarizeRatios(throughputRatios),
        errors,
        ...(cpu.keywarden.length > 0 && cpu.portkey.length > 0 ? { cpuMsPerRequest: { keywarden: round(median(cpu.keywarden)), portkey: round(median(cpu.portkey)) } } : {}),
      },
      answered,
      upstreamHits: hits,
      seconds: round((performance.now() - started) / 1000, 1),
    };
  } finally {
    upstream.events.off('request', count);
    await load.close();
    await portkeyGateway.close();
  }
}

/** On-CPU time of every thread of these processes, in ms (Linux schedstat); undefined without /proc. */
function onCpuMs(pids: readonly number[]): number | undefined {
  let ns = 0;
  try {
    for (const pid of pids) {
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        try {
          ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
        } catch {
          // A thread that ended between the listing and the read.
        }
      }
    }
  } catch {
    return undefined;
  }
  return Number.isFinite(ns) ? ns / 1e6 : undefined;
}

function portkeyVersion(): string {
  const manifest = portkeyEntry().replace(/build\/start-server\.js$/, 'package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

type Row = [measure: string, figure: string, target: string, verdict: string];

const verdict = (met: boolean): string => (met ? 'met' : 'MISSED');

/** The bench table's rows for the side-by-side figures, in run.ts's style. */
export function sideBySideRows(s: SideBySideFigures): Row[] {
  const a = s.addedP50;
  const t = s.throughput;
  const range = (r: RatioSummary) => `${r.median}× (min ${r.min}×, max ${r.max}×)`;
  const failures = (f: Record<string, number>) => Object.values(f).reduce((n, v) => n + v, 0);
  return [
    [
      `Keywarden ÷ Portkey ${s.portkeyVersion}, added p50, concurrency 1 (median of ${a.rounds} per-round ratios)`,
      range(a.ratio),
      `≤ ${SIDE_BY_SIDE_TARGETS.addedP50RatioMax}×`,
      verdict(a.ratio.median <= SIDE_BY_SIDE_TARGETS.addedP50RatioMax),
    ],
    [
      `  … added p50 per round, median: Keywarden / Portkey (direct upstream p50)`,
      `${round(median(a.keywardenAdded))} / ${round(median(a.portkeyAdded))} ms (${round(median(a.directP50))} ms)`,
      '',
      '',
    ],
    [
      `Keywarden ÷ Portkey ${s.portkeyVersion}, throughput, concurrency ${t.concurrency} (median of ${t.rounds} per-round ratios)`,
      range(t.ratio),
      `≥ ${SIDE_BY_SIDE_TARGETS.throughputRatioMin}×`,
      verdict(t.ratio.median >= SIDE_BY_SIDE_TARGETS.throughputRatioMin),
    ],
    [`  … req/s per round, median: Keywarden / Portkey (${t.secondsPerPhase} s phases)`, `${median(t.keywardenRps)} / ${median(t.portkeyRps)} req/s`, '', ''],
    ...(t.cpuMsPerRequest
      ? [
          [
            '  … on-CPU ms per answered request, every thread of both processes (gateway, store, stand-in upstream, load, V8 helpers): Keywarden / Portkey',
            `${t.cpuMsPerRequest.keywarden} / ${t.cpuMsPerRequest.portkey} ms (Portkey ÷ Keywarden ${round(t.cpuMsPerRequest.portkey / t.cpuMsPerRequest.keywarden)}×)`,
            '',
            '',
          ] as Row,
        ]
      : []),
    [
      `  … 200s answered / upstream calls received: Keywarden, Portkey, direct`,
      `${s.answered.keywarden}/${s.upstreamHits.keywarden}, ${s.answered.portkey}/${s.upstreamHits.portkey}, ${s.answered.direct}/${s.upstreamHits.direct}` +
        (s.upstreamHits.other > 0 ? ` (+${s.upstreamHits.other} unattributed)` : ''),
      '',
      '',
    ],
    [
      `  … not 200: Keywarden, Portkey (latency rounds + throughput), ${s.seconds} s in all`,
      `${failures(a.failed.keywarden) + t.errors.keywarden}, ${failures(a.failed.portkey) + t.errors.portkey}`,
      '',
      '',
    ],
  ];
}
