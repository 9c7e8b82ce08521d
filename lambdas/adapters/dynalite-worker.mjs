// The embedded DynamoDB-protocol server (dynalite) on a worker thread of its own, so the local
// stack's gateway does not share its event loop with the database (issue 10). Started by
// dynalite-server.ts (`startDynalite({ thread: true })`); plain JavaScript so the worker needs no
// TypeScript loader. Messages: → { port } once listening, or { error }; ← 'close'.
import { parentPort, workerData } from 'node:worker_threads';
import dynalite from 'dynalite';

const server = dynalite({ path: workerData.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.once('error', (err) => parentPort.postMessage({ error: String(err?.message ?? err) }));
server.listen(workerData.port ?? 0, workerData.host, () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (message) => {
  if (message !== 'close') return;
  server.close(() => parentPort.postMessage('closed'));
  server.closeAllConnections?.();
});
