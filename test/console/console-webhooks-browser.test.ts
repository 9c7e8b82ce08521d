/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/local-stack';
import { startReceiver } from '../support/webhook-receiver';
import { buttonDisabled, clickButton, launchBrowser, openPage, seriousViolations, waitForText } from './browser';

/**
 * The Webhooks tab (issue 22), in a real browser against the real local stack with receiver
 * stand-ins on 127.0.0.1: add a webhook (its signing secret shown once), a key revoked → the
 * receiver gets a signed delivery and the delivery log shows it, then remove it after a
 * confirmation. Offered only to a key holding webhooks:read; Add off without webhooks:write.
 * Axe-clean throughout; no Content-Security-Policy refusal.
 */
let stack: TestStack;
type Receiver = Awaited<ReturnType<typeof startReceiver>>;
/** The endpoint added in the UI, and one whose log is long enough to page. */
let hook: Receiver;
let paged: Receiver;
let browser: Browser;
let page: Page;
const refused: string[] = [];

beforeAll(async () => {
  [stack, hook, paged, browser] = await Promise.all([startTestStack({ KEYWARDEN_WEBHOOKS_ALLOW_LOOPBACK: '1' }), startReceiver(), startReceiver(), launchBrowser()]);
  page = await openPage(browser);
  page.on('console', (message) => void (/Content Security Policy/i.test(message.text()) && refused.push(message.text())));
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await hook?.close();
  await paged?.close();
});

async function createKey(body: Record<string, unknown>): Promise<{ id: string; key: string }> {
  const res = await stack.json('/v1/keys', { key: stack.adminKey, body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { id: res.body.id, key: res.body.key };
}

async function signIn(key: string): Promise<void> {
  await page.goto(`${stack.url}/console`);
  await waitForText(page, 'Sign in to Keywarden');
  await page.type('#api-key', key);
  await clickButton(page, 'Sign in');
  await page.waitForSelector('table[data-testid="keys"]');
  // The tabs follow the key's scopes from /v1/me, which may answer after the keys list: its
  // account and project name the header's crumbs once it has.
  await page.waitForFunction(() => document.querySelectorAll('nav[aria-label="Main"] .crumb').length >= 3);
}

async function signOut(): Promise<void> {
  await clickButton(page, 'Sign out');
  await waitForText(page, 'Sign in to Keywarden');
}

/** Polls until `receiver` holds `count` events signed with `secret` (the relay sends after the answer), up to 30 s. */
async function eventsAt(receiver: Receiver, secret: string, count: number): Promise<ReturnType<Receiver['verified']>> {
  const end = Date.now() + 30_000;
  for (;;) {
    await stack.idle();
    const events = receiver.verified(secret);
    if (events.length >= count) return events;
    if (Date.now() > end) throw new Error(`${events.length} of ${count} events delivered within 30 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const tabs = () => page.$$eval('[role="tab"]', (all) => all.map((t) => t.textContent!.trim()));

describe('Webhooks in the console', { timeout: 120_000 }, () => {
  it('adds a webhook (secret shown once), shows a revoke’s signed delivery in its log, and removes it after asking', async () => {
    await signIn(stack.adminKey);
    await clickButton(page, 'Webhooks');
    await waitForText(page, 'No webhooks yet.');

    await clickButton(page, 'Add webhook');
    await page.waitForSelector('dialog[open]');
    await page.type('#webhook-url', hook.url);
    // "All events" unchecked, then only key.revoked.
    await page.evaluate(() => {
      const box = (text: string) => [...document.querySelectorAll('dialog label.choice')].find((l) => l.textContent!.includes(text))!.querySelector('input') as HTMLInputElement;
      box('All events').click();
    });
    await page.evaluate(() => {
      const label = [...document.querySelectorAll('dialog label.choice')].find((l) => l.textContent!.trim() === 'key.revoked')!;
      (label.querySelector('input') as HTMLInputElement).click();
    });
    await page.type('#webhook-description', 'pager');
    expect(await seriousViolations(page)).toEqual([]);
    await clickButton(page, 'Add webhook', 'dialog');
    await page.waitForFunction(() => !document.querySelector('dialog[open]'));

    await waitForText(page, 'Copy this signing secret now. It will not be shown again.');
    const secret = await page.$eval('[data-testid="webhook-secret"]', (el) => el.textContent!.trim());
    expect(secret).toMatch(/^whsec_/);
    const listed = await stack.json('/v1/webhooks', { key: stack.adminKey });
    expect(listed.body.data).toHaveLength(1);
    const webhook = listed.body.data[0] as { id: string; events: string[]; description: string };
    expect(webhook).toMatchObject({ url: hook.url, events: ['key.revoked'], description: 'pager' });
    const row = () => page.$eval(`tr[data-webhook-id="${webhook.id}"]`, (tr) => (tr as HTMLElement).innerText.replace(/\s+/g, ' '));
    expect(await row()).toMatch(/key\.revoked \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    expect(await row()).toContain('pager');
    expect(await seriousViolations(page)).toEqual([]);

    // Shown once: leaving the tab and coming back, the secret is nowhere on the page.
    await clickButton(page, 'API Keys');
    await page.waitForSelector('table[data-testid="keys"]');
    await clickButton(page, 'Webhooks');
    await page.waitForSelector(`tr[data-webhook-id="${webhook.id}"]`);
    expect(await page.evaluate(() => document.body.innerHTML)).not.toContain(secret);

    // A key revoked through the API: delivered to the endpoint, signed with that secret.
    const doomed = await createKey({ name: 'Doomed' });
    expect((await stack.json(`/v1/keys/${doomed.id}/revoke`, { key: stack.adminKey, method: 'POST' })).status).toBe(200);
    // Subscribed to key.revoked only: the key's creation was not sent.
    const [event] = await eventsAt(hook, secret, 1);
    expect(event).toMatchObject({ type: 'key.revoked', data: { key: { id: doomed.id } } });

    await page.click(`button[aria-label="Delivery log: ${hook.url}"]`);
    await page.waitForSelector(`[data-log-of="${webhook.id}"]`);
    const logRow = `[data-log-of="${webhook.id}"] tr[data-event-id="${event!.id}"]`;
    const end = Date.now() + 30_000;
    for (;;) {
      await stack.idle();
      await clickButton(page, 'Refresh', `[data-log-of="${webhook.id}"]`);
      const text = await page.$eval(logRow, (tr) => (tr as HTMLElement).innerText.replace(/\s+/g, ' ')).catch(() => '');
      if (text.includes('Delivered')) {
        expect(text).toMatch(new RegExp(`^key\\.revoked ${event!.id} \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2} UTC Delivered 1 HTTP 204 —$`));
        break;
      }
      if (Date.now() > end) throw new Error(`the delivery log never showed ${event!.id} delivered (last: ${text || 'no row'})`);
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(await buttonDisabled(page, 'Older')).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    expect(hook.verified(secret).map((e) => e.type)).toEqual(['key.revoked']);

    // Remove asks first; Cancel keeps it.
    await page.click(`button[aria-label="Remove: ${hook.url}"]`);
    await page.waitForSelector('dialog[open]');
    await waitForText(page, 'Remove webhook?');
    expect(await seriousViolations(page)).toEqual([]);
    await clickButton(page, 'Cancel', 'dialog');
    await page.waitForFunction(() => !document.querySelector('dialog[open]'));
    expect((await stack.json('/v1/webhooks', { key: stack.adminKey })).body.data).toHaveLength(1);
    await page.click(`button[aria-label="Remove: ${hook.url}"]`);
    await page.waitForSelector('dialog[open]');
    await clickButton(page, 'Remove', 'dialog');
    await page.waitForFunction(() => !document.querySelector('dialog[open]'));
    await waitForText(page, 'No webhooks yet.');
    expect((await stack.json('/v1/webhooks', { key: stack.adminKey })).body.data).toEqual([]);
    expect(refused).toEqual([]);
    await signOut();
  });

  it('pages the delivery log, newest first: Older and Newer', async () => {
    const added = await stack.json('/v1/webhooks', { key: stack.adminKey, body: { url: paged.url, events: ['key.created'] } });
    expect(added.status).toBe(201);
    for (let i = 0; i < 21; i++) await createKey({ name: `Paged ${i}` });
    const events = await eventsAt(paged, added.body.secret, 21);
    await stack.idle();
    await signIn(stack.adminKey);
    await clickButton(page, 'Webhooks');
    await page.waitForSelector(`tr[data-webhook-id="${added.body.id}"]`);
    await page.click(`button[aria-label="Delivery log: ${paged.url}"]`);
    const rows = `[data-log-of="${added.body.id}"] table[data-testid="deliveries"] tbody tr`;
    await page.waitForSelector(rows);
    const ids = () => page.$$eval(rows, (all) => all.map((tr) => tr.getAttribute('data-event-id')!));
    const first = await ids();
    expect(first).toHaveLength(20);
    expect(await buttonDisabled(page, 'Newer')).toBe(true);
    await clickButton(page, 'Older');
    await page.waitForFunction((sel: string) => document.querySelectorAll(sel).length === 1, {}, rows);
    const second = await ids();
    expect(first).not.toContain(second[0]);
    // The oldest delivery is the first key created.
    const oldest = events.find((e) => e.data.key?.name === 'Paged 0')!;
    expect(second).toEqual([oldest.id]);
    expect(await buttonDisabled(page, 'Older')).toBe(true);
    await clickButton(page, 'Newer');
    await page.waitForFunction((sel: string) => document.querySelectorAll(sel).length === 20, {}, rows);
    expect(await ids()).toEqual(first);
    expect(await seriousViolations(page)).toEqual([]);
    await signOut();
  });

  it('is offered only to a key holding webhooks:read; without webhooks:write, Add is off', async () => {
    const keysOnly = await createKey({ name: 'Keys only', scopes: ['keys:read', 'keys:write', 'audit:read'] });
    await signIn(keysOnly.key);
    expect(await tabs()).toEqual(['API Keys', 'Requests', 'Activity']);
    await signOut();

    const reader = await createKey({ name: 'Reader', scopes: ['keys:read', 'audit:read', 'webhooks:read'] });
    await signIn(reader.key);
    expect(await tabs()).toEqual(['API Keys', 'Requests', 'Activity', 'Webhooks']);
    await clickButton(page, 'Webhooks');
    await waitForText(page, 'lacks the webhooks:write permission');
    expect(await buttonDisabled(page, 'Add webhook')).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    await signOut();
  });
});
