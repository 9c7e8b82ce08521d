import { CreateTableCommand, DescribeTableCommand, ResourceInUseException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
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
  // A failure inside dynalite (LevelDB's failed open: "Database is closed") ends the worker; it is
  // raised here as it would have been in-process, so the server's one-line error handling sees it.
  worker.on('error', (err) => {
    setImmediate(() => {
      throw err;
    });
  });
  worker.unref();
  let closed: Promise<void> | undefined;
  return {
    endpoint: `http://${options.host}:${port}`,
    close: () =>
      (closed ??= (async () => {
        const stopped = new Promise<void>((resolve) => {
          worker.once('message', () => resolve());
          worker.once('exit', () => resolve());
          setTimeout(resolve, 2_000).unref();
        });
        worker.postMessage('close');
        await stopped;
        await worker.terminate();
      })()),
  };
}

/** Creates the table (same schema as the CDK stack) unless it exists. */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (err) {
    if ((err as { name?: string }).name !== 'ResourceNotFoundException') throw err;
  }
  const s = TABLE_SCHEMA;
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
    if (!(err instanceof ResourceInUseException)) throw err;
  }
  // dynalite activates a new table (and its indexes) asynchronously, even with createTableMs 0.
  for (let i = 0; i < 100; i++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === 'ACTIVE');
    if (Table?.TableStatus === 'ACTIVE' && indexesActive) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`table ${tableName} did not become active`);
}
