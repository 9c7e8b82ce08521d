import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoClient } from '../../lambdas/adapters/dynamodb-client';
import { ensureTable, startDynalite, type DynaliteServer } from '../../lambdas/adapters/dynalite-server';
import { StaticSecretsProvider } from '../../lambdas/adapters/secrets';
import { loadConfig } from '../../lambdas/config';
import { buildServices, type Services } from '../../lambdas/services';

/** The reads that answer "who asks" with "what about": one BatchGetItem each (store/keys.ts). */
let dynalite: DynaliteServer;
let services: Services;
let projectId: string;
let accountId: string;
const secrets = new StaticSecretsProvider({ hashing: { current: 'test-hashing-secret' }, botAssertion: { current: 'x' } });

beforeAll(async () => {
  dynalite = await startDynalite();
  const dynamo = createDynamoClient(dynalite.endpoint);
  await ensureTable(dynamo, 'key-reads-test');
  services = buildServices(loadConfig({ TABLE_NAME: 'key-reads-test', DYNAMODB_ENDPOINT: dynalite.endpoint }), { dynamo, secrets });
  accountId = (await services.operator.createAccount({ name: 'a', apiAccess: true, credits: 0 })).id;
  projectId = (await services.operator.createProject({ accountId, name: 'p', actor: 'test' })).project.id;
  await services.store.addAdmin(projectId, 'slack:T1:UADMIN', 'test');
});
afterAll(async () => {
  services?.dynamo.destroy();
  await dynalite?.close();
});

const operator = () => ({ kind: 'operator' as const, actor: 'test', projectId });

describe('a key with its admin entry and its account', () => {
  it('reads the account too when asked, and says nothing of one that does not exist', async () => {
    const { key } = await services.keys.create(operator(), { name: 'with account' });
    const account = await services.store.getAccount(accountId);
    const admin = { projectId, identity: 'slack:T1:UADMIN' };
    expect(await services.store.getKeyWithAdmin(key.id, admin, { accountId })).toEqual({ key: await services.store.getKey(key.id), admin: true, account });
    expect(await services.store.getKeyWithAdmin(key.id, { projectId, identity: 'slack:T1:UNONE' }, { accountId })).toMatchObject({ admin: false, account: { id: accountId } });
    const missing = await services.store.getKeyWithAdmin(key.id, admin, { accountId: 'acct_0000000000000000' });
    expect(missing).toMatchObject({ admin: true, key: { id: key.id } });
    expect(missing).not.toHaveProperty('account');
    expect(await services.store.getKeyWithAdmin(key.id, admin)).not.toHaveProperty('account');
  });
});

describe('a page of keys with an admin entry', () => {
  it('answers whether the person is an admin beside the page, and only when asked', async () => {
    // Nothing listed: the admin entry is read on its own.
    expect(await services.store.listKeys('proj_0000000000000000', { limit: 10, admin: 'slack:T1:UADMIN' })).toEqual({ items: [], admin: false });
    const own = (await services.operator.createProject({ accountId, name: 'listing', actor: 'test' })).project.id;
    await services.store.addAdmin(own, 'slack:T1:UADMIN', 'test');
    const made = await services.keys.create({ kind: 'operator', actor: 'test', projectId: own }, { name: 'listed' });
    const page = await services.store.listKeys(own, { limit: 10, admin: 'slack:T1:UADMIN' });
    expect(page.admin).toBe(true);
    expect(page.items.map((k) => k.id)).toContain(made.key.id);
    expect((await services.store.listKeys(own, { limit: 10, admin: 'slack:T1:UNONE' })).admin).toBe(false);
    expect(await services.store.listKeys(own, { limit: 10 })).not.toHaveProperty('admin');
  });
});
