import { DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
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

it('writes made at once (batched per turn in the thread) answer as if alone: each conditional increment counted once, deletes and index entries exact, all of it kept across a reopen', async () => {
  const path = join(dir, 'turns');
  const db = await startDynalite({ path, thread: true });
  const client = createDynamoClient(db.endpoint);
  await ensureTable(client, 'things');
  const key = (pk: string) => ({ pk: { S: pk }, sk: { S: 'x' } });
  await client.send(new PutItemCommand({ TableName: 'things', Item: { ...key('counter'), n: { N: '0' } } }));
  // 60 increments of one item (each read and written back under its lock), 40 items put with an
  // index entry, and every other one of them deleted, all at once.
  const increments = Array.from({ length: 60 }, () =>
    client.send(new UpdateItemCommand({ TableName: 'things', Key: key('counter'), UpdateExpression: 'SET n = n + :one', ConditionExpression: 'attribute_exists(pk)', ExpressionAttributeValues: { ':one': { N: '1' } }, ReturnValues: 'UPDATED_NEW' })),
  );
  const puts = Array.from({ length: 40 }, (_, i) =>
    client
      .send(new PutItemCommand({ TableName: 'things', Item: { ...key(`item-${i}`), gsi1pk: { S: 'listing' }, gsi1sk: { S: String(i).padStart(3, '0') } } }))
      .then(() => (i % 2 ? client.send(new DeleteItemCommand({ TableName: 'things', Key: key(`item-${i}`) })) : undefined)),
  );
  const answered = (await Promise.all(increments)).map((out) => Number(out.Attributes?.n?.N));
  await Promise.all(puts);
  // Each increment saw its own new value: 1 to 60, once each.
  expect([...answered].sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  client.destroy();
  await db.close();
  const again = await startDynalite({ path, thread: true });
  const reader = createDynamoClient(again.endpoint);
  const counter = await reader.send(new GetItemCommand({ TableName: 'things', Key: key('counter'), ConsistentRead: true }));
  expect(counter.Item?.n?.N).toBe('60');
  const listed = await reader.send(new QueryCommand({ TableName: 'things', IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': { S: 'listing' } } }));
  expect(listed.Items?.map((item) => item.pk?.S)).toEqual(Array.from({ length: 20 }, (_, k) => `item-${2 * k}`));
  reader.destroy();
  await again.close();
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
