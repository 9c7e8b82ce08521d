import type { TokenUsage } from '../core/model-call';
import type { Log, Upstream } from '../core/ports';

/**
 * A background response (`background: true`) is answered at once, `queued`, before it has used
 * anything; its usage is known only when it ends. Its model call stays open until then — the
 * reservation taken, the key's slot held — while Keywarden polls the upstream for it, after the
 * answer, and is settled once, by the usage the finished response reports. A response still
 * running WATCH_MAX_MS after its creation is cancelled (so nothing runs on unbilled) and settled
 * by the usage the cancellation reports; when no usage can be read at all, the call is charged its
 * per-request price (docs/gateway.md says so).
 */

/**
 * How long a background response is watched. The streaming function lives 5 minutes
 * (lib/stage-config.ts): the create's own upstream call (at most UPSTREAM_TIMEOUT_MS, 60 s by
 * default), this watch (every poll ends by it), the cancel and the read after it (FINAL_CALL_MS
 * each) and the settlement all fit.
 */
export const WATCH_MAX_MS = 180_000;
/** Polls start this far apart and back off to POLL_MAX_MS. */
const POLL_FIRST_MS = 250;
const POLL_MAX_MS = 5_000;
/** Longest the cancel at the bound, and the read after it, wait for the upstream. */
const FINAL_CALL_MS = 10_000;

const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'incomplete']);

/** The watches in flight in this process: a server that stops ends them early (`stopBackgroundWatches`). */
const watching = new Set<AbortController>();

/**
 * For a long-running server that is stopping (the local stack's close waits for every answer's
 * after-work): every watch goes straight to its bound — the response cancelled at the upstream and
 * settled by the usage the cancellation reports — instead of holding the stop for minutes.
 */
export function stopBackgroundWatches(): void {
  for (const stop of watching) stop.abort();
}

export interface BackgroundOutcome {
  /** The status the response ended in, or `watch_ended` when it was still running at the bound. */
  status: string;
  usage: TokenUsage | undefined;
}

/** Whether an answer to a `background: true` request is still running: it must be watched for its usage. */
export function stillRunning(answer: unknown): answer is { id: string; status: string } {
  const a = answer as { id?: unknown; status?: unknown } | undefined;
  return typeof a?.id === 'string' && typeof a.status === 'string' && !TERMINAL.has(a.status);
}

/** Polls the upstream for a background response until it ends (or the bound), then reads its usage. */
export async function watchBackground(
  upstream: Upstream,
  id: string,
  usageOf: (answer: unknown) => TokenUsage | undefined,
  logger: Log,
  bounds: { maxMs?: number; firstMs?: number } = {},
): Promise<BackgroundOutcome> {
  const { stored } = upstream;
  if (!stored) return { status: 'not_served', usage: undefined };
  const call = async (action: 'retrieve' | 'cancel', timeoutMs: number): Promise<unknown> => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const res = await stored.call(upstream, { id, action }, controller.signal);
      if (!res.ok) {
        await res.body?.cancel().catch(() => undefined);
        return { status: res.status === 404 ? 'gone' : undefined };
      }
      return await res.json();
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  };
  const deadline = Date.now() + (bounds.maxMs ?? WATCH_MAX_MS);
  let wait = bounds.firstMs ?? POLL_FIRST_MS;
  const stop = new AbortController();
  watching.add(stop);
  try {
    while (Date.now() + wait < deadline && !stop.signal.aborted) {
      await pause(wait, stop.signal);
      if (stop.signal.aborted) break;
      wait = Math.min(POLL_MAX_MS, wait * 2);
      const seen = (await call('retrieve', Math.max(1, deadline - Date.now()))) as { status?: unknown } | undefined;
      const status = typeof seen?.status === 'string' ? seen.status : undefined;
      if (status === 'gone') return { status, usage: undefined };
      if (status && TERMINAL.has(status)) return { status, usage: usageOf(seen) };
    }
  } finally {
    watching.delete(stop);
  }
  logger.warn('background response cancelled at the watch bound', { maxMs: bounds.maxMs ?? WATCH_MAX_MS });
  const cancelled = await call('cancel', FINAL_CALL_MS);
  // What the cancellation reports, else the response as it stands once cancelled.
  return { status: 'watch_ended', usage: usageOf(cancelled) ?? usageOf(await call('retrieve', FINAL_CALL_MS)) };
}

/** Waits `ms`, or until `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
