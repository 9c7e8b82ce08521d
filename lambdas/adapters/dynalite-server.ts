import { CreateTableCommand, DescribeTableCommand, ResourceInUseException, type DynamoDBClient, type TableDescription } from '@aws-sdk/client-dynamodb';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { tuneDynalite } from './dynalite-tuning.mjs';
import { TABLE_SCHEMA } from './store/table';

/**
 * An embedded DynamoDB-protocol server (dynalite) on loopback: the local stack persists under a
 * directory, tests run in memory. The real DynamoDB adapter talks to it over HTTP.
 */
export interface DynaliteServer {
  endpoint: string;
  close(): Promise<void>;
}

export async function startDynalite(options: { path?: string; port?: number; host?: string; thread?: boolean } = {}): Promise<DynaliteServer> {
  const host = options.host ?? '127.0.0.1';
  if (options.thread) return startDynaliteThread({ ...options, host });
  tuneDynalite();
  const { default: dynalite } = (await import('dynalite')) as unknown as {
    default: (o: Record<string, unknown>) => import('node:http').Server;
  };
  const server = dynalite({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}

/** How long a closing dynalite thread has to close its store and end (dynalite's own graceful bound is 30 s). */
const CLOSE_WAIT_MS = 30_000;

/**
 * dynalite on a worker thread (dynalite-worker.mjs): the same server, off the caller's event loop,
 * so the local stack's gateway and its database stop queueing behind each other. Closing stops the
 * server, then the thread (which releases the data dir's LevelDB lock).
 */
async function startDynaliteThread(options: { path?: string; port?: number; host: string }): Promise<DynaliteServer> {
  const worker = new Worker(new URL('./dynalite-worker.mjs', import.meta.url), { workerData: { path: options.path, port: options.port, host: options.host } });
  const port = await new Promise<number>((resolve, reject) => {
    const fail = (err: unknown) => reject(err instanceof Error ? err : new Error(String(err)));
    worker.once('error', fail);
    worker.once('exit', (code) => fail(new Error(`the dynalite thread exited (${code}) before listening`)));
    worker.once('message', (message: { port?: number; error?: string }) => {
      if (message.port) resolve(message.port);
      else fail(new Error(message.error ?? 'dynalite did not start'));
    });
  }).catch(async (err: unknown) => {
    await worker.terminate();
    throw err;
  });
  worker.removeAllListeners('exit');
  worker.removeAllListeners('error');
  let closed: Promise<void> | undefined;
  // A failure inside dynalite (LevelDB's failed open: "Database is closed") ends the worker; it is
  // raised here as it would have been in-process, so the server's one-line error handling sees it.
  // Not once a close has begun: a request still arriving then meets a closed store inside the
  // thread, which is going away anyway, and must not take the host process with it.
  worker.on('error', (err) => {
    if (closed) return;
    setImmediate(() => {
      throw err;
    });
  });
  worker.unref();
  return {
    endpoint: `http://${options.host}:${port}`,
    close: () =>
      (closed ??= (async () => {
        // The thread closes its server and its LevelDB (dynalite waits for the operations in
        // flight), then ends by itself. It is terminated only if that has not happened in time:
        // ending a thread under a LevelDB still closing is what native code must never see.
        // The thread is unref'd while it serves; while it closes, it keeps this process alive
        // (a caller awaiting close() with nothing else pending must not see the process end).
        worker.ref();
        const exited = new Promise<boolean>((resolve) => {
          worker.once('exit', () => resolve(true));
          setTimeout(() => resolve(false), CLOSE_WAIT_MS).unref();
        });
        worker.postMessage('close');
        if (!(await exited)) await worker.terminate();
      })()),
  };
}

/**
 * Creates the table (same schema as the CDK stack) unless it exists, and waits until it and its
 * indexes are active. Any DynamoDB-protocol endpoint: dynalite activates a table within
 * milliseconds, DynamoDB Local at once, a real table in seconds to minutes — so the wait backs off
 * up to a second a look and gives up only after `waitMs`. A table that exists with another key
 * schema is refused here, by name, rather than failing each request later.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string, options: { waitMs?: number } = {}): Promise<void> {
  const s = TABLE_SCHEMA;
  let table = await describe(client, tableName);
  if (!table) {
    const index = (g: { name: string; partitionKey: string; sortKey: string }) => ({
      IndexName: g.name,
      KeySchema: [
        { AttributeName: g.partitionKey, KeyType: 'HASH' as const },
        { AttributeName: g.sortKey, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'ALL' as const },
    });
    try {
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [s.partitionKey, s.sortKey, s.gsi1.partitionKey, s.gsi1.sortKey, s.gsi2.partitionKey, s.gsi2.sortKey].map(
            (AttributeName) => ({ AttributeName, AttributeType: 'S' as const }),
          ),
          KeySchema: [
            { AttributeName: s.partitionKey, KeyType: 'HASH' },
            { AttributeName: s.sortKey, KeyType: 'RANGE' },
          ],
          GlobalSecondaryIndexes: [index(s.gsi1), index(s.gsi2)],
        }),
      );
    } catch (err) {
      // Another process (a second local stack on the same store) created it first.
      if (!(err instanceof ResourceInUseException)) throw err;
    }
  }
  const deadline = Date.now() + (options.waitMs ?? 120_000);
  for (let pause = 20; ; pause = Math.min(pause * 2, 1_000)) {
    table ??= await describe(client, tableName);
    const indexesActive = (table?.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === 'ACTIVE');
    if (table?.TableStatus === 'ACTIVE' && indexesActive) break;
    if (Date.now() + pause > deadline) throw new Error(`table ${tableName} did not become active`);
    await new Promise((r) => setTimeout(r, pause));
    table = undefined;
  }
  const keys = (schema: { AttributeName?: string; KeyType?: string }[] | undefined) =>
    (schema ?? []).map((k) => `${k.AttributeName}:${k.KeyType}`).join(',');
  const indexes = new Map((table.GlobalSecondaryIndexes ?? []).map((g) => [g.IndexName, keys(g.KeySchema)]));
  const fits =
    keys(table.KeySchema) === `${s.partitionKey}:HASH,${s.sortKey}:RANGE` &&
    [s.gsi1, s.gsi2].every((g) => indexes.get(g.name) === `${g.partitionKey}:HASH,${g.sortKey}:RANGE`);
  if (!fits) throw new Error(`table ${tableName} exists with another key schema or without Keywarden's indexes (${s.gsi1.name}, ${s.gsi2.name}); name another table (TABLE_NAME)`);
}

async function describe(client: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (err) {
    if ((err as { name?: string }).name === 'ResourceNotFoundException') return undefined;
    throw err;
  }
}
