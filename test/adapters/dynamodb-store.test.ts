import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoClient } from '../../lambdas/adapters/dynamodb-client';
import { ensureTable, startDynalite, type DynaliteServer } from '../../lambdas/adapters/dynalite-server';
import { StaticSecretsProvider } from '../../lambdas/adapters/secrets';
import { loadConfig } from '../../lambdas/config';
import type { Store } from '../../lambdas/core/ports';
import { buildServices, keyServices, type Services } from '../../lambdas/services';
import { OffsetClock } from '../support/clock';
import { systemClock } from '../../lambdas/core/ports';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { itemKey, partition, sortKey, type ItemKey } from '../../lambdas/adapters/store/table';

let dynalite: DynaliteServer;
let services: Services;
let projectId: string;
let accountId: string;
const secrets = new StaticSecretsProvider({ hashing: { current: 'test-hashing-secret' }, botAssertion: { current: 'x' } });

beforeAll(async () => {
  dynalite = await startDynalite();
  const dynamo = createDynamoClient(dynalite.endpoint);
  await ensureTable(dynamo, 'store-test');
  services = buildServices(loadConfig({ TABLE_NAME: 'store-test', DYNAMODB_ENDPOINT: dynalite.endpoint }), { dynamo, secrets });
  const account = await services.operator.createAccount({ name: 'a', apiAccess: true, credits: 0 });
  accountId = account.id;
  projectId = (await services.operator.createProject({ accountId, name: 'p', actor: 'test' })).project.id;
});
afterAll(async () => {
  services?.dynamo.destroy();
  await dynalite?.close();
});

const operator = () => ({ kind: 'operator' as const, actor: 'test', projectId });

describe('rotation on single-item conditional writes', () => {
  it('never leaves a moment when neither the old nor the new key works', async () => {
    const old = await services.keys.create(operator(), { name: 'rotating' });
    const observed: string[] = [];
    let newRaw: string | undefined;
    // Observe the store between rotation's two writes (real store underneath, nothing faked).
    const observing = new Proxy(services.store, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (prop === 'putKey') {
          return async (...args: Parameters<Store['putKey']>) => {
            observed.push(`before new stored: old=${(await services.auth.inspect(old.secret))?.status}`);
            return (value as Store['putKey']).apply(target, args);
          };
        }
        if (prop === 'markRotated') {
          return async (...args: Parameters<Store['markRotated']>) => {
            observed.push(`between: old=${(await services.auth.authenticate(old.secret)).result}`);
            const replacement = await target.getKey(args[1]);
            observed.push(`between: new stored=${replacement?.status}`);
            return (value as Store['markRotated']).apply(target, args);
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const { keys } = keyServices({ store: observing, secrets, clock: systemClock });
    const issued = await keys.rotate(operator(), old.key.id);
    newRaw = issued.secret;
    expect(observed).toEqual(['before new stored: old=active', 'between: old=valid', 'between: new stored=active']);
    expect((await services.auth.authenticate(old.secret)).result).toBe('revoked');
    expect((await services.auth.authenticate(newRaw)).result).toBe('valid');
  });

  it('concurrent rotations of one key: exactly one replacement wins, the rest conflict', async () => {
    const old = await services.keys.create(operator(), { name: 'contended' });
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => services.keys.rotate(operator(), old.key.id)));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as { code: string }).code).toBe('conflict');
    const replacements = (await services.store.listKeys(projectId, { limit: 200 })).items.filter((k) => k.rotatedFrom === old.key.id);
    expect(replacements).toHaveLength(1);
    expect((await services.store.getKey(old.key.id))?.replacedBy).toBe(replacements[0]!.id);
  });
});

describe('edits in place: one write conditional on the version', () => {
  it('sets and removes fields, moves the version, and the admission reads the new limit at once', async () => {
    const { key, secret } = await services.keys.create(operator(), { name: 'edited', rateLimit: { limit: 5, windowSeconds: 60 }, models: ['archibot'] });
    expect((await services.auth.authenticate(secret)).result).toBe('valid');
    const edited = await services.store.updateKey(key.id, { version: 1, set: { name: 'edited 2', rateLimit: { limit: 1, windowSeconds: 60 }, metadata: { a: 'b' } }, remove: ['models', 'expiresAt'] });
    expect(edited).toMatchObject({ name: 'edited 2', version: 2, rateLimit: { limit: 1, windowSeconds: 60 }, metadata: { a: 'b' }, expiresAt: null });
    expect(edited !== 'stale' && edited?.models).toBeUndefined();
    // One admitted before the edit: the new limit of 1 is spent.
    expect((await services.auth.authenticate(secret)).result).toBe('rate_limited');
  });

  it('a stale version writes nothing; of concurrent edits at one version exactly one lands', async () => {
    const { key } = await services.keys.create(operator(), { name: 'raced' });
    const outcomes = await Promise.all(Array.from({ length: 12 }, (_, i) => services.store.updateKey(key.id, { version: 1, set: { name: `writer ${i}` }, remove: [] })));
    const landed = outcomes.filter((o) => o !== 'stale');
    expect(landed).toHaveLength(1);
    expect(await services.store.getKey(key.id)).toMatchObject({ name: (landed[0] as { name: string }).name, version: 2 });
    expect(await services.store.updateKey(key.id, { version: 1, set: { name: 'late' }, remove: [] })).toBe('stale');
    expect(await services.store.updateKey('key_0000000000000000000000', { version: 1, set: { name: 'x' }, remove: [] })).toBeUndefined();
  });

  it('a paused key is refused by the admission write without counting; revoke moves the version', async () => {
    const { key, secret } = await services.keys.create(operator(), { name: 'paused', rateLimit: { limit: 3, windowSeconds: 60 } });
    await services.store.updateKey(key.id, { version: 1, set: { status: 'disabled' }, remove: [] });
    const refused = await services.store.admitKeyUse(key.id, key.hash, Date.now());
    expect(refused).toMatchObject({ admitted: false, window: { count: 0 } });
    expect((await services.store.getKey(key.id))!.lastUsedAt).toBeUndefined();
    expect((await services.auth.authenticate(secret)).result).toBe('disabled');
    expect((await services.store.revokeKey(key.id, new Date().toISOString()))!.version).toBe(3);
  });
});

describe('rate limit and credits under concurrency', () => {
  it('admits exactly the limit per window however many requests race', async () => {
    const key = await services.keys.create(operator(), { name: 'limited', rateLimit: { limit: 7, windowSeconds: 60 } });
    const results = await Promise.all(Array.from({ length: 40 }, () => services.auth.authenticate(key.secret)));
    expect(results.filter((r) => r.result === 'valid')).toHaveLength(7);
    expect(results.filter((r) => r.result === 'rate_limited')).toHaveLength(33);
  });

  it('starts a new window once the old one has passed', async () => {
    const clock = new OffsetClock();
    const { keys, auth } = keyServices({ store: services.store, secrets, clock });
    const key = await keys.create(operator(), { name: 'windowed', rateLimit: { limit: 2, windowSeconds: 3 } });
    expect((await auth.authenticate(key.secret)).result).toBe('valid');
    expect((await auth.authenticate(key.secret)).result).toBe('valid');
    expect((await auth.authenticate(key.secret)).result).toBe('rate_limited');
    clock.advance(3050);
    const next = await Promise.all(Array.from({ length: 10 }, () => auth.authenticate(key.secret)));
    expect(next.filter((r) => r.result === 'valid')).toHaveLength(2);
  });

  it('one-time nonces are single use', async () => {
    expect(await services.store.claimNonce('n-1', Date.now() + 60_000)).toBe(true);
    expect(await services.store.claimNonce('n-1', Date.now() + 60_000)).toBe(false);
  });

  it('a project\'s key-managers lease has one holder at a time, runs out by itself, and is ended only by its holder', async () => {
    const store = services.store;
    const now = 1_000_000;
    expect(await store.acquireKeyManagersLease('lease-p', 'a', now + 10_000, now)).toBe(true);
    expect(await store.acquireKeyManagersLease('lease-p', 'b', now + 10_000, now + 1)).toBe(false);
    // Another project's lease is its own.
    expect(await store.acquireKeyManagersLease('lease-q', 'b', now + 10_000, now + 1)).toBe(true);
    // Only the holder ends it.
    await store.releaseKeyManagersLease('lease-p', 'b');
    expect(await store.acquireKeyManagersLease('lease-p', 'b', now + 10_000, now + 2)).toBe(false);
    await store.releaseKeyManagersLease('lease-p', 'a');
    expect(await store.acquireKeyManagersLease('lease-p', 'b', now + 10_000, now + 3)).toBe(true);
    // A holder that died: its lease runs out at `until`.
    expect(await store.acquireKeyManagersLease('lease-p', 'c', now + 20_000, now + 9_999)).toBe(false);
    expect(await store.acquireKeyManagersLease('lease-p', 'c', now + 20_000, now + 10_000)).toBe(true);
  });

  it('a unique audit record is written once; plain ones never collide', async () => {
    // Its own project, dated now: the listing of the newest ten holds it whatever else this run
    // writes and whatever today's date is.
    const own = (await services.operator.createProject({ accountId, name: 'unique audit', actor: 'test' })).project.id;
    const record = { id: 'aud_0000000000000001', at: new Date().toISOString(), projectId: own, action: 'key.create', outcome: 'success' as const, actor: 'test' };
    expect(await services.store.putAudit(record, { unique: true })).toBe(true);
    expect(await services.store.putAudit({ ...record, outcome: 'denied' }, { unique: true })).toBe(false);
    const stored = await services.store.queryAudit({ projectId: own, since: record.at, limit: 10 });
    expect(stored.items.filter((r) => r.id === record.id).map((r) => r.outcome)).toEqual(['success']);
  });

  it('reads a key and a person\'s admin record together, in either state', async () => {
    const issued = await services.keys.create(operator(), { name: 'with admin' });
    await services.store.addAdmin(projectId, 'slack:T1:UBOTH', 'test');
    expect(await services.store.getKeyWithAdmin(issued.key.id, { projectId, identity: 'slack:T1:UBOTH' })).toEqual({
      key: await services.store.getKey(issued.key.id),
      admin: true,
    });
    expect(await services.store.getKeyWithAdmin(issued.key.id, { projectId, identity: 'slack:T1:UNONE' })).toMatchObject({ admin: false, key: { id: issued.key.id } });
    expect(await services.store.getKeyWithAdmin('key_0000000000000000000000', { projectId, identity: 'slack:T1:UBOTH' })).toEqual({ admin: true });
  });
});

describe('writes after the answer share round trips when they wait together (group commit)', () => {
  /** Counts the hot-path transport's calls by operation while `run` runs. */
  async function counting<T>(run: () => Promise<T>): Promise<{ result: T; calls: Record<string, number> }> {
    const calls: Record<string, number> = {};
    let on = true;
    services.dynamoWire.intercept((call, next) => {
      if (on) calls[call.operation] = (calls[call.operation] ?? 0) + 1;
      return next();
    });
    try {
      return { result: await run(), calls };
    } finally {
      on = false;
    }
  }

  it('usage records waiting together go out in shared BatchWriteItems, every one stored, the same key never twice in one batch', async () => {
    const at = new Date().toISOString();
    const keyId = 'key_groupcommit00000000000';
    const records = Array.from({ length: 70 }, (_, i) => ({
      requestId: `req_gc_${String(i).padStart(3, '0')}`,
      at,
      projectId,
      accountId,
      keyId,
      route: 'POST /v1/responses',
      status: 200,
      credits: i / 1000,
    }));
    // The same record twice (same request id and time: one item) must not break its batch.
    const written = [...records, { ...records[5]!, credits: 0.5 }];
    const { calls } = await counting(() => Promise.all(written.map((r) => services.store.putUsage(r))));
    expect(calls.BatchWriteItem).toBeGreaterThanOrEqual(Math.ceil(written.length / 25));
    expect(calls.BatchWriteItem).toBeLessThan(written.length);
    const stored = [];
    let cursor: string | undefined;
    do {
      const page = await services.store.queryUsage({ projectId, keyId, since: at, cursor, limit: 200 });
      stored.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(stored.map((r) => r.requestId).sort()).toEqual(records.map((r) => r.requestId));
    expect(stored.find((r) => r.requestId === 'req_gc_005')?.credits).toBe(0.5);
  });
});

describe('hashing secret rotation', () => {
  it('keys issued under the previous secret keep working while it is configured, and only then', async () => {
    const issued = await services.keys.create(operator(), { name: 'old secret' });
    const rotatedSecrets = new StaticSecretsProvider({ hashing: { current: 'new-hashing-secret', previous: 'test-hashing-secret' } });
    const withPrevious = keyServices({ store: services.store, secrets: rotatedSecrets, clock: systemClock });
    expect((await withPrevious.auth.authenticate(issued.secret)).result).toBe('valid');
    expect((await withPrevious.auth.inspect(issued.secret))?.id).toBe(issued.key.id);
    const fresh = await withPrevious.keys.create(operator(), { name: 'new secret' });
    const withoutPrevious = keyServices({
      store: services.store,
      secrets: new StaticSecretsProvider({ hashing: { current: 'new-hashing-secret' } }),
      clock: systemClock,
    }).auth;
    expect((await withoutPrevious.authenticate(issued.secret)).result).toBe('invalid');
    expect((await withoutPrevious.authenticate(fresh.secret)).result).toBe('valid');
  });
});

describe('accounts: the balance item stays out of every index', () => {
  const table = 'store-test';
  const doc = () => DynamoDBDocumentClient.from(services.dynamo);
  const item = async (key: ItemKey) => (await doc().send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;

  it('a new account is listed through its directory entry, with the balance as it stands now', async () => {
    const account = await services.operator.createAccount({ name: 'directory', apiAccess: true, credits: 10 });
    const balance = await item(itemKey.account(account.id));
    expect(balance).toBeDefined();
    expect(balance).not.toHaveProperty('gsi1pk');
    expect(balance).not.toHaveProperty('gsi1sk');
    expect(await item(itemKey.accountDirectory(account.id))).toMatchObject({ gsi1pk: 'ACCOUNTS', id: account.id });

    expect((await services.store.adjustCredits(account.id, -3)).ok).toBe(true);
    const listed = (await services.operator.listAccounts()).filter((a) => a.id === account.id);
    expect(listed).toEqual([{ ...account, credits: 7 }]);
  });

  it('an account stored the old way (its balance item indexed) is listed once and moved out of the index', async () => {
    const old = { id: 'acct_legacyAccountForIndexMove', name: 'legacy', apiAccess: true, credits: 5, createdAt: '2020-01-01T00:00:00.000Z' };
    await doc().send(new PutCommand({ TableName: table, Item: { ...itemKey.account(old.id), gsi1pk: partition.accounts, gsi1sk: sortKey.timeline(old.createdAt, old.id), ...old } }));

    const first = await services.operator.listAccounts();
    expect(first.filter((a) => a.id === old.id)).toEqual([old]);
    expect(first[0]?.id).toBe(old.id); // oldest first
    expect(await item(itemKey.account(old.id))).not.toHaveProperty('gsi1pk');
    expect(await item(itemKey.accountDirectory(old.id))).toMatchObject({ gsi1pk: 'ACCOUNTS', gsi1sk: `${old.createdAt}#${old.id}` });

    const again = await services.operator.listAccounts();
    expect(again.filter((a) => a.id === old.id)).toEqual([old]);
    expect(again.map((a) => a.id)).toEqual(first.map((a) => a.id));
  });

  it('a directory entry whose account was never stored (a create cut short) is not listed', async () => {
    const ghost = 'acct_directoryEntryWithoutAccount';
    await doc().send(
      new PutCommand({ TableName: table, Item: { ...itemKey.accountDirectory(ghost), gsi1pk: partition.accounts, gsi1sk: sortKey.timeline('2021-01-01T00:00:00.000Z', ghost), id: ghost, createdAt: '2021-01-01T00:00:00.000Z' } }),
    );
    const listed = await services.operator.listAccounts();
    expect(listed.some((a) => a.id === ghost)).toBe(false);
    expect(listed.length).toBeGreaterThan(0);
  });
});
