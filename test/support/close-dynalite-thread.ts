/**
 * A process whose only work is to start the embedded store on its thread, write, and close it
 * (what `npm start` and the CLI do at the end): run by test/adapters/dynalite-thread.test.ts, it
 * must print `closed` and exit 0 — never end early (exit 13) while the close is still awaited.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTable, startDynalite } from '../../lambdas/adapters/dynalite-server';
import { createDynamoClient } from '../../lambdas/adapters/dynamodb-client';

const dir = mkdtempSync(join(tmpdir(), 'keywarden-close-'));
const db = await startDynalite({ path: dir, thread: true });
const client = createDynamoClient(db.endpoint);
await ensureTable(client, 'things');
await client.send(new PutItemCommand({ TableName: 'things', Item: { pk: { S: 'a' }, sk: { S: 'b' } } }));
client.destroy();
await db.close();
rmSync(dir, { recursive: true, force: true });
console.log('closed');
