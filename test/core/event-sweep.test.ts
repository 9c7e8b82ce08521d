import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticSecretsProvider } from '../../lambdas/adapters/secrets';
import { loadConfig } from '../../lambdas/config';
import { periodEnd } from '../../lambdas/core/budget';
import { DAY_MS } from '../../lambdas/core/duration';
import { KeywardenError } from '../../lambdas/core/errors';
import { EventOutbox, eventIdFor } from '../../lambdas/core/event-outbox';
import { creditsLowEventId, EventSweep } from '../../lambdas/core/event-sweep';
import type { StoredEvent } from '../../lambdas/core/events';
import type { IssuedKey } from '../../lambdas/core/key-service';
import type { Principal } from '../../lambdas/core/principal';
import type { KeyRecord } from '../../lambdas/core/types';
import { buildServices, type Services } from '../../lambdas/services';
import { OffsetClock } from '../support/clock';
import { createTable, startDynalite } from '../support/dynalite';
import { startReceiver } from '../support/webhook-receiver';

/**
 * The event sweep (core/event-sweep.ts) against a real store on dynalite: the events no write
 * announces — a key about to expire, a budget threshold, a low balance — each stored once however
 * often it is found, then delivered by the relay to a webhook like any other. Times come from the
 * moving test clock; the sweep is built from buildServices' parts, as Services wires it.
 */
let dynalite: { endpoint: string; close(): Promise<void> };
let services: Services;
let clock: OffsetClock;
let sweep: EventSweep;
let accountId: string;
let projectId: string;
/** Every raw key this file made: none may appear in any event. */
const secrets: string[] = [];
const operator = (project = projectId): Principal => ({ kind: 'operator', actor: 'cli:test', projectId: project });

async function issue(input: Parameters<Services['keys']['create']>[1], project = projectId): Promise<IssuedKey> {
  const issued = await services.keys.create(operator(project), input);
  secrets.push(issued.secret);
  return issued;
}

/** Spends `credits` of a key's budget as a model call does: admitted with the reservation, released with the charge. */
async function spend(key: KeyRecord, credits: number): Promise<void> {
  const admitted = await services.store.admitKeyUse(key.id, key.hash, clock.now(), { reserve: credits });
  expect(admitted.admitted).toBe(true);
  await services.store.releaseKeyUse(key.id, { hold: admitted.hold!, charge: credits, tokens: 0 }, clock.now());
}

/** A sweep, with the window of times its events may carry. */
async function swept(on = sweep): Promise<{ expiring: number; budget: number; creditsLow: number; from: number; to: number }> {
  const from = clock.now();
  const report = await on.run();
  return { ...report, from, to: clock.now() };
}

/** The stored events of a project of one type, oldest first. */
async function eventsOf(type: string, project = projectId): Promise<StoredEvent[]> {
  const page = await services.store.listEvents(project, { limit: 200 });
  return page.items.filter((s) => s.event.type === type).reverse();
}

function expectAt(stored: StoredEvent, window: { from: number; to: number }): void {
  const at = Date.parse(stored.event.timestamp);
  expect(at).toBeGreaterThanOrEqual(window.from);
  expect(at).toBeLessThanOrEqual(window.to);
  expect(stored.state).toBe('ready');
  expect(stored.marker).toBeUndefined();
}

beforeAll(async () => {
  dynalite = await startDynalite();
  await createTable(dynalite.endpoint, 'event-sweep-test');
  clock = new OffsetClock();
  const keys = new StaticSecretsProvider({ hashing: { current: 'test-hashing-secret' }, botAssertion: { current: 'bot-secret' } });
  services = buildServices(loadConfig({ TABLE_NAME: 'event-sweep-test', DYNAMODB_ENDPOINT: dynalite.endpoint, KEYWARDEN_WEBHOOKS_ALLOW_LOOPBACK: '1' }), { secrets: keys, clock });
  sweep = new EventSweep({ store: services.store, clock: services.clock, events: services.events, log: services.logger });
  accountId = (await services.operator.createAccount({ name: 'a', apiAccess: true, credits: 0 })).id;
  projectId = (await services.operator.createProject({ accountId, name: 'p', actor: 'cli:test' })).project.id;
});
afterAll(async () => {
  services?.dynamo.destroy();
  await dynalite?.close();
});

describe('key.expiring', () => {
  let expiring: IssuedKey;

  it('a key expiring in 3 days: one event, with the expiry and the days left; a second run adds none', async () => {
    expiring = await issue({ name: 'soon', expiresInMs: 3 * DAY_MS });
    // Not announced: a key well ahead of its expiry, a revoked one, one rotated away.
    await issue({ name: 'later', expiresInMs: 30 * DAY_MS });
    const revoked = await issue({ name: 'revoked soon', expiresInMs: 2 * DAY_MS });
    await services.keys.revoke(operator(), revoked.key.id);
    const first = await swept();
    expect(first).toMatchObject({ expiring: 1, budget: 0, creditsLow: 0 });
    const [stored, ...more] = await eventsOf('key.expiring');
    expect(more).toEqual([]);
    expect(stored!.event).toEqual({
      id: eventIdFor('key.expiring', expiring.key.id, expiring.key.expiresAt!),
      type: 'key.expiring',
      timestamp: stored!.event.timestamp,
      data: {
        account: accountId,
        project: projectId,
        key: { id: expiring.key.id, name: 'soon', start: expiring.key.start, type: expiring.key.type },
        details: { expiresAt: new Date(expiring.key.expiresAt!).toISOString(), daysLeft: 3 },
      },
    });
    expectAt(stored!, first);
    expect(await services.store.getEvent(stored!.event.id)).toEqual(stored);

    expect(await swept()).toMatchObject({ expiring: 0, budget: 0, creditsLow: 0 });
    expect(await eventsOf('key.expiring')).toHaveLength(1);
  });

  it('the expiry edited: a new event for the new date', async () => {
    const expiresAt = clock.now() + 5 * DAY_MS;
    await services.keys.update(operator(), expiring.key.id, { expiresAt });
    const run = await swept();
    expect(run).toMatchObject({ expiring: 1, budget: 0, creditsLow: 0 });
    const events = await eventsOf('key.expiring');
    expect(events).toHaveLength(2);
    const latest = events.find((s) => s.event.id === eventIdFor('key.expiring', expiring.key.id, expiresAt))!;
    expect(latest.event.data.details).toEqual({ expiresAt: new Date(expiresAt).toISOString(), daysLeft: 5 });
    expectAt(latest, run);
    expect(await swept()).toMatchObject({ expiring: 0 });
  });
});

describe('delivery', () => {
  // Before the clock moves on (the budget's next day): a receiver checks the signed time against its own.
  it('the relay delivers a key.expiring event to a webhook, signed per Standard Webhooks', async () => {
    const receiver = await startReceiver();
    try {
      const project = (await services.operator.createProject({ accountId, name: 'hooked', actor: 'cli:test' })).project.id;
      const { webhook, secret } = await services.webhooks.create(operator(project), { url: receiver.url, events: ['key.expiring'] });
      const soon = await issue({ name: 'hooked soon', expiresInMs: 2 * DAY_MS }, project);
      expect(await swept()).toMatchObject({ expiring: 1 });
      const id = eventIdFor('key.expiring', soon.key.id, soon.key.expiresAt!);

      for (let pass = 0; pass < 10 && !receiver.received.some((r) => r.headers['webhook-id'] === id); pass++) await services.relay.runDue();
      // Verified per Standard Webhooks (`new Webhook(secret).verify`); only the subscribed type reached it.
      const verified = receiver.verified(secret);
      expect(verified).toEqual([{ ...(await services.store.getEvent(id))!.event }]);
      expect(verified[0]).toMatchObject({ id, type: 'key.expiring', data: { project, key: { id: soon.key.id }, details: { daysLeft: 2 } } });
      const deliveries = await services.store.listDeliveries(webhook.id, { limit: 10 });
      expect(deliveries.items.find((d) => d.eventId === id)).toMatchObject({ status: 'delivered', eventType: 'key.expiring' });
      for (const r of receiver.received) for (const raw of secrets) expect(r.body).not.toContain(raw);
    } finally {
      await receiver.close();
    }
  });
});

describe('budget.threshold', () => {
  it('80 % once, 100 % once, and both again in the next period', async () => {
    // An hour into a UTC day, so the spending below stays inside one period.
    clock.advance(periodEnd('day', clock.now()) - clock.now() + 3_600_000);
    const budgeted = await issue({ name: 'budgeted', budget: { credits: 10, period: 'day' } });
    const key = budgeted.key;
    await spend(key, 8);
    const at80 = await swept();
    expect(at80).toMatchObject({ expiring: 0, budget: 1, creditsLow: 0 });
    const end = periodEnd('day', clock.now());
    const [eighty, ...none] = await eventsOf('budget.threshold');
    expect(none).toEqual([]);
    expect(eighty!.event).toEqual({
      id: eventIdFor('budget.threshold', key.id, end, '10/day', 80),
      type: 'budget.threshold',
      timestamp: eighty!.event.timestamp,
      data: {
        account: accountId,
        project: projectId,
        key: { id: key.id, name: 'budgeted', start: key.start, type: key.type },
        details: { threshold: 80, credits: 10, period: 'day', spent: 8, left: 2, periodEnd: new Date(end).toISOString() },
      },
    });
    expectAt(eighty!, at80);
    expect(await swept()).toMatchObject({ budget: 0 });

    await spend(key, 2);
    const at100 = await swept();
    expect(at100).toMatchObject({ budget: 1 });
    const hundred = (await eventsOf('budget.threshold')).find((s) => s.event.data.details.threshold === 100)!;
    expect(hundred.event.id).toBe(eventIdFor('budget.threshold', key.id, end, '10/day', 100));
    expect(hundred.event.data.details).toEqual({ threshold: 100, credits: 10, period: 'day', spent: 10, left: 0, periodEnd: new Date(end).toISOString() });
    expectAt(hundred, at100);
    expect(await swept()).toMatchObject({ budget: 0 });

    // The next day: a fresh period, nothing spent, nothing announced — until it is spent again.
    clock.advance(DAY_MS);
    expect(await swept()).toMatchObject({ budget: 0 });
    await spend(key, 10);
    // An outbox of its own that tells the order events are stored in (the relay delivers them soonest first).
    const order: string[] = [];
    const recorded = new EventSweep({ store: services.store, clock, events: new EventOutbox({ store: services.store, clock }, (ready) => order.push(ready.event.id)), log: services.logger });
    const next = await swept(recorded);
    expect(next).toMatchObject({ budget: 2 });
    const nextEnd = periodEnd('day', clock.now());
    expect(nextEnd).toBe(end + DAY_MS);
    // Both reached at once: both announced, 80 first.
    const fresh = await Promise.all(order.map(async (id) => (await services.store.getEvent(id))!));
    expect(fresh.map((s) => [s.event.id, s.event.data.details.threshold, s.event.data.details.spent, s.event.data.details.periodEnd])).toEqual([
      [eventIdFor('budget.threshold', key.id, nextEnd, '10/day', 80), 80, 10, new Date(nextEnd).toISOString()],
      [eventIdFor('budget.threshold', key.id, nextEnd, '10/day', 100), 100, 10, new Date(nextEnd).toISOString()],
    ]);
    expect(await swept()).toMatchObject({ budget: 0 });
  });
});

describe('account.credits_low', () => {
  let low: string;

  it('an operator sets the threshold: checked, and the account must exist', async () => {
    low = (await services.operator.createAccount({ name: 'low', apiAccess: true, credits: 100 })).id;
    expect((await services.operator.setCreditsLowThreshold(low, 50)).creditsLowThreshold).toBe(50);
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(services.operator.setCreditsLowThreshold(low, bad)).rejects.toMatchObject({ code: 'invalid_request_error' });
    }
    const missing = services.operator.setCreditsLowThreshold('acct_0000000000000000', 5);
    await expect(missing).rejects.toBeInstanceOf(KeywardenError);
    await expect(missing).rejects.toMatchObject({ code: 'not_found' });
    const other = (await services.operator.createAccount({ name: 'off', credits: 0 })).id;
    await services.operator.setCreditsLowThreshold(other, 10);
    expect((await services.operator.setCreditsLowThreshold(other, null)).creditsLowThreshold).toBeUndefined();
    // Above the threshold, and the account with none: nothing.
    expect(await swept()).toMatchObject({ creditsLow: 0 });
  });

  it('below: one event per fall; a grant ends the episode; the next fall is a second event', async () => {
    await services.operator.adjustCredits(low, -60);
    const fell = await swept();
    expect(fell).toMatchObject({ expiring: 0, budget: 0, creditsLow: 1 });
    const first = (await services.store.getEvent(creditsLowEventId(low, 0)))!;
    expect(first.event).toEqual({
      id: eventIdFor('account.credits_low', low, 0),
      type: 'account.credits_low',
      timestamp: first.event.timestamp,
      data: { account: low, details: { balance: 40, threshold: 50 } },
    });
    expectAt(first, fell);
    // Still below: nothing more, the episode unchanged.
    expect(await swept()).toMatchObject({ creditsLow: 0 });
    expect((await services.store.getAccount(low))!.creditsLowEpisode ?? 0).toBe(0);

    await services.operator.adjustCredits(low, 100);
    expect(await swept()).toMatchObject({ creditsLow: 0 });
    expect((await services.store.getAccount(low))!.creditsLowEpisode).toBe(1);
    expect(await swept()).toMatchObject({ creditsLow: 0 });
    expect((await services.store.getAccount(low))!.creditsLowEpisode).toBe(1);

    await services.operator.adjustCredits(low, -120);
    const again = await swept();
    expect(again).toMatchObject({ creditsLow: 1 });
    const second = (await services.store.getEvent(creditsLowEventId(low, 1)))!;
    expect(second.event.id).not.toBe(first.event.id);
    expect(second.event.data).toEqual({ account: low, details: { balance: 20, threshold: 50 } });
    expectAt(second, again);
  });

  it('sweeps at once (two instances, or a timer firing during a run): still one event per fall', async () => {
    await services.operator.adjustCredits(low, 100);
    await swept(); // the episode moves on (2)
    await services.operator.adjustCredits(low, -100);
    const other = new EventSweep({ store: services.store, clock: services.clock, events: services.events, log: services.logger });
    const runs = await Promise.all([sweep.run(), sweep.run(), other.run(), other.run()]);
    expect(runs[0]).toBe(runs[1]);
    expect(runs[0]!.creditsLow + runs[2]!.creditsLow).toBe(1);
    expect(await services.store.getEvent(creditsLowEventId(low, 2))).toBeDefined();
    expect(await services.store.getEvent(creditsLowEventId(low, 3))).toBeUndefined();
  });
});

describe('no raw key', () => {
  it('no stored event, of any project or account, holds a raw key', async () => {
    const stored: StoredEvent[] = [];
    for (const project of await services.store.listProjects()) stored.push(...(await services.store.listEvents(project.id, { limit: 500 })).items);
    const low = (await services.store.listAccounts()).find((a) => a.name === 'low')!;
    for (let episode = 0; episode <= (low.creditsLowEpisode ?? 0); episode++) {
      const event = await services.store.getEvent(creditsLowEventId(low.id, episode));
      if (event) stored.push(event);
    }
    expect(stored.filter((s) => ['key.expiring', 'budget.threshold', 'account.credits_low'].includes(s.event.type)).length).toBeGreaterThanOrEqual(8);
    const json = JSON.stringify(stored);
    expect(secrets.length).toBeGreaterThan(0);
    for (const raw of secrets) expect(json).not.toContain(raw);
  });
});
