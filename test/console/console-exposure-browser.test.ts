/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/local-stack';
import { clickButton, launchBrowser, openPage, seriousViolations, waitForText } from './browser';

/**
 * `Report exposed` in the console (issue 22), in a real browser against the real local stack: a
 * confirmation first, then the key stops at once and its row shows the exposure (how it was
 * found, where, when); an exposed key's details say what it did since — calls and the callers
 * seen, by address and user agent. Axe-clean throughout; no Content-Security-Policy refusal.
 */
let stack: TestStack;
let browser: Browser;
let page: Page;
const refused: string[] = [];

async function create(name: string): Promise<{ id: string; key: string }> {
  const res = await stack.json('/v1/keys', { key: stack.adminKey, body: { name } });
  return { id: res.body.id, key: res.body.key };
}

const rowText = (id: string) => page.$eval(`tr[data-key-id="${id}"]`, (tr) => (tr as HTMLElement).innerText.replace(/\s+/g, ' '));

beforeAll(async () => {
  [stack, browser] = await Promise.all([startTestStack(), launchBrowser()]);
  page = await openPage(browser);
  page.on('console', (message) => void (/Content Security Policy/i.test(message.text()) && refused.push(message.text())));
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function signIn(): Promise<void> {
  await page.goto(`${stack.url}/console`);
  await waitForText(page, 'Sign in to Keywarden');
  await page.type('#api-key', stack.adminKey);
  await clickButton(page, 'Sign in');
  await page.waitForSelector('table[data-testid="keys"]');
}

describe('Report exposed in the console', () => {
  it('asks first; Cancel changes nothing; confirmed, the key is revoked at once and its row shows where it leaked', async () => {
    const pasted = await create('Pasted');
    await signIn();
    await page.click(`button[aria-label="Report exposed: Pasted"]`);
    await page.waitForSelector('dialog[open]');
    await waitForText(page, 'will be revoked at once');
    expect(await seriousViolations(page)).toEqual([]);
    await clickButton(page, 'Cancel', 'dialog');
    await page.waitForFunction(() => !document.querySelector('dialog[open]'));
    expect((await stack.json('/v1/models', { key: pasted.key })).status).toBe(200);

    await page.click(`button[aria-label="Report exposed: Pasted"]`);
    await page.waitForSelector('dialog[open]');
    await page.type('#exposed-location', 'https://tickets.example/T-7');
    await clickButton(page, 'Report exposed', 'dialog');
    await page.waitForFunction(() => !document.querySelector('dialog[open]'));
    await waitForText(page, '“Pasted” reported exposed and revoked.');
    expect((await stack.json('/v1/models', { key: pasted.key })).status).toBe(401);
    const row = await rowText(pasted.id);
    expect(row).toContain('Revoked');
    expect(row).toMatch(/Exposed \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC: reported exposed — https:\/\/tickets\.example\/T-7/);
    // A revoked key offers neither Revoke nor Report exposed again.
    expect(await page.$(`button[aria-label="Report exposed: Pasted"]`)).toBeNull();
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('an exposed key’s details say what it did since: calls, and each caller by address and user agent', async () => {
    const watched = await create('Watched');
    // Found exposed while it kept working (marked, not yet stopped), then used from two clients.
    await stack.services.store.markExposed(watched.id, { source: 'github', location: 'https://github.com/o/r/blob/main/.env', at: new Date(stack.clock.now()).toISOString() });
    stack.clock.advance(1_000);
    for (const ua of ['curl/8.5.0', 'curl/8.5.0', 'python-requests/2.32']) {
      expect((await stack.json('/v1/models', { key: watched.key, headers: { 'user-agent': ua } })).status).toBe(200);
    }
    await stack.idle();
    await page.reload();
    await page.waitForSelector(`tr[data-key-id="${watched.id}"]`);
    expect(await rowText(watched.id)).toContain('found in a public repository — https://github.com/o/r/blob/main/.env');
    await page.click(`button[aria-label="Usage of Watched"]`);
    await page.waitForSelector(`[data-details-of="${watched.id}"] [data-testid="exposure-usage"]`);
    expect(await page.$eval(`[data-details-of="${watched.id}"] [data-testid="exposure-usage"]`, (p) => (p as HTMLElement).innerText)).toMatch(/^3 calls · 0 tokens · 0 credits · first /);
    const callers = await page.$$eval(`[data-details-of="${watched.id}"] table.callers tbody tr`, (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent!.trim())));
    expect(callers.map(([, ua, calls]) => [ua, calls])).toEqual([
      ['curl/8.5.0', '2'],
      ['python-requests/2.32', '1'],
    ]);
    expect(callers[0]![0]).toMatch(/127\.0\.0\.1|::1/);
    expect(await seriousViolations(page)).toEqual([]);
    expect(refused).toEqual([]);
  });
});
