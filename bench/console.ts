import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONSOLE_SITE, consoleBundle } from '../console/build';
import { consoleSessions } from '../lambdas/core/console-sessions';
import { startLocalStack } from '../lambdas/local/local-stack';
import { launchBrowser, openPage } from '../test/console/browser';
import { round } from './stats';

export interface ConsoleFigures {
  /** The console's minified JavaScript and CSS, as served. */
  jsKb: number;
  cssKb: number;
  /** Keys in the project while the list renders. */
  keys: number;
  /** From navigation start to the keys list on screen (signed in), headless Chromium on the local stack. */
  firstRenderMs: { median: number; max: number; loads: number };
}

/** The console's weight and how soon its keys list is on screen, on the local stack. */
export async function measureConsole(loads = 7, keys = 50): Promise<ConsoleFigures> {
  const bundle = consoleBundle();
  const dataDir = mkdtempSync(join(tmpdir(), 'keywarden-bench-console-'));
  const stack = await startLocalStack({
    env: { ...process.env, HOST: '127.0.0.1', DATA_DIR: dataDir },
    port: 0,
    console: CONSOLE_SITE,
  });
  const browser = await launchBrowser();
  try {
    const operator = { kind: 'operator' as const, actor: 'cli:bench', projectId: stack.bootstrap.projectId };
    for (let i = 0; i < keys; i++) await stack.services.keys.create(operator, { name: `bench key ${i}` });
    const page = await openPage(browser);
    const { token } = await consoleSessions(stack.services).linkForOperator(stack.bootstrap.projectId, 'cli:bench');
    await page.goto(`${stack.url}/console/#link=${token}`);
    await page.waitForSelector('table[data-testid="keys"]');
    const times: number[] = [];
    for (let i = 0; i < loads; i++) {
      await page.goto(`${stack.url}/console/`);
      await page.waitForFunction(() => performance.getEntriesByName('keywarden:keys-rendered').length > 0);
      times.push(await page.evaluate(() => performance.getEntriesByName('keywarden:keys-rendered')[0]?.startTime ?? Number.NaN));
    }
    times.sort((a, b) => a - b);
    return {
      jsKb: round(Buffer.byteLength(bundle.js) / 1024),
      cssKb: round(Buffer.byteLength(bundle.css) / 1024),
      keys: keys + 4,
      firstRenderMs: { median: round(times[Math.floor(times.length / 2)]!), max: round(times[times.length - 1]!), loads },
    };
  } finally {
    await browser.close();
    await stack.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
