import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { percentile, round } from './stats';

/**
 * Added latency of the gateway over calling the same upstream directly, and throughput through
 * the gateway. The load runs in a worker thread (bench/load-worker.mjs); direct and gateway calls
 * alternate in every client loop so both see the same machine noise.
 */
export interface Target {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface LatencyFigures {
  concurrency: number;
  requests: number;
  errors: number;
  directMs: { p50: number; p99: number };
  gatewayMs: { p50: number; p99: number };
  addedMs: { p50: number; p99: number };
  /** Mean wall time per gateway request spent waiting on DynamoDB, and calls per request (filled in by run.ts). */
  dynamoMsPerGatewayRequest?: number;
  dynamoCallsPerGatewayRequest?: number;
  /** At concurrency 1: p50 of the time a request waited with a call in dynalite (side by side counts once). */
  storageWallMs?: number;
}

export interface ThroughputFigures {
  concurrency: number;
  seconds: number;
  requestsPerSecond: number;
  errors: number;
  gatewayMs: { p50: number; p99: number };
}

interface WorkerReply<T> {
  ok: boolean;
  result?: T;
  error?: string;
}

export class LoadGenerator {
  private readonly worker = new Worker(new URL('./load-worker.mjs', import.meta.url));

  private async run<T>(task: Record<string, unknown>): Promise<T> {
    this.worker.postMessage(task);
    const [reply] = (await once(this.worker, 'message')) as [WorkerReply<T>];
    if (!reply.ok) throw new Error(`load worker: ${reply.error}`);
    return reply.result!;
  }

  async interleaved(concurrency: number, pairs: number, direct: Target, gateway: Target): Promise<LatencyFigures> {
    const r = await this.run<{ direct: number[]; gateway: number[]; errors: number }>({ kind: 'interleaved', concurrency, pairs, direct, gateway });
    const d = { p50: percentile(r.direct, 50), p99: percentile(r.direct, 99) };
    const g = { p50: percentile(r.gateway, 50), p99: percentile(r.gateway, 99) };
    return {
      concurrency,
      requests: r.direct.length + r.gateway.length,
      errors: r.errors,
      directMs: { p50: round(d.p50), p99: round(d.p99) },
      gatewayMs: { p50: round(g.p50), p99: round(g.p99) },
      addedMs: { p50: round(g.p50 - d.p50), p99: round(g.p99 - d.p99) },
    };
  }

  async throughput(concurrency: number, durationMs: number, gateway: Target): Promise<ThroughputFigures> {
    const r = await this.run<{ completed: number; errors: number; latencies: number[]; elapsedMs: number }>({
      kind: 'throughput',
      concurrency,
      durationMs,
      gateway,
    });
    return {
      concurrency,
      seconds: round(r.elapsedMs / 1000),
      requestsPerSecond: round(r.completed / (r.elapsedMs / 1000), 0),
      errors: r.errors,
      gatewayMs: { p50: round(percentile(r.latencies, 50)), p99: round(percentile(r.latencies, 99)) },
    };
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

/**
 * The main thread's own CPU time, in ms: Linux's on-CPU time of this thread (schedstat, kernel
 * time included), else the event loop's active time. The latter is wall time while the loop is
 * busy: on two cores shared with dynalite's thread, the load's thread and other processes it also
 * counts every wait for a core (measured at load 10: 5.5 ms "active" per gateway request, 1.9 ms
 * of it on a core, 3.4 ms in the run queue), so it is reported beside, not as, the CPU figure.
 */
export function mainThreadClock(): { cpuMs: number; waitMs: number; activeMs: number; source: 'schedstat' | 'event loop' } {
  const active = performance.eventLoopUtilization().active;
  try {
    // This thread's: `<ns on a CPU> <ns waiting in the run queue> <timeslices>`.
    const [run, wait] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').map(Number);
    if (Number.isFinite(run) && Number.isFinite(wait)) return { cpuMs: run! / 1e6, waitMs: wait! / 1e6, activeMs: active, source: 'schedstat' };
  } catch {
    // Not Linux, or no schedstat: the event loop's figure stands in.
  }
  return { cpuMs: active, waitMs: 0, activeMs: active, source: 'event loop' };
}

/** `mainThreadClock` over a run: per request, ms. */
export async function mainThreadPerRequest<T>(run: () => Promise<T>, requests: (result: T) => number): Promise<{ result: T; cpuMs: number; waitMs: number; activeMs: number; source: string }> {
  const before = mainThreadClock();
  const result = await run();
  const after = mainThreadClock();
  const n = Math.max(1, requests(result));
  return { result, cpuMs: (after.cpuMs - before.cpuMs) / n, waitMs: (after.waitMs - before.waitMs) / n, activeMs: (after.activeMs - before.activeMs) / n, source: after.source };
}
