// Load generator for bench/latency.ts, run in a worker thread so that the client's own work does
// not share an event loop with the gateway, dynalite and the stand-in upstream (main thread).
// Plain JS: it only needs fetch and performance.
import { parentPort } from 'node:worker_threads';

async function timed(target) {
  const start = performance.now();
  const res = await fetch(target.url, { method: 'POST', headers: target.headers, body: target.body });
  await res.arrayBuffer();
  return { ms: performance.now() - start, ok: res.status === 200, status: res.status };
}

/** Alternates direct and gateway calls in each of `concurrency` loops; the order flips per pair. */
async function interleaved({ concurrency, pairs, direct, gateway }) {
  const out = { direct: [], gateway: [], errors: 0, statuses: {} };
  const record = (bucket, r) => {
    if (r.ok) bucket.push(r.ms);
    else {
      out.errors += 1;
      out.statuses[r.status] = (out.statuses[r.status] ?? 0) + 1;
    }
  };
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = 0; i < pairs; i++) {
        if ((i + worker) % 2 === 0) {
          record(out.direct, await timed(direct));
          record(out.gateway, await timed(gateway));
        } else {
          record(out.gateway, await timed(gateway));
          record(out.direct, await timed(direct));
        }
      }
    }),
  );
  return out;
}

/** As many gateway calls as `concurrency` loops complete in `durationMs`. */
async function throughput({ concurrency, durationMs, gateway }) {
  const out = { completed: 0, errors: 0, latencies: [], elapsedMs: 0 };
  const start = performance.now();
  const until = start + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const r = await timed(gateway);
        if (r.ok) {
          out.completed += 1;
          out.latencies.push(r.ms);
        } else out.errors += 1;
      }
    }),
  );
  out.elapsedMs = performance.now() - start;
  return out;
}

parentPort.on('message', async (task) => {
  try {
    const result = task.kind === 'interleaved' ? await interleaved(task) : await throughput(task);
    parentPort.postMessage({ ok: true, result });
  } catch (err) {
    parentPort.postMessage({ ok: false, error: String(err?.stack ?? err) });
  }
});
