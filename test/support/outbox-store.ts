import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { StaticSecretsProvider } from '../../lambdas/adapters/secrets';
import { loadConfig, type Config } from '../../lambdas/config';
import type { StoredEvent } from '../../lambdas/core/events';
import type { Principal } from '../../lambdas/core/principal';
import { buildServices, type Services } from '../../lambdas/services';
import { OffsetClock } from './clock';
import { createTable, startDynalite } from './dynalite';

/**
 * A real store on dynalite with one account and project, for the tests of a key change's event
 * (core/event-outbox.ts) and of the pending event a new key's put carries (store/keys.ts): its
 * services, clock and project as live bindings, set by `useOutboxStore` before the file's tests.
 */
export let services: Services;
export let clock: OffsetClock;
export let projectId: string;
let table: string;
let endpoint: string;

export const keys = new StaticSecretsProvider({ hashing: { current: 'test-hashing-secret' }, botAssertion: { current: 'bot-secret' } });
export const operator = (): Principal => ({ kind: 'operator', actor: 'cli:test', projectId });
/** The configuration of this store: a second set of services (another writer) is built from it. */
export const config = (): Config => loadConfig({ TABLE_NAME: table, DYNAMODB_ENDPOINT: endpoint, KEYWARDEN_WEBHOOKS_ALLOW_LOOPBACK: '1' });

export function useOutboxStore(tableName: string): void {
  let dynalite: { endpoint: string; close(): Promise<void> } | undefined;
  beforeAll(async () => {
    table = tableName;
    dynalite = await startDynalite();
    endpoint = dynalite.endpoint;
    await createTable(endpoint, table);
    clock = new OffsetClock();
    services = buildServices(config(), { secrets: keys, clock });
    const accountId = (await services.operator.createAccount({ name: 'a', apiAccess: true, credits: 0 })).id;
    projectId = (await services.operator.createProject({ accountId, name: 'p', actor: 'cli:test' })).project.id;
  // The project's own creation (its Automator key's key.created) delivered now, before any webhook of the tests exists.
  await services.relay.runDue();
  });
  afterAll(async () => {
    services?.dynamo.destroy();
    await dynalite?.close();
  });
}

/** A key's item as stored, raw: what it still carries of its change (event, indexes). */
export async function rawKey(keyId: string): Promise<Record<string, unknown> | undefined> {
  const out = await services.dynamo.send(new GetItemCommand({ TableName: table, Key: { pk: { S: `KEY#${keyId}` }, sk: { S: 'KEY' } }, ConsistentRead: true }));
  return out.Item && unmarshall(out.Item);
}

/** What makes a key item cost more per write: a place in an index, or an event it carries. */
export const carriedParts = (item: Record<string, unknown> | undefined) => ['gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'pev'].filter((name) => item && name in item);

/** How many times the project's key list shows `keyId`. */
export async function listed(keyId: string): Promise<number> {
  const page = await services.store.listKeys(projectId, { limit: 200 });
  return page.items.filter((k) => k.id === keyId).length;
}

/** The project's stored events of `type` about `keyId`. */
export async function storedEvents(type: string, keyId: string): Promise<StoredEvent[]> {
  const page = await services.store.listEvents(projectId, { limit: 200 });
  return page.items.filter((s) => s.event.type === type && s.event.data.key?.id === keyId);
}
