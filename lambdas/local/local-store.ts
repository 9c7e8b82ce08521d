import { existsSync } from 'node:fs';
import { ensureTable, startDynalite } from '../adapters/dynalite-server';
import { createDynamoClient } from '../adapters/dynamodb-client';
import type { DataDir } from './data-dir';
import { TABLE_NAME_LOCAL } from './local-services';
import { OperatorError } from './operator-errors';

/**
 * Where the local stack and the CLI keep accounts and keys: the embedded dynalite under the data
 * dir (the default), or, with `DYNAMODB_ENDPOINT` set, that endpoint — DynamoDB Local, a proxy in
 * front of another store (a fault injector, a throttling layer), or a real table. An external
 * store is never started or stopped here; its table (`TABLE_NAME`) is created if missing.
 *
 * A data dir belongs to one kind of store: its bootstrap.json names an account that exists only
 * there. Started against the other kind it would serve an admin key the store has never seen, so
 * that is refused by name instead. The external endpoint itself may change between starts (a
 * proxy on a new port in front of the same store).
 */
export interface LocalStore {
  endpoint: string;
  /** True when the store is DYNAMODB_ENDPOINT's, not ours. */
  external: boolean;
  close(): Promise<void>;
}

/**
 * `thread`: the embedded dynalite on a thread of its own (the server). `record`: note an external
 * store in the data dir (the server does; the CLI only reads).
 */
export async function openLocalStore(dataDir: DataDir, env: NodeJS.ProcessEnv, options: { thread?: boolean; record?: boolean } = {}): Promise<LocalStore> {
  const endpoint = env.DYNAMODB_ENDPOINT || undefined;
  const bootstrapped = dataDir.bootstrap() !== undefined;
  const recorded = dataDir.externalStore();
  if (!endpoint) {
    if (bootstrapped && recorded) {
      throw new OperatorError(
        `data dir ${dataDir.path} keeps its data in the external store ${recorded.dynamodbEndpoint} (table ${recorded.tableName}); set DYNAMODB_ENDPOINT to it (or to a proxy in front of it), or set DATA_DIR to another directory`,
      );
    }
    const database = await startDynalite({ path: dataDir.dynamodbPath, thread: options.thread });
    return { endpoint: database.endpoint, external: false, close: () => database.close() };
  }
  if (bootstrapped && !recorded && existsSync(dataDir.dynamodbPath)) {
    throw new OperatorError(
      `data dir ${dataDir.path} keeps its data in its embedded store (${dataDir.dynamodbPath}), not at DYNAMODB_ENDPOINT; unset DYNAMODB_ENDPOINT, or set DATA_DIR to another directory`,
    );
  }
  const tableName = env.TABLE_NAME || TABLE_NAME_LOCAL;
  const client = createDynamoClient(endpoint);
  try {
    await ensureTable(client, tableName);
  } catch (err) {
    const { message, code, name } = (err ?? {}) as { message?: string; code?: string; name?: string };
    const reason = message || code || name || String(err);
    throw new OperatorError(`the store at DYNAMODB_ENDPOINT ${endpoint} (table ${tableName}) cannot be used: ${reason}`, { cause: err });
  } finally {
    client.destroy();
  }
  if (options.record !== false) dataDir.saveExternalStore({ dynamodbEndpoint: endpoint, tableName });
  return { endpoint, external: true, close: async () => undefined };
}
