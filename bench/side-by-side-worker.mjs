// Load for bench/side-by-side.ts, in a worker thread as bench/load-worker.mjs is (the client's
// own work stays off the main thread, which serves Keywarden and the stand-in upstream).
// Plain JS: it only needs fetch and performance.
import { parentPort } from 'node:worker_threads';

async function timed(target) {
  const start = performance.now();
  try {
    const res = await fetch(target.url, { method: 'POST', headers: target.headers, body: target.body });
    await res.arrayBuffer();
    return { ms: performance.now() - start, ok: res.status === 200, status: res.status };
  } catch {
    // No answer at all (connection refused or reset): counted as status 0, the run goes on.
    return { ms: performance.now() - start, ok: false, status: 0 };
  }
}

/** Every permutation of 0..n-1, so that each target comes first, second, … equally often. */
function permutations(n) {
  if (n === 1) return [[0]];
  return permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, at) => [...p.slice(0, at), n - 1, ...p.slice(at)]));
}

/**
 * At concurrency 1, `rounds` rounds of `perRound` turns; each turn calls every target once, one
 * after another, in the next of all their orders. Per round and target: the 200s' times, and the
 * other answers by status.
 */
async function rotation({ rounds, perRound, targets }) {
  const orders = permutations(targets.length);
  const out = [];
  let turn = 0;
  for (let r = 0; r < rounds; r++) {
    const round = targets.map(() => ({ ms: [], failed: {} }));
    for (let i = 0; i < perRound; i++, turn++) {
      for (const t of orders[turn % orders.length]) {
        const res = await timed(targets[t]);
        if (res.ok) round[t].ms.push(res.ms);
        else round[t].failed[res.status] = (round[t].failed[res.status] ?? 0) + 1;
      }
    }
    out.push(round);
  }
  return out;
}

/** As many calls to `target` as `concurrency` loops complete in `durationMs`, 200s counted exactly. */
async function throughput({ concurrency, durationMs, target }) {
  const out = { completed: 0, failed: 0, elapsedMs: 0 };
  const start = performance.now();
  const until = start + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const r = await timed(target);
        if (r.ok) out.completed += 1;
        else out.failed += 1;
      }
    }),
  );
  out.elapsedMs = performance.now() - start;
  return out;
}

parentPort.on('message', async (task) => {
  try {
    parentPort.postMessage({ ok: true, result: task.kind === 'rotation' ? await rotation(task) : await throughput(task) });
  } catch (err) {
    parentPort.postMessage({ ok: false, error: String(err?.stack ?? err) });
  }
});
