/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import chromium from '@sparticuz/chromium';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

/**
 * Headless Chromium from npm alone (@sparticuz/chromium ships the binary; no download, no system
 * package). One browser per test file; pages with `browser.newPage()` (a new browser context
 * fails under @sparticuz/chromium's flags).
 */
export async function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({ executablePath: await chromium.executablePath(), args: chromium.args, headless: true, defaultViewport: { width: 1280, height: 900 } });
}

export async function openPage(browser: Browser): Promise<Page> {
  const page = await browser.newPage();
  page.setDefaultTimeout(10_000);
  // Rotate and Revoke act at once (seed 000): a native confirm() would be a bug.
  page.on('dialog', (dialog) => {
    void dialog.dismiss();
    throw new Error(`unexpected native dialog: ${dialog.message()}`);
  });
  return page;
}

export async function waitForText(page: Page, text: string): Promise<void> {
  await page.waitForFunction((t: string) => document.body.innerText.includes(t), {}, text);
}

export async function waitForNoText(page: Page, text: string): Promise<void> {
  await page.waitForFunction((t: string) => !document.body.innerText.includes(t), {}, text);
}

/** Clicks the enabled button whose text is exactly `text` (inside `scope`, a CSS selector, if given). */
export async function clickButton(page: Page, text: string, scope = 'body'): Promise<void> {
  const find = (t: string, s: string) =>
    [...document.querySelectorAll(`${s} button`)].find((b) => b.textContent?.trim() === t && !(b as HTMLButtonElement).disabled) as HTMLButtonElement | undefined;
  await page.waitForFunction(find, {}, text, scope);
  await page.evaluate((t: string, s: string) => {
    const button = [...document.querySelectorAll(`${s} button`)].find((b) => b.textContent?.trim() === t && !(b as HTMLButtonElement).disabled) as HTMLButtonElement;
    button.click();
  }, text, scope);
}

/** Is the button with exactly this text disabled? (undefined: no such button) */
export async function buttonDisabled(page: Page, text: string): Promise<boolean | undefined> {
  return page.evaluate((t: string) => {
    const button = [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === t) as HTMLButtonElement | undefined;
    return button?.disabled;
  }, text);
}

/** The keys table as text rows (a key's opened details row aside): [name cell, start, created, expires, last used, usage (and budget), limits, status, actions]. */
export async function keyRows(page: Page): Promise<string[][]> {
  return page.$$eval('table[data-testid="keys"] tbody tr:not(.key-details)', (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => (td as HTMLElement).innerText.trim())));
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations on the page as it stands (evaluated over CDP, so the page's CSP still holds). */
export async function seriousViolations(page: Page): Promise<Array<{ id: string; impact: string; nodes: number }>> {
  await page.evaluate(axeSource);
  const found = await page.evaluate(async () => {
    const result = await (window as unknown as { axe: { run: (c: Document, o: object) => Promise<{ violations: Array<{ id: string; impact: string; nodes: unknown[] }> }> } }).axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
  });
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
