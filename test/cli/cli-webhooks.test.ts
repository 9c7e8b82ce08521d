import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryTable, parseEvents, webhookTable } from '../../bin/cli/webhook-table';
import { EVENT_TYPES } from '../../lambdas/core/events';
import { startTestStack, type TestStack } from '../support/local-stack';
import { startReceiver } from '../support/webhook-receiver';

/**
 * `keywarden webhooks add|list|rm|deliveries` (issue 22): the real bin against the real local
 * stack over /v1, with receiver stand-ins on 127.0.0.1 (one per endpoint). Delivery is asynchronous
 * (the relay sends after the change lands): the receivers and the log are polled with a bounded wait.
 */
const exec = promisify(execFile);
const BIN = resolve('bin/keywarden.js');
let stack: TestStack;
type Receiver = Awaited<ReturnType<typeof startReceiver>>;
/** The endpoint under test (key.revoked and key.exposed only), and one for every type. */
let pager: Receiver;
let catchAll: Receiver;

beforeAll(async () => {
  [stack, pager, catchAll] = await Promise.all([startTestStack({ KEYWARDEN_WEBHOOKS_ALLOW_LOOPBACK: '1' }), startReceiver(), startReceiver()]);
});
afterAll(async () => {
  await stack?.stop();
  await pager?.close();
  await catchAll?.close();
});

async function cli(args: string[], key = stack.adminKey): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, ...args], { env: { ...process.env, KEYWARDEN_API_URL: stack.url, KEYWARDEN_API_KEY: key, DATA_DIR: '' } });
    return { stdout, stderr, code: 0 };
  } catch (err: any) {
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

async function createKey(name: string): Promise<string> {
  const res = await stack.json('/v1/keys', { key: stack.adminKey, body: { name } });
  expect(res.status).toBe(201);
  return res.body.id;
}

/** Polls `check` (the relay runs after the answer) until it holds, up to `ms`. */
async function eventually<T>(check: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    await stack.idle();
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

type Event = ReturnType<Receiver['verified']>[number];
/** The first event `receiver` got, signed with `secret`, that matches. */
const deliveredTo = (receiver: Receiver, secret: string, match: (e: Event) => boolean) => eventually(async () => receiver.verified(secret).find(match));

describe('keywarden webhooks against a local stack', { timeout: 120_000 }, () => {
  it('add prints the secret once; a revoke is delivered signed; deliveries shows it; rm stops deliveries', async () => {
    const added = await cli(['webhooks', 'add', pager.url, '--events', 'key.revoked,key.exposed', '--description', 'pager']);
    expect(added.code, added.stderr).toBe(0);
    const secret = /signing secret: (whsec_\S+)/.exec(added.stdout)?.[1];
    expect(secret).toBeDefined();
    expect(added.stdout).toMatch(/not shown again/);
    const id = /^(wh_[0-9A-Za-z]{16})\s/.exec(added.stdout)?.[1];
    expect(id, added.stdout).toBeDefined();
    expect(added.stdout).toContain('events key.revoked,key.exposed');

    // A second endpoint for every type: what tells, after `rm`, that later events went out.
    const all = JSON.parse((await cli(['--json', 'webhooks', 'add', catchAll.url])).stdout);
    expect(all).toMatchObject({ object: 'webhook', events: [...EVENT_TYPES], secret: expect.stringMatching(/^whsec_/) });

    const [list, listJson] = await Promise.all([cli(['webhooks', 'list']), cli(['--json', 'webhooks', 'list'])]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${id}\\s+\\S+ \\S+\\s+key\\.revoked,key\\.exposed\\s+${pager.url}\\s+pager$`, 'm'));
    expect(list.stdout).toMatch(new RegExp(`^${all.id}\\s+\\S+ \\S+\\s+all\\s+${catchAll.url}`, 'm'));
    for (const out of [list.stdout, listJson.stdout]) {
      expect(out).not.toContain(secret);
      expect(out).not.toContain(all.secret);
      expect(out).not.toContain('whsec_');
    }
    expect(JSON.parse(listJson.stdout).data.map((w: { id: string }) => w.id).sort()).toEqual([id, all.id].sort());

    // A key change: revoked through the CLI, delivered to the endpoint, signed with the secret shown once.
    const target = await createKey('doomed');
    const revoked = await cli(['keys', 'revoke', target]);
    expect(revoked.code, revoked.stderr).toBe(0);
    const event = await deliveredTo(pager, secret!, (e) => e.type === 'key.revoked' && e.data.key?.id === target);
    const raw = pager.received.find((r) => r.headers['webhook-id'] === event.id)!;
    // The event id is the delivery's webhook-id; the other endpoint's secret does not verify it.
    expect(raw.headers['webhook-id']).toBe(event.id);
    expect(() => new Webhook(all.secret).verify(raw.body, raw.headers as Record<string, string>)).toThrow();
    // Not subscribed to key.created: that one went only to the catch-all endpoint.
    await deliveredTo(catchAll, all.secret, (e) => e.type === 'key.revoked' && e.data.key?.id === target);
    expect(pager.verified(secret!).map((e) => e.type)).toEqual(['key.revoked']);

    const shown = await eventually(async () => {
      const out = await cli(['webhooks', 'deliveries', id!]);
      expect(out.code, out.stderr).toBe(0);
      return / delivered /.test(out.stdout) ? out.stdout : undefined;
    });
    const lines = shown.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^EVENT ID\s+TYPE\s+STATUS\s+ATTEMPTS\s+NEXT ATTEMPT \(UTC\)\s+LAST ANSWER$/);
    expect(lines.find((l) => l.startsWith(event.id))?.split(/\s+/)).toEqual([event.id, 'key.revoked', 'delivered', '1', '-', '204']);
    const page = JSON.parse((await cli(['--json', 'webhooks', 'deliveries', id!, '--limit', '1'])).stdout);
    expect(page).toMatchObject({ object: 'list', data: [{ object: 'webhook.delivery', webhookId: id, eventId: event.id, status: 'delivered', lastStatus: 204 }] });

    // Removed: the next revoke reaches the catch-all endpoint, never the removed one.
    const removed = await cli(['webhooks', 'rm', id!]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout.trim()).toBe(`${id} removed`);
    const later = await createKey('later');
    expect((await cli(['keys', 'revoke', later])).code).toBe(0);
    await deliveredTo(catchAll, all.secret, (e) => e.type === 'key.revoked' && e.data.key?.id === later);
    await stack.idle();
    expect(pager.verified(secret!).map((e) => e.data.key?.id)).toEqual([target]);
    expect((await cli(['webhooks', 'list'])).stdout).not.toContain(id);
    const gone = await cli(['webhooks', 'deliveries', id!]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^error: 404 not_found/);

    // The catch-all endpoint's log, a page at a time: each page names the cursor of the next.
    const first = await cli(['webhooks', 'deliveries', all.id, '--limit', '1']);
    const cursor = /^more: --cursor (\S+)$/m.exec(first.stdout)?.[1];
    expect(cursor, first.stdout).toBeDefined();
    const second = JSON.parse((await cli(['--json', 'webhooks', 'deliveries', all.id, '--limit', '1', '--cursor', cursor!])).stdout);
    expect(second.data).toHaveLength(1);
    expect(first.stdout).not.toContain(second.data[0].eventId);
  });

  it('a bad --events is refused before any call, naming the choices; a viewer key may not add; a bad id is one error line', async () => {
    const viewer = await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'viewer', type: 'viewer' } });
    const [typo, empty, json, refused, badId] = await Promise.all([
      cli(['webhooks', 'add', `${pager.url}/x`, '--events', 'key.revoked,key.revokd']),
      cli(['webhooks', 'add', `${pager.url}/x`, '--events', ',']),
      cli(['--json', 'webhooks', 'add', `${pager.url}/x`, '--events', 'budget']),
      cli(['webhooks', 'add', `${pager.url}/x`], viewer.body.key),
      cli(['webhooks', 'rm', 'not-a-webhook']),
    ]);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/unknown event type key\.revokd; --events takes a comma-separated list of key\.created, .*account\.credits_low \(or all\)/);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('no event type given');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stderr).error.message).toContain('unknown event type budget');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: 403 /);
    expect(badId.code).toBe(1);
    expect(badId.stderr.trim().split('\n')).toHaveLength(1);
    expect(badId.stderr).toMatch(/^error: 400 /);
    // Nothing was registered by any of them.
    expect((await stack.json('/v1/webhooks', { key: stack.adminKey })).body.data.filter((w: { url: string }) => w.url.endsWith('/hook/x'))).toEqual([]);
  });

  it("shows --json in each webhooks command's help", async () => {
    for (const sub of ['add', 'list', 'rm', 'deliveries']) {
      const help = await cli(['webhooks', sub, '--help']);
      expect(help.stdout, sub).toMatch(/^\s+--json\s+print machine-readable JSON/m);
    }
  });
});

describe('webhooks for people', () => {
  it('reads --events against the vocabulary: all, duplicates, order', () => {
    expect(parseEvents('all')).toBeUndefined();
    expect(parseEvents('key.exposed, key.revoked,key.exposed')).toEqual(['key.revoked', 'key.exposed']);
    expect(() => parseEvents('key.revoked,nope')).toThrow(/unknown event type nope/);
  });

  it('tables the webhooks and the delivery log, with the next page’s cursor', () => {
    expect(webhookTable([])).toBe('no webhooks');
    expect(
      webhookTable([
        { object: 'webhook', id: 'wh_0123456789abcdef', url: 'https://hooks.example/k', events: ['key.revoked'], description: null, createdAt: '2026-12-06T10:00:00.000Z', createdBy: 'key:key_1' },
      ]).split('\n'),
    ).toEqual(['ID                   CREATED (UTC)     EVENTS       URL                      DESCRIPTION', 'wh_0123456789abcdef  2026-12-06 10:00  key.revoked  https://hooks.example/k  ']);
    const d = {
      object: 'webhook.delivery' as const,
      webhookId: 'wh_0123456789abcdef',
      eventType: 'key.revoked' as const,
      eventAt: '2026-12-06T10:00:00.000Z',
      lastAttemptAt: '2026-12-06T10:00:01.000Z',
      deliveredAt: null,
    };
    const table = deliveryTable({
      object: 'list',
      nextCursor: 'abc',
      data: [
        { ...d, eventId: 'evt_1', status: 'pending', attempts: 2, lastStatus: 503, lastError: null, nextAttemptAt: '2026-12-06T10:02:01.000Z' },
        { ...d, eventId: 'evt_2', status: 'failed', attempts: 9, lastStatus: null, lastError: 'timeout', nextAttemptAt: null },
      ],
    });
    expect(table.split('\n')).toEqual([
      'EVENT ID  TYPE         STATUS   ATTEMPTS  NEXT ATTEMPT (UTC)  LAST ANSWER',
      'evt_1     key.revoked  pending  2         2026-12-06 10:02    503',
      'evt_2     key.revoked  failed   9         -                   timeout',
      'more: --cursor abc',
    ]);
  });
});
