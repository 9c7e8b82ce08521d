/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, HTTPRequest, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { periodEnd } from '../../lambdas/core/budget';
import { startTestStack, type TestStack } from '../support/local-stack';
import { clickButton, launchBrowser, openPage, seriousViolations, waitForText } from './browser';

/**
 * Budgets, token limits, concurrency caps and usage charts in the console, in a real browser
 * against the real local stack (issue 21): the Edit dialog sets them and the API holds them; a key's
 * budget bar reads what the API says after model calls; the charts draw 30 days of what
 * `/v1/usage/daily` answers, and say so in place when it fails; a signer with limits of its own
 * cannot choose wider ones. `KEYWARDEN_SCREENSHOTS=1` writes each state to docs/console/.
 */
const shots = process.env.KEYWARDEN_SCREENSHOTS ? join(process.cwd(), 'docs', 'console') : undefined;
const DAYS = 30;

let stack: TestStack;
let browser: Browser;
let page: Page;
let governed: { id: string; key: string };
const issued: string[] = [];
/** What the page's Content-Security-Policy refused (an inline style or script would land here). */
const refused: string[] = [];

async function shot(name: string, fullPage = true): Promise<void> {
  if (!shots) return;
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, `${name}.png`) as `${string}.png`, fullPage });
}

async function retype(selector: string, text: string): Promise<void> {
  await page.$eval(selector, (e) => (e as HTMLInputElement).select());
  await page.keyboard.press('Backspace');
  await page.type(selector, text);
}

/** Clicks the radio of group `name` whose label reads `text` (its first words). */
async function choose(name: string, text: string): Promise<void> {
  await page.$$eval(
    `dialog[open] input[name="${name}"]`,
    (inputs, t) => (inputs.find((i) => (i.closest('label') as HTMLElement).innerText.trim().startsWith(t as string)) as HTMLInputElement).click(),
    text,
  );
}

/** Each radio of group `name`: its label's words and whether it is disabled. */
async function radios(name: string): Promise<Array<{ text: string; disabled: boolean }>> {
  return page.$$eval(`dialog[open] input[name="${name}"]`, (inputs) => inputs.map((i) => ({ text: (i.closest('label') as HTMLElement).innerText.trim(), disabled: (i as HTMLInputElement).disabled })));
}

async function signIn(key: string): Promise<void> {
  await page.deleteCookie({ name: 'keywarden_console', url: stack.url });
  await page.goto(`${stack.url}/console`);
  await waitForText(page, 'Sign in to Keywarden');
  await page.type('#api-key', key);
  await clickButton(page, 'Sign in');
  await page.waitForSelector('table[data-testid="keys"]');
}

async function openEdit(name: string): Promise<void> {
  await page.waitForSelector(`button[aria-label="Edit ${name}"]`);
  await page.click(`button[aria-label="Edit ${name}"]`);
  await page.waitForSelector('dialog[open]');
  await page.waitForFunction(() => !document.querySelector('dialog[open] [aria-busy="true"]'));
}

/** The budget bar of a key's row, as a person and as assistive technology read it. */
async function budgetBar(id: string) {
  return page.$eval(`tr[data-key-id="${id}"] [data-testid="budget"]`, (el) => {
    const meter = el.querySelector('meter')!;
    return { text: (el as HTMLElement).innerText.replace(/\s+/g, ' ').trim(), value: meter.value, max: meter.max, min: meter.min, label: meter.getAttribute('aria-label'), valuetext: meter.getAttribute('aria-valuetext') };
  });
}

/** A usage panel's charts: each bar's title per metric, and the table's rows. */
async function charts(panel: string) {
  return page.$eval(panel, (el) => ({
    titles: Object.fromEntries(['requests', 'tokens', 'credits'].map((m) => [m, [...el.querySelectorAll(`[data-testid="chart-${m}"] svg g.day > title`)].map((t) => t.textContent!)])),
    names: [...el.querySelectorAll('svg')].map((svg) => svg.getAttribute('aria-labelledby')!.split(' ').map((id) => document.getElementById(id)!.textContent!.trim()).join(' — ')),
    table: [...el.querySelectorAll('table[data-testid="usage-table"] tbody tr')].map((tr) => [...tr.children].map((c) => c.textContent!.trim())),
  }));
}

const chat = (key: string) => stack.json('/v1/chat/completions', { key, body: { model: 'archibot', messages: [{ role: 'user', content: 'hi' }] } });
const today = () => new Date(stack.clock.now()).toISOString().slice(0, 10);

beforeAll(async () => {
  [stack, browser] = await Promise.all([startTestStack(), launchBrowser()]);
  page = await openPage(browser);
  page.on('console', (message) => void (/Content Security Policy/i.test(message.text()) && refused.push(message.text())));
  const created = await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'Governed' } });
  governed = { id: created.body.id, key: created.body.key };
  issued.push(governed.key);
  await signIn(stack.adminKey);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('budgets, token limits and concurrency caps in the console', () => {
  it('the Edit dialog sets a budget, a token limit and a cap: the PATCH carries only those, and the API and the row show them', async () => {
    await openEdit('Governed');
    expect(await radios('edit-budget')).toEqual([
      { text: 'No budget (the account balance only)', disabled: false },
      { text: 'At most', disabled: false },
    ]);
    expect(await page.$eval('#edit-budget-credits', (i) => (i as HTMLInputElement).disabled)).toBe(true);
    await choose('edit-budget', 'At most');
    await page.type('#edit-budget-credits', '5');
    await page.select('#edit-budget-period', 'month');
    await choose('edit-tokens', 'At most');
    await page.type('#edit-tokens', '100000');
    await retype('#edit-token-window', '60');
    await choose('edit-cap', 'At most');
    await page.type('#edit-max-concurrent', '3');
    expect(await seriousViolations(page)).toEqual([]);
    await page.$eval('#edit-budget-credits', (i) => i.scrollIntoView());
    await shot('edit-limits', false);
    const sent: unknown[] = [];
    const record = (r: HTTPRequest) => void (r.method() === 'PATCH' && sent.push(JSON.parse(r.postData() ?? 'null')));
    page.on('request', record);
    try {
      await clickButton(page, 'Save changes', 'dialog');
      await page.waitForFunction(() => !document.querySelector('dialog[open]'));
    } finally {
      page.off('request', record);
    }
    expect(sent).toEqual([{ budget: { credits: 5, period: 'month' }, tokenLimit: { tokens: 100000, windowSeconds: 60 }, maxConcurrent: 3 }]);
    const stored = (await stack.json(`/v1/keys/${governed.id}`, { key: stack.adminKey })).body;
    expect(stored).toMatchObject({ budget: { credits: 5, period: 'month', spent: 0, remaining: 5 }, tokenLimit: { tokens: 100000, windowSeconds: 60 }, maxConcurrent: 3 });
    const limits = await page.$eval(`tr[data-key-id="${governed.id}"] td.rate`, (td) => (td as HTMLElement).innerText.split('\n').map((l) => l.trim()).filter(Boolean));
    expect(limits).toEqual([expect.stringMatching(/^\d+ per \d+ s$/), '100000 tokens per 60 s', 'at most 3 calls at once']);
  });

  it('the budget bar: 0 % before any call, with its numbers and its reset in words, and a meter assistive technology reads', async () => {
    const reset = new Date(periodEnd('month', stack.clock.now()));
    const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][reset.getUTCDay()];
    const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][reset.getUTCMonth()];
    const bar = await budgetBar(governed.id);
    expect(bar).toEqual({
      text: `Budget 0 % used 0 / 5 credits this month resets ${weekday} 1 ${month}, 00:00 UTC`,
      value: 0,
      min: 0,
      max: 5,
      label: 'Budget of Governed',
      valuetext: `0 % used: 0 / 5 credits this month, resets ${weekday} 1 ${month}, 00:00 UTC`,
    });
  });

  it('after model calls the bar reads what the key has spent, as the API answers it', async () => {
    for (let i = 0; i < 3; i++) expect((await chat(governed.key)).status).toBe(200);
    await stack.idle();
    const { budget } = (await stack.json(`/v1/keys/${governed.id}`, { key: stack.adminKey })).body;
    // What the budget has spent is what the three calls were charged.
    const charged = (await stack.json(`/v1/usage?keyId=${governed.id}`, { key: stack.adminKey })).body.totals[0].credits;
    expect(charged).toBeGreaterThan(0);
    expect(budget).toMatchObject({ spent: charged, remaining: Number((5 - charged).toFixed(6)) });
    await page.reload();
    await page.waitForSelector(`tr[data-key-id="${governed.id}"] [data-testid="budget"]`);
    const bar = await budgetBar(governed.id);
    const percent = Math.floor((budget.spent / 5) * 100);
    expect(bar.value).toBe(budget.spent);
    expect(bar.max).toBe(5);
    expect(bar.text).toContain(`${percent === 0 && budget.spent > 0 ? 'under 1' : percent} % used ${Number(budget.spent.toFixed(6))} / 5 credits this month`);
    expect(await seriousViolations(page)).toEqual([]);
    // With a budget bar and two more limits in its row, the list still fits its card at 1280 px.
    expect(await page.$eval('section.list', (list) => list.scrollWidth - list.clientWidth)).toBe(0);
    await shot('budget-bar');
  });
});

describe('usage charts', () => {
  it('a key’s Usage opens its charts: 30 days each, today’s bar holding its calls, the table on request matching the API', async () => {
    await page.click('button[aria-label="Usage of Governed"]');
    expect(await page.$eval('button[aria-label="Usage of Governed"]', (b) => b.getAttribute('aria-expanded'))).toBe('true');
    const panel = `[data-testid="usage-${governed.id}"]`;
    await page.waitForSelector(`${panel} svg`);
    const daily = (await stack.json(`/v1/usage/daily?keyId=${governed.id}&days=${DAYS}`, { key: stack.adminKey })).body;
    const seen = await charts(panel);
    for (const metric of ['requests', 'tokens', 'credits']) expect(seen.titles[metric]).toHaveLength(DAYS);
    expect(seen.titles.requests!.at(-1)).toMatch(new RegExp(`^\\w{3} ${Number(today().slice(8))} \\w{3} ${today().slice(0, 4)}: 3 requests$`));
    expect(seen.titles.requests!.slice(0, -1).every((t) => t.endsWith(': 0 requests'))).toBe(true);
    const last = daily.data.at(-1);
    expect(last).toMatchObject({ date: today(), requests: 3 });
    expect(seen.titles.tokens!.at(-1)).toMatch(new RegExp(`: ${last.tokens} tokens$`));
    expect(seen.names[0]).toMatch(/^Requests per day — 3 requests in 30 days; the busiest, \w{3} \d+ \w{3}: 3 requests\.$/);
    // The same numbers as a table, on request: a row per day, oldest first.
    await clickButton(page, 'Show as table', panel);
    await page.waitForSelector(`${panel} table[data-testid="usage-table"]:not([hidden])`);
    const table = (await charts(panel)).table;
    expect(table).toHaveLength(DAYS);
    expect(table.map((r) => r.slice(1, 3).map(Number))).toEqual(daily.data.map((d: { requests: number; tokens: number }) => [d.requests, d.tokens]));
    expect(await seriousViolations(page)).toEqual([]);
    await shot('usage-key');
  });

  it('the account’s charts total every key of the account, as the API answers them', async () => {
    const panel = '[data-testid="account-usage"]';
    await page.reload();
    await page.waitForSelector(`${panel} svg`);
    const daily = (await stack.json(`/v1/usage/daily?days=${DAYS}`, { key: stack.adminKey })).body;
    expect(daily).toMatchObject({ object: 'usage.daily', keyId: null });
    expect(daily.data).toHaveLength(DAYS);
    const seen = await charts(panel);
    const valueOf = (title: string) => Number(/: ([\d.]+) \w+$/.exec(title)![1]);
    // Tokens and credits come from model calls only: the page's numbers are the API's to the last digit.
    expect(seen.titles.tokens!.map(valueOf)).toEqual(daily.data.map((d: { tokens: number }) => d.tokens));
    expect(seen.titles.credits!.map(valueOf)).toEqual(daily.data.map((d: { credits: number }) => d.credits));
    expect(daily.data.at(-1).credits).toBeGreaterThan(0);
    // Every authenticated call is a request, the console's own reads included: today's count grows as the page reads.
    const requests = seen.titles.requests!.map(valueOf);
    expect(requests.slice(0, -1)).toEqual(daily.data.slice(0, -1).map((d: { requests: number }) => d.requests));
    expect(requests.at(-1)).toBeGreaterThanOrEqual(3);
    expect(requests.at(-1)).toBeLessThanOrEqual(daily.data.at(-1).requests);
    // One more model call; Refresh reads the days again without reloading the page.
    expect((await chat(governed.key)).status).toBe(200);
    await stack.idle();
    const tokens = (await stack.json(`/v1/usage/daily?days=${DAYS}`, { key: stack.adminKey })).body.data.at(-1).tokens;
    expect(tokens).toBeGreaterThan(daily.data.at(-1).tokens);
    await clickButton(page, 'Refresh', panel);
    await page.waitForFunction((p: string, t: number) => document.querySelector(`${p} [data-testid="chart-tokens"] svg g.day:last-of-type > title`)?.textContent?.endsWith(`: ${t} tokens`), {}, panel, tokens);
    await page.$eval(panel, (el) => el.scrollIntoView());
    await shot('usage-account', false);
  });

  it('when /v1/usage/daily fails, each panel says so in place and the rest of the tab works', async () => {
    await page.setRequestInterception(true);
    const refuse = (r: HTTPRequest) => {
      if (r.url().includes('/v1/usage/daily')) void r.respond({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: { code: 'service_unavailable', message: 'Daily usage is unavailable right now.' } }) });
      else void r.continue();
    };
    page.on('request', refuse);
    try {
      await page.reload();
      await waitForText(page, 'Usage per day could not be loaded: Daily usage is unavailable right now.');
      await page.waitForSelector('button[aria-label="Usage of Governed"]');
      await page.click('button[aria-label="Usage of Governed"]');
      await page.waitForFunction(() => document.querySelectorAll('.usage-panel [role="status"]').length === 2);
      expect(await page.$$eval('.usage-panel svg', (svgs) => svgs.length)).toBe(0);
      expect(await page.$eval(`tr[data-key-id="${governed.id}"] [data-testid="budget"] meter`, (m) => (m as HTMLMeterElement).max)).toBe(5);
      expect(await seriousViolations(page)).toEqual([]);
    } finally {
      page.off('request', refuse);
      await page.setRequestInterception(false);
    }
  });
});

describe('a signer with limits of its own', () => {
  it('cannot choose no limit or a wider one in the dialog; the API takes a narrower edit and refuses a wider one', async () => {
    const limits = { budget: { credits: 10, period: 'month' }, tokenLimit: { tokens: 1000, windowSeconds: 60 }, maxConcurrent: 2 };
    const signer = await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'Limited signer', scopes: ['keys:read', 'keys:write'], rateLimit: { limit: 100, windowSeconds: 60 }, expiresIn: '30d', ...limits } });
    const target = await stack.json('/v1/keys', {
      key: stack.adminKey,
      body: { name: 'Small target', scopes: ['keys:read'], rateLimit: { limit: 10, windowSeconds: 60 }, budget: { credits: 5, period: 'month' }, tokenLimit: { tokens: 500, windowSeconds: 60 }, maxConcurrent: 1, expiresIn: '7d' },
    });
    expect([signer.status, target.status]).toEqual([201, 201]);
    issued.push(signer.body.key, target.body.key);
    await signIn(signer.body.key);
    await openEdit('Small target');
    expect(await page.$('[data-testid="edit-blocked"]')).toBeNull();
    expect((await radios('edit-budget'))[0]).toEqual({ text: 'No budget (the account balance only) — your key has a budget (10 credits/month)', disabled: true });
    expect((await radios('edit-tokens'))[0]).toEqual({ text: 'No token limit — your key is limited to 1000 tokens per 60 s', disabled: true });
    expect((await radios('edit-cap'))[0]).toEqual({ text: 'No cap — your key allows at most 2 calls at once', disabled: true });
    await waitForText(page, 'Your key’s own budget is 10 credits/month');
    await retype('#edit-budget-credits', '50');
    await waitForText(page, 'This is wider than your key’s own 10 credits/month.');
    await retype('#edit-budget-credits', '10');
    await page.select('#edit-budget-period', 'day');
    await waitForText(page, 'This is wider than your key’s own 10 credits/month.');
    await retype('#edit-max-concurrent', '5');
    await waitForText(page, 'This is more than your key’s own 2 calls at once.');
    expect(await page.$eval('#edit-max-concurrent', (i) => i.getAttribute('aria-invalid'))).toBe('true');
    expect(await seriousViolations(page)).toEqual([]);
    await page.$eval('#edit-budget-credits', (i) => i.scrollIntoView());
    await shot('edit-limits-bounded', false);
    // Sent anyway: the API refuses the wider cap (403), the dialog shows why, nothing changes.
    await page.select('#edit-budget-period', 'month');
    await clickButton(page, 'Save changes', 'dialog');
    await page.waitForFunction(() => /wider concurrency/.test(document.querySelector('dialog[open] [role="alert"]')?.textContent ?? ''));
    expect((await stack.json(`/v1/keys/${target.body.id}`, { key: stack.adminKey })).body).toMatchObject({ maxConcurrent: 1, budget: { credits: 5 } });
    // Within its own limits: saved.
    await retype('#edit-max-concurrent', '2');
    await retype('#edit-budget-credits', '8');
    await clickButton(page, 'Save changes', 'dialog');
    await page.waitForFunction(() => !document.querySelector('dialog[open]'));
    expect((await stack.json(`/v1/keys/${target.body.id}`, { key: stack.adminKey })).body).toMatchObject({ maxConcurrent: 2, budget: { credits: 8, period: 'month' } });
  });

  it('its Create form says a new key gets its own limits, and the key made has them', async () => {
    await clickButton(page, '+ Add new API key');
    await page.waitForSelector('dialog[open]');
    expect(await page.$eval('[data-testid="inherited-limits"]', (p) => p.textContent)).toBe(
      'The new key gets your key’s own limits: a budget of 10 credits/month, 1000 tokens per 60 s, at most 2 calls at once. Edit it afterwards to narrow them.',
    );
    expect(await seriousViolations(page)).toEqual([]);
    await page.type('#key-name', 'Made by the limited signer');
    await page.select('#key-expiry', '7d');
    await clickButton(page, 'Create Key', 'dialog');
    await page.waitForFunction(() => !document.querySelector('dialog[open]'));
    issued.push(await page.$eval('[data-testid="one-time-key"]', (e) => e.textContent!.trim()));
    const made = (await stack.json('/v1/keys?search=Made%20by', { key: stack.adminKey })).body.data[0];
    expect(made).toMatchObject({ budget: { credits: 10, period: 'month' }, tokenLimit: { tokens: 1000, windowSeconds: 60 }, maxConcurrent: 2 });
    // Its row shows them at once; leaving the tab leaves no raw value behind.
    await waitForText(page, 'at most 2 calls at once');
    await clickButton(page, 'Activity');
    await clickButton(page, 'API Keys');
    await page.waitForSelector('table[data-testid="keys"]');
  });

  it('a key with wider limits is beyond it: the dialog says the API refuses any edit', async () => {
    await openEdit('Governed');
    expect(await page.$eval('[data-testid="edit-blocked"]', (p) => p.textContent)).toMatch(/^This key already holds more than yours \(wider [a-z ,]*token limit, concurrency\): the API refuses any edit of it\.$/);
    await clickButton(page, 'Cancel', 'dialog');
  });

  it('nothing the charts, bars or limits drew broke the CSP, and no raw key is in the page', async () => {
    expect(refused).toEqual([]);
    const html = await page.evaluate(() => document.documentElement.outerHTML + document.body.innerText);
    for (const secret of [stack.adminKey, ...issued]) expect(html).not.toContain(secret);
  });
});
