/**
 * Issue 22 point 3, from the outside: a project's webhook receives every key lifecycle event the
 * API's changes cause, signed per the Standard Webhooks specification (verified here with the
 * `standardwebhooks` package itself), never with a raw key; a receiver that fails is retried on
 * the schedule until it answers, each event arriving once by id; and the delivery log says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { RETRY_FOR_MS, retryDelayMs } from '../../../lambdas/core/events';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { startReceiver } from '../../support/webhook-receiver';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ KEYWARDEN_WEBHOOKS_ALLOW_LOOPBACK: '1' });
});
afterAll(async () => {
  await stack?.stop();
});

async function addWebhook(url: string, events?: string[]) {
  const res = await stack.json('/v1/webhooks', { key: stack.adminKey, body: { url, ...(events ? { events } : {}) } });
  expect(res.status).toBe(201);
  return res.body as { id: string; secret: string; events: string[] };
}

async function removeWebhook(id: string) {
  expect((await stack.json(`/v1/webhooks/${id}`, { key: stack.adminKey, method: 'DELETE' })).status).toBe(200);
}

async function newKey(name: string) {
  const res = await stack.json('/v1/keys', { key: stack.adminKey, body: { name } });
  expect(res.status).toBe(201);
  return res.body as { id: string; key: string; start: string; version: number };
}

describe('webhooks: every key lifecycle event, signed', () => {
  it('delivers created, updated, disabled, enabled, rotated, exposed, revoked and deleted, each verified and without a raw key', async () => {
    const receiver = await startReceiver();
    const hook = await addWebhook(receiver.url);
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
    try {
      // The secret is shown once: never listed.
      const listed = await stack.json('/v1/webhooks', { key: stack.adminKey });
      expect(JSON.stringify(listed.body)).not.toContain(hook.secret.slice(6));
      expect(listed.body.data.find((w: { id: string }) => w.id === hook.id)).toMatchObject({ url: receiver.url, events: expect.arrayContaining(['key.created', 'account.credits_low']) });
      expect(JSON.stringify(listed.body)).not.toMatch(/sealed/i);

      const a = await newKey('events-a');
      expect((await stack.json(`/v1/keys/${a.id}`, { key: stack.adminKey, method: 'PATCH', body: { name: 'events-a2' } })).status).toBe(200);
      expect((await stack.json(`/v1/keys/${a.id}/disable`, { key: stack.adminKey, method: 'POST' })).status).toBe(200);
      expect((await stack.json(`/v1/keys/${a.id}/enable`, { key: stack.adminKey, method: 'POST' })).status).toBe(200);
      const rotated = await stack.json(`/v1/keys/${a.id}/rotate`, { key: stack.adminKey, body: {} });
      expect(rotated.status).toBe(201);
      const replacement = rotated.body as { id: string; key: string };
      expect((await stack.json(`/v1/keys/${replacement.id}/report-exposed`, { key: stack.adminKey, body: { location: 'pasted in a ticket' } })).status).toBe(200);
      const b = await newKey('events-b');
      expect((await stack.json(`/v1/keys/${b.id}/revoke`, { key: stack.adminKey, method: 'POST' })).status).toBe(200);
      expect((await stack.json(`/v1/keys/${b.id}`, { key: stack.adminKey, method: 'DELETE' })).status).toBe(200);
      await stack.idle();

      const events = receiver.verified(hook.secret);
      const about = (id: string) => events.filter((e) => e.data.key?.id === id).map((e) => e.type);
      expect(about(a.id)).toEqual(['key.created', 'key.updated', 'key.disabled', 'key.enabled', 'key.rotated']);
      expect(about(replacement.id)).toEqual(['key.exposed', 'key.revoked']);
      expect(about(b.id)).toEqual(['key.created', 'key.revoked', 'key.deleted']);

      const project = stack.bootstrap.projectId;
      for (const e of events) {
        expect(e.id).toMatch(/^evt_[0-9A-Za-z]{22}$/);
        expect(Date.parse(e.timestamp)).toBeGreaterThan(0);
        expect(e.data).toMatchObject({ account: stack.bootstrap.accountId, project, key: { id: expect.any(String), name: expect.any(String), start: expect.any(String), type: expect.any(String) } });
      }
      const updated = events.find((e) => e.type === 'key.updated')!;
      expect(updated.data.details).toMatchObject({ name: '"events-a" → "events-a2"', version: '1 → 2' });
      expect(updated.data.actor).toMatchObject({ id: `key:${stack.bootstrap.adminKeyId}`, viaKeyId: stack.bootstrap.adminKeyId });
      expect(events.find((e) => e.type === 'key.rotated')!.data.details).toMatchObject({ replacement: replacement.id });
      expect(events.find((e) => e.type === 'key.exposed')!.data).toMatchObject({ actor: { id: 'system' }, details: { source: 'report', location: 'pasted in a ticket' } });

      // No raw key in any delivery, header or body.
      const wire = JSON.stringify(receiver.received);
      for (const raw of [a.key, replacement.key, b.key, stack.adminKey]) expect(wire).not.toContain(raw);

      // Every attempt carried the event's id as webhook-id, and the log says delivered.
      const log = await stack.json(`/v1/webhooks/${hook.id}/deliveries?limit=200`, { key: stack.adminKey });
      expect(log.status).toBe(200);
      expect(log.body.data).toHaveLength(events.length);
      for (const d of log.body.data) expect(d).toMatchObject({ status: 'delivered', attempts: 1, lastStatus: 204, nextAttemptAt: null });
      expect(new Set(log.body.data.map((d: { eventId: string }) => d.eventId))).toEqual(new Set(events.map((e) => e.id)));
    } finally {
      await removeWebhook(hook.id);
      await receiver.close();
    }
  });

  it('a new project’s Protected Automator key is announced as every key is: key.created, by the operator, audited once', async () => {
    const { project, automator } = await stack.services.operator.createProject({ accountId: stack.bootstrap.accountId, name: 'announced', actor: 'cli:test' });
    await stack.idle();
    const { items } = await stack.services.store.listEvents(project.id, { limit: 20 });
    const created = items.filter((e) => e.event.type === 'key.created');
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ state: 'ready', event: { data: { project: project.id, key: { id: automator.key.id, name: 'Automator key', type: 'system' }, actor: { id: 'cli:test' } } } });
    expect(JSON.stringify(created[0])).not.toContain(automator.secret);
    const audit = await stack.services.store.queryAudit({ projectId: project.id, limit: 20 });
    expect(audit.items.filter((r) => r.action === 'key.create' && r.keyId === automator.key.id).map((r) => [r.actor, r.outcome])).toEqual([['cli:test', 'success']]);
  });

  it('sends only the types a webhook subscribed to, and nothing once it is removed', async () => {
    const receiver = await startReceiver();
    const hook = await addWebhook(receiver.url, ['key.revoked']);
    const k = await newKey('events-c');
    expect((await stack.json(`/v1/keys/${k.id}/revoke`, { key: stack.adminKey, method: 'POST' })).status).toBe(200);
    await stack.idle();
    expect(receiver.verified(hook.secret).map((e) => [e.type, e.data.key.id])).toEqual([['key.revoked', k.id]]);
    await removeWebhook(hook.id);
    expect((await stack.json(`/v1/keys/${k.id}`, { key: stack.adminKey, method: 'DELETE' })).status).toBe(200);
    await newKey('events-d');
    await stack.idle();
    expect(receiver.received).toHaveLength(1);
    expect((await stack.json(`/v1/webhooks/${hook.id}/deliveries`, { key: stack.adminKey })).status).toBe(404);
    await receiver.close();
  });

  it('retries a receiver that fails three times, on the schedule, until it answers: the event arrives once by id', async () => {
    const receiver = await startReceiver((n) => (n < 3 ? 503 : 200));
    const hook = await addWebhook(receiver.url, ['key.created']);
    try {
      const k = await newKey('events-retry');
      await stack.idle();
      expect(receiver.received).toHaveLength(1);
      // Not before its time: a pass just before the first retry is due sends nothing.
      stack.clock.advance(retryDelayMs(1) - 1000);
      await stack.services.relay.runDue();
      expect(receiver.received).toHaveLength(1);
      for (let failed = 1; failed <= 3; failed++) {
        stack.clock.advance(retryDelayMs(failed) + 1000);
        await stack.services.relay.runDue();
        expect(receiver.received).toHaveLength(failed + 1);
      }
      // Delivered: later passes send nothing more.
      stack.clock.advance(RETRY_FOR_MS);
      await stack.services.relay.runDue();
      expect(receiver.received.map((r) => r.status)).toEqual([503, 503, 503, 200]);
      const ids = new Set(receiver.received.map((r) => r.headers['webhook-id']));
      expect(ids.size).toBe(1);
      const events = receiver.verified(hook.secret);
      expect(events.map((e) => [e.type, e.data.key.id])).toEqual([['key.created', k.id]]);
      // Each attempt was signed afresh at its own time, and verifies.
      for (const r of receiver.received) expect(() => new Webhook(hook.secret).verify(r.body, r.headers as Record<string, string>)).not.toThrow();
      const log = await stack.json(`/v1/webhooks/${hook.id}/deliveries`, { key: stack.adminKey });
      expect(log.body.data).toEqual([expect.objectContaining({ eventId: [...ids][0], status: 'delivered', attempts: 4, lastStatus: 200, lastError: null })]);
    } finally {
      await removeWebhook(hook.id);
      await receiver.close();
    }
  });

  it('gives up 24 hours after the event, and says so in the log', async () => {
    const receiver = await startReceiver(() => 500);
    const hook = await addWebhook(receiver.url, ['key.created']);
    try {
      await newKey('events-give-up');
      await stack.idle();
      // A relay pass every 10 minutes for 26 hours (as the schedule would run it).
      const step = 10 * 60_000;
      for (let t = step; t <= 26 * 60 * 60_000; t += step) {
        stack.clock.advance(step);
        await stack.services.relay.runDue();
      }
      const attempts = receiver.received.length;
      // The schedule, walked at the same passes: 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, then
      // every 4 h, as long as the next attempt falls within 24 h of the event.
      let expected = 1;
      let at = 0;
      for (;;) {
        const next = at + retryDelayMs(expected);
        if (next > RETRY_FOR_MS) break;
        at = Math.ceil(next / step) * step;
        expected++;
      }
      expect(expected).toBeGreaterThanOrEqual(8);
      expect(attempts).toBe(expected);
      const log = await stack.json(`/v1/webhooks/${hook.id}/deliveries`, { key: stack.adminKey });
      expect(log.body.data[0]).toMatchObject({ status: 'failed', attempts, lastStatus: 500, nextAttemptAt: null, lastError: 'answered 500' });
    } finally {
      await removeWebhook(hook.id);
      await receiver.close();
    }
  });
});
