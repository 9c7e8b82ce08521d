// The embedded DynamoDB-protocol server (dynalite) on a worker thread of its own, so the local
// stack's gateway does not share its event loop with the database (issue 10). Started by
// dynalite-server.ts (`startDynalite({ thread: true })`); plain JavaScript so the worker needs no
// TypeScript loader. Messages: → { port } once listening, or { error }; ← 'close', → 'closed', then the thread ends.
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import dynalite from 'dynalite';
import { tuneDynalite } from './dynalite-tuning.mjs';

// LevelDB's memory, bounded (issue 23 point 7). dynalite opens its store with LevelDB's defaults and
// no way to pass options, so they are set here on the class it opens with (the `level` package
// dynalite itself resolves, i.e. classic-level). Measured with bench/memory-soak.ts (60 s of model
// calls at concurrency 64): with the defaults the process's resident memory grew with the database.
// - maxOpenFiles 74, LevelDB's floor (64 tables cached + 10 for its own files): every open table is
//   mmapped whole and each page a read or a compaction touched stays resident until the table leaves
//   that cache; the default 1,000 tables let resident memory follow the database's size.
// - maxFileSize 512 KiB (default 2 MiB): so those 64 tables map at most ≈ 32 MiB.
// - writeBufferSize 1 MiB (default 4) and cacheSize 2 MiB (default 8): the memtable (two while one
//   is flushed) and the cache of decompressed blocks; at the defaults they, and the malloc arenas
//   of the threads that fill them, held ≈ 30 MiB more at the end of the soak. The local stack's
//   writes are small items, so a smaller memtable only means more, smaller level-0 files.
const { Level } = createRequire(createRequire(import.meta.url).resolve('dynalite'))('level');
const open = Level.prototype._open;
Level.prototype._open = function boundedOpen(options) {
  return open.call(this, { ...options, maxOpenFiles: 74, maxFileSize: 512 << 10, writeBufferSize: 1 << 20, cacheSize: 2 << 20 });
};

// LevelDB reads on this thread, not handed to libuv's pool and back: a read of a small item from
// the memtable or a cached table is microseconds, less than the hand-off itself, and this thread
// serves nothing but the store. Measured: the asynchronous read was dynalite's largest CPU cost.
Level.prototype._get = function syncGet(key, options) {
  try {
    return Promise.resolve(this._getSync(key, options));
  } catch (err) {
    return Promise.reject(err);
  }
};

// LevelDB writes made in one turn of this thread's event loop go to LevelDB as one batch: each
// write handed to libuv's pool costs a wake of a pool thread and a wake of this one when it is
// done, and on this machine those cost more than the write (measured: a lone put ≈ 125 µs of the
// process's CPU, two puts as one batch ≈ 150 µs against ≈ 200 µs for two puts). A model call
// writes three to four entries (its usage record and index entry, its owner record, its share of
// its key's item), and the store serves many calls per turn under load. What a put answers is
// unchanged: it resolves once its batch is written, as before once its own write was, and every
// write of a turn is in its batch in the order it was made (a batch is applied in order, where
// separate writes ran on the pool's threads in any order). dynalite reads an item and writes it
// back under that item's lock, released after the write resolves, so no read of an item can fall
// between its write being made and being written.
const put = Level.prototype._put;
const del = Level.prototype._del;
const turns = new WeakMap();
function writeInTurn(db, op) {
  let turn = turns.get(db);
  if (!turn) {
    const ops = [];
    turn = {
      ops,
      written: new Promise((resolve) => setImmediate(resolve)).then(() => {
        turns.delete(db);
        return db._batch(ops, {});
      }),
    };
    turns.set(db, turn);
  }
  turn.ops.push(op);
  return turn.written;
}
Level.prototype._put = function putInTurn(key, value, options) {
  if (options?.sync) return put.call(this, key, value, options);
  return writeInTurn(this, { type: 'put', key, value, keyEncoding: options?.keyEncoding, valueEncoding: options?.valueEncoding });
};
Level.prototype._del = function delInTurn(key, options) {
  if (options?.sync) return del.call(this, key, options);
  return writeInTurn(this, { type: 'del', key, keyEncoding: options?.keyEncoding });
};
tuneDynalite();

const server = dynalite({ path: workerData.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.once('error', (err) => parentPort.postMessage({ error: String(err?.message ?? err) }));
server.listen(workerData.port ?? 0, workerData.host, () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (message) => {
  if (message !== 'close') return;
  // dynalite's close stops the server, waits for the store's operations in flight and closes
  // LevelDB; then the thread ends by itself (nothing else holds its event loop).
  server.close(() => {
    parentPort.postMessage('closed');
    parentPort.close();
  });
  server.closeAllConnections?.();
});
