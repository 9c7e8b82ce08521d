import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lambdas/config';
import type { LifecycleEvent } from '../../lambdas/core/events';
import { buildServices, type Services } from '../../lambdas/services';
import { createTable, startDynalite } from '../support/dynalite';

/**
 * The events relay's Lambda entry (lambdas/handlers/events.ts), as Lambda runs it: services built
 * at cold start from the environment, against dynalite. Every way it is invoked — the minute
 * schedule, the 5-minute sweep, a stream batch — ends in a relay pass that empties the outbox.
 */
const TABLE = 'keywarden-events-handler';
let db: Awaited<ReturnType<typeof startDynalite>>;
let services: Services;
let handler: (typeof import('../../lambdas/handlers/events'))['handler'];
const saved = { ...process.env };

beforeAll(async () => {
  db = await startDynalite();
  await createTable(db.endpoint, TABLE);
  Object.assign(process.env, { TABLE_NAME: TABLE, DYNAMODB_ENDPOINT: db.endpoint, LOG_LEVEL: 'SILENT' });
  ({ handler } = await import('../../lambdas/handlers/events'));
  services = buildServices(loadConfig());
});
afterAll(async () => {
  process.env = saved;
  services?.dynamo.destroy();
  await db?.close();
});

let n = 0;
async function emitted(): Promise<string> {
  const event: LifecycleEvent = {
    id: `evt_handler${String(++n).padStart(14, '0')}`,
    type: 'account.credits_low',
    timestamp: new Date().toISOString(),
    data: { account: 'acct_handler', details: { balance: 5, threshold: 10 } },
  };
  expect(await services.events.emitOnce(event)).toBe(true);
  return event.id;
}
const inOutbox = async (id: string) => (await services.store.getEvent(id))?.due !== undefined;

describe('events handler', () => {
  it.each([
    ['the minute schedule', { keywarden: 'relay' as const }],
    ['the sweep', { keywarden: 'sweep' as const }],
    ['a stream batch', { Records: [{ eventName: 'INSERT' }] }],
  ])('relays what is due when invoked by %s', async (_, invocation) => {
    const id = await emitted();
    expect(await inOutbox(id)).toBe(true);
    await handler(invocation);
    expect(await inOutbox(id)).toBe(false);
    expect((await services.store.getEvent(id))?.event.id).toBe(id);
  });
});
