/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findKeysInText } from '../../lambdas/core/key-scan';
import { startTestStack, type TestStack } from '../support/local-stack';
import { clickButton, launchBrowser, openPage, seriousViolations, waitForNoText, waitForText } from './browser';

/**
 * The Requests tab (issue 25 point 1), in a real browser against the real local stack: a viewer
 * key (no admin) asks for a key; an admin's session approves it from the list; the viewer collects
 * the value once, in a one-time callout. Axe-clean; the key is on no page but the requester's.
 */
let stack: TestStack;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startTestStack(), launchBrowser()]);
  page = await openPage(browser);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function signIn(key: string): Promise<void> {
  await page.goto(`${stack.url}/console`);
  await waitForText(page, 'Sign in to Keywarden');
  await page.type('#api-key', key);
  await clickButton(page, 'Sign in');
  await page.waitForSelector('table[data-testid="keys"]');
  await page.click('#tab-requests');
  await waitForText(page, 'Ask for a key');
}

async function signOut(): Promise<void> {
  await clickButton(page, 'Sign out');
  await waitForText(page, 'Sign in to Keywarden');
}

describe('console Requests tab', () => {
  it('a viewer asks, an admin approves in the list, the viewer collects the key once', async () => {
    const viewer = (await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'console asker', type: 'viewer' } })).body as { id: string; key: string };
    await signIn(viewer.key);
    await page.type('#request-name', 'dashboards');
    await page.type('#request-scopes', 'models:read, responses:write');
    await page.type('#request-budget', '10/month');
    await page.type('#request-reason', 'the team dashboards');
    await clickButton(page, 'Ask');
    await waitForText(page, 'Asked for “dashboards”');
    await page.waitForSelector('table[data-testid="key-requests"]');
    expect(await page.$$eval('table[data-testid="key-requests"] button', (b) => b.map((x) => x.textContent?.trim()))).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);
    await signOut();

    await signIn(stack.adminKey);
    await waitForText(page, 'the team dashboards');
    await clickButton(page, 'Approve');
    await waitForText(page, 'Approved: key “dashboards”');
    expect(findKeysInText(await page.content())).toEqual([]);
    await signOut();

    await signIn(viewer.key);
    await clickButton(page, 'Collect key');
    await page.waitForSelector('[data-testid="collected-key"]');
    // The one-time callout shows as soon as the claim answers; the list is read again after it.
    await waitForNoText(page, 'Collect key');
    const raw = await page.$eval('[data-testid="collected-key"]', (e) => (e as HTMLElement).innerText.trim());
    expect((await stack.json('/v1/me', { key: raw })).body).toMatchObject({ name: 'dashboards', type: 'viewer', budget: expect.objectContaining({ credits: 10 }) });
    expect(await page.$$eval('table[data-testid="key-requests"] button', (b) => b.map((x) => x.textContent?.trim()))).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);
    expect((await stack.json(`/v1/key-requests`, { key: viewer.key })).body.data[0]).toMatchObject({ status: 'approved', claimed: true });
  });
});
