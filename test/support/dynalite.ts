import { createDynamoClient } from '../../lambdas/adapters/dynamodb-client';
import { ensureTable, startDynalite as start } from '../../lambdas/adapters/dynalite-server';

/** An in-memory dynalite on a random loopback port, for tests. */
export async function startDynalite(): Promise<{ endpoint: string; close(): Promise<void> }> {
  return start();
}

export async function createTable(endpoint: string, tableName: string): Promise<void> {
  const client = createDynamoClient(endpoint);
  try {
    await ensureTable(client, tableName);
  } finally {
    client.destroy();
  }
}
