import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ensureTable, startDynalite } from '../../lambdas/adapters/dynalite-server';
import { createDynamoClient } from '../../lambdas/adapters/dynamodb-client';

/**
 * The local stack's embedded store on its own thread (dynalite-worker.mjs), closed while writes are
 * still arriving — what every stop of `npm start` and every test stack does. The close waits for
 * the thread to close its LevelDB and end by itself; a write racing it fails as a network error
 * at the client, never as an error thrown into the host process (a vitest fork once died there).
 */
const dir = mkdtempSync(join(tmpdir(), 'keywarden-thread-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('closes under racing writes: every write answered or refused at the client, the data dir free again, what landed kept', async () => {
  const uncaught: unknown[] = [];
  const note = (err: unknown) => uncaught.push(err);
  process.on('uncaughtException', note);
  try {
    for (let round = 0; round < 3; round++) {
      const db = await startDynalite({ path: dir, thread: true });
      const client = createDynamoClient(db.endpoint);
      await ensureTable(client, 'things');
      const writes = Array.from({ length: 200 }, (_, i) =>
        client.send(new PutItemCommand({ TableName: 'things', Item: { pk: { S: `r${round}-${i}` }, sk: { S: 'x' } } })).then(
          () => 'stored' as const,
          () => 'refused' as const,
        ),
      );
      await new Promise((r) => setTimeout(r, 20));
      await db.close();
      const outcomes = await Promise.all(writes);
      expect(outcomes.length).toBe(200);
      client.destroy();
      // Reopened on the same directory at once: LevelDB's lock was released by a clean close.
      const again = await startDynalite({ path: dir, thread: true });
      const reader = createDynamoClient(again.endpoint);
      const firstStored = outcomes.indexOf('stored');
      if (firstStored >= 0) {
        const got = await reader.send(new GetItemCommand({ TableName: 'things', Key: { pk: { S: `r${round}-${firstStored}` }, sk: { S: 'x' } } }));
        expect(got.Item?.pk?.S).toBe(`r${round}-${firstStored}`);
      }
      reader.destroy();
      await again.close();
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(uncaught).toEqual([]);
  } finally {
    process.off('uncaughtException', note);
  }
});

it('a process awaiting the close with nothing else to do stays until the store is closed, then exits 0', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'test/support/close-dynalite-thread.ts'], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  expect(run.stdout.trim(), run.stderr).toBe('closed');
  expect(run.status).toBe(0);
});
