/**
 * Issue 23 point 3: with DYNAMODB_ENDPOINT set, the local stack and the CLI use that store — here a
 * dynalite this test starts, as DynamoDB Local or a fault proxy would be — and start no embedded
 * one. The data dir still holds secrets, bootstrap and the endpoint file; the table is created if
 * missing; several data dirs can share one store, each with its own account; a data dir is never
 * served from the other kind of store than the one its account is in.
 */
import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoClient } from '../../lambdas/adapters/dynamodb-client';
import { startDynalite } from '../support/dynalite';
import { startDynamoFaultProxy } from '../support/dynamo-fault-proxy';
import { startTestStack, type TestStack } from '../support/local-stack';

const exec = promisify(execFile);
const BIN = resolve('bin/keywarden.js');
const TABLE = 'keywarden-external';

let db: Awaited<ReturnType<typeof startDynalite>>;
let direct: DynamoDBClient;
const root = mkdtempSync(join(tmpdir(), 'keywarden-external-'));
const dirs = { a: join(root, 'a'), b: join(root, 'b') };
const external = () => ({ DYNAMODB_ENDPOINT: db.endpoint, TABLE_NAME: TABLE });

beforeAll(async () => {
  db = await startDynalite();
  direct = createDynamoClient(db.endpoint);
});
const live = new Set<TestStack>();
afterAll(async () => {
  for (const stack of live) await stack.stop();
  direct?.destroy();
  await db?.close();
  rmSync(root, { recursive: true, force: true });
});

/** Every item of the external table whose stored text mentions `id`. */
async function itemsMentioning(id: string): Promise<Record<string, any>[]> {
  const found: Record<string, any>[] = [];
  let start: Record<string, any> | undefined;
  do {
    const out = await direct.send(new ScanCommand({ TableName: TABLE, ExclusiveStartKey: start, ConsistentRead: true }));
    found.push(...(out.Items ?? []).filter((item) => JSON.stringify(item).includes(id)));
    start = out.LastEvaluatedKey;
  } while (start);
  return found;
}

/** The CLI as an operator runs it, a fresh node process, on data dir `dir`. */
async function cli(dir: string, args: string[], env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, '--data-dir', dir, ...args], {
      env: { ...process.env, KEYWARDEN_API_URL: '', KEYWARDEN_API_KEY: '', DATA_DIR: '', DYNAMODB_ENDPOINT: '', TABLE_NAME: TABLE, ...env },
      timeout: 60_000,
    });
    return { stdout, stderr, code: 0 };
  } catch (err: any) {
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

describe('the local stack on an external store (DYNAMODB_ENDPOINT)', { timeout: 120_000 }, () => {
  let a: TestStack;
  let b: TestStack;
  let keyId: string;

  it('creates the table, keeps no embedded store, and writes what /v1 does into that store', async () => {
    a = await startTestStack(external(), {}, dirs.a);
    live.add(a);
    expect(existsSync(join(dirs.a, 'dynamodb'))).toBe(false);
    expect(a.dataDir.endpoint()?.dynamodbEndpoint).toBe(db.endpoint);
    expect(a.dataDir.externalStore()).toEqual({ dynamodbEndpoint: db.endpoint, tableName: TABLE });
    for (const file of ['secrets.json', 'bootstrap.json']) expect(existsSync(join(dirs.a, file)), file).toBe(true);

    const created = await a.json('/v1/keys', { key: a.adminKey, body: { name: 'made on the external store' } });
    expect(created.status).toBe(201);
    keyId = created.body.id;
    const items = await itemsMentioning(keyId);
    expect(items.some((item) => item.name?.S === 'made on the external store')).toBe(true);
    // The account bootstrap.json names is in that store too.
    expect((await itemsMentioning(a.bootstrap.accountId)).length).toBeGreaterThan(0);
    // Never the raw key.
    expect(JSON.stringify(items)).not.toContain(created.body.key);
  });

  it('a second stack with a fresh data dir on the same store bootstraps its own account and leaves the first one alone', async () => {
    b = await startTestStack(external(), {}, dirs.b);
    live.add(b);
    expect(b.bootstrap.accountId).not.toBe(a.bootstrap.accountId);
    expect(b.bootstrap.projectId).not.toBe(a.bootstrap.projectId);
    expect((await b.json('/v1/keys', { key: b.adminKey })).status).toBe(200);
    const listed = await a.json('/v1/keys', { key: a.adminKey });
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).toContain(keyId);
    expect((await a.json(`/v1/keys/${keyId}`, { key: a.adminKey })).body.name).toBe('made on the external store');
    // Each data dir's keys belong to its own account: one stack's admin key is nothing to the other.
    expect((await b.json(`/v1/keys/${keyId}`, { key: b.adminKey })).status).toBeGreaterThanOrEqual(400);
    live.delete(b);
    await b.stop();
  });

  it('the CLI finds the store through the running server, then through DYNAMODB_ENDPOINT, and refuses without it', async () => {
    // Server up: the endpoint file names the external store.
    const viaServer = await cli(dirs.a, ['keys', 'update', keyId, '--operator', '--name', 'renamed by the CLI']);
    expect(viaServer.code, viaServer.stderr).toBe(0);
    expect((await a.json(`/v1/keys/${keyId}`, { key: a.adminKey })).body.name).toBe('renamed by the CLI');
    live.delete(a);
    await a.stop();

    // Server down: DYNAMODB_ENDPOINT, as `npm start` takes it. Both accounts are in the shared store.
    const listed = await cli(dirs.a, ['--json', 'accounts', 'list'], external());
    expect(listed.code, listed.stderr).toBe(0);
    const ids = JSON.parse(listed.stdout).map((account: { id: string }) => account.id);
    expect(ids).toEqual(expect.arrayContaining([JSON.parse(readFileSync(join(dirs.a, 'bootstrap.json'), 'utf8')).accountId, JSON.parse(readFileSync(join(dirs.b, 'bootstrap.json'), 'utf8')).accountId]));
    const again = await cli(dirs.a, ['keys', 'update', keyId, '--operator', '--name', 'renamed again'], external());
    expect(again.code, again.stderr).toBe(0);
    expect((await itemsMentioning(keyId)).some((item) => item.name?.S === 'renamed again')).toBe(true);

    // Server down, no DYNAMODB_ENDPOINT: not an empty embedded store, a one-line refusal naming the store.
    const refused = await cli(dirs.a, ['accounts', 'list']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr.trim()).toMatch(new RegExp(`^error: data dir .* keeps its data in the external store ${db.endpoint} \\(table ${TABLE}\\); set DYNAMODB_ENDPOINT`));
    expect(existsSync(join(dirs.a, 'dynamodb'))).toBe(false);
  });

  it('restarts on its data dir against the store (through another endpoint too), and refuses the wrong kind of store', async () => {
    // In front of the same store, a proxy on a port of its own (what issue 23 point 4's fault test does).
    const proxy = await startDynamoFaultProxy({ upstream: db.endpoint });
    const again = await startTestStack({ ...external(), DYNAMODB_ENDPOINT: proxy.endpoint }, {}, dirs.a);
    try {
      expect(again.adminKey).toBe(a.adminKey);
      expect((await again.json(`/v1/keys/${keyId}`, { key: again.adminKey })).body.name).toBe('renamed again');
      expect(proxy.counts.GetItem?.forwarded).toBeGreaterThan(0);
      expect(again.dataDir.endpoint()?.dynamodbEndpoint).toBe(proxy.endpoint);
    } finally {
      await again.stop();
      await proxy.close();
    }
    // The external data dir without DYNAMODB_ENDPOINT would be an empty embedded store.
    await expect(startTestStack({ DYNAMODB_ENDPOINT: '', TABLE_NAME: TABLE }, {}, dirs.a)).rejects.toThrow(/keeps its data in the external store/);
    expect(existsSync(join(dirs.a, 'dynamodb'))).toBe(false);
    // An embedded data dir pointed at an external store would serve an admin key that store never saw.
    const embedded = join(root, 'embedded');
    const own = await startTestStack({ DYNAMODB_ENDPOINT: '' }, {}, embedded);
    await own.stop();
    await expect(startTestStack(external(), {}, embedded)).rejects.toThrow(/keeps its data in its embedded store .*unset DYNAMODB_ENDPOINT/);
    // A store that does not answer is one line naming it; nothing half-started is left running.
    await expect(startTestStack({ DYNAMODB_ENDPOINT: 'http://127.0.0.1:9', TABLE_NAME: TABLE }, {}, join(root, 'nowhere'))).rejects.toThrow(
      /^the store at DYNAMODB_ENDPOINT http:\/\/127\.0\.0\.1:9 \(table keywarden-external\) cannot be used: /,
    );
  });

  it('a data dir another live Keywarden holds is refused with an external store too', async () => {
    const held = join(root, 'held');
    mkdirSync(held);
    // Another process holding the data dir, as a running server's endpoint file names it.
    const other: ChildProcess = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      writeFileSync(join(held, 'local-endpoint.json'), JSON.stringify({ pid: other.pid, dynamodbEndpoint: db.endpoint, baseUrl: 'http://127.0.0.1:1' }));
      await expect(startTestStack(external(), {}, held)).rejects.toThrow(new RegExp(`data dir ${held} is in use by another Keywarden \\(pid ${other.pid}`));
    } finally {
      other.kill('SIGKILL');
    }
  });
});
