/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyRotationSchedule } from '../../lambdas/adapters/rotation-delivery-wiring';
import { startTestStack, type TestStack } from '../support/local-stack';
import { clickButton, launchBrowser, openPage, seriousViolations, waitForText } from './browser';

/**
 * Issue 25 points 2 and 5 in the console, in a real browser against the real local stack: a key
 * rotated on schedule shows it in its row (and a failed last run), its details the setting read-only
 * — every, overlap, where it delivers, the next run, the last failure — and the keys tab states
 * the account policy. Axe-clean; no Content-Security-Policy refusal.
 */
const DAY = 86_400_000;
let stack: TestStack;
let browser: Browser;
let page: Page;
const refused: string[] = [];

beforeAll(async () => {
  [stack, browser] = await Promise.all([startTestStack(), launchBrowser()]);
  page = await openPage(browser);
  page.on('console', (message) => void (/Content Security Policy/i.test(message.text()) && refused.push(message.text())));
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const rowText = (id: string) => page.$eval(`tr[data-key-id="${id}"]`, (tr) => (tr as HTMLElement).innerText.replace(/\s+/g, ' '));

describe('rotation and policy in the console', () => {
  it('shows a key’s rotation, its last failure, and the account policy line', async () => {
    await stack.services.operator.setAccountPolicy(stack.bootstrap.accountId, { allowedKeyTypes: ['viewer', 'privileged'] }, 'cli:test');
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:shown-AbCdEf';
    const scheduled = (await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'Scheduled', rotation: { every: '90d', overlap: '1h', deliverTo: { secretsManagerArn: arn } } } })).body as { id: string };
    const owned = (await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'Owned', rotation: { every: '1d', overlap: '1h', deliverTo: { owner: 'slack:T1:UOWNER' } } } })).body as { id: string; key: string };
    stack.clock.advance(DAY + 60_000);
    await keyRotationSchedule(stack.services).run();

    await page.goto(`${stack.url}/console`);
    await waitForText(page, 'Sign in to Keywarden');
    await page.type('#api-key', stack.adminKey);
    await clickButton(page, 'Sign in');
    await page.waitForSelector('table[data-testid="keys"]');
    await page.waitForSelector('[data-testid="policy-line"]');
    const policy = await page.$eval('[data-testid="policy-line"]', (p) => (p as HTMLElement).innerText);
    expect(policy).toBe('Account policy: key types: viewer, privileged.');

    expect(await rowText(scheduled.id)).toContain('Rotates every 90d');
    expect(await rowText(scheduled.id)).not.toContain('last rotation failed');
    expect(await rowText(owned.id)).toContain('Rotates every 1d · last rotation failed');

    await page.click('button[aria-label="Usage of Scheduled"]');
    await page.waitForSelector('section[aria-label="Rotation of Scheduled"]');
    const shown = await page.$eval('section[aria-label="Rotation of Scheduled"]', (s) => (s as HTMLElement).innerText.replace(/\s+/g, ' '));
    expect(shown).toContain('Every 90d');
    expect(shown).toContain('Overlap 1h');
    expect(shown).toContain(`Delivers to Secrets Manager ${arn}`);
    expect(shown).toMatch(/Next run \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    expect(shown).not.toContain('Last failure');

    await page.click('button[aria-label="Usage of Owned"]');
    await page.waitForSelector('section[aria-label="Rotation of Owned"]');
    const failed = await page.$eval('section[aria-label="Rotation of Owned"]', (s) => (s as HTMLElement).innerText.replace(/\s+/g, ' '));
    expect(failed).toContain('Delivers to privately to slack:T1:UOWNER');
    expect(failed).toMatch(/Last failure \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC: .*private delivery to a chat owner is not available/);
    expect(failed).not.toContain(owned.key);
    expect(await seriousViolations(page)).toEqual([]);
    expect(refused).toEqual([]);
  });
});
