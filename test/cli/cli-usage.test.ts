import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usageTable } from '../../bin/cli/usage-table';
import { utcDay } from '../../lambdas/core/usage';
import { startTestStack, type TestStack } from '../support/local-stack';

/**
 * `keywarden usage [--key <id>] [--days 30]` (issue 21 point 7): the daily counters over /v1, as
 * a table of days with a total, or the API's answer under --json. Each CLI run is a fresh node
 * process (~1.3 s): the runs of one test go in parallel.
 */
const exec = promisify(execFile);
const BIN = resolve('bin/keywarden.js');
const DAY = 86_400_000;

describe('keywarden usage against a local stack', { timeout: 120_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keywarden-usage-'));
  let stack: TestStack;
  let asRoot: Record<string, string>;
  let keyId: string;

  beforeAll(async () => {
    stack = await startTestStack({}, {}, join(root, '.data'));
    asRoot = { KEYWARDEN_API_URL: stack.url, KEYWARDEN_API_KEY: stack.adminKey };
    const created = await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'charted' } });
    keyId = created.body.id;
    for (const input of ['one', 'two']) expect((await stack.json('/v1/responses', { key: created.body.key, body: { model: 'archibot', input } })).status).toBe(200);
    expect((await stack.json('/v1/models', { key: created.body.key })).status).toBe(200);
    await stack.idle();
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  async function cli(args: string[], env: Record<string, string> = asRoot): Promise<{ stdout: string; stderr: string; code: number }> {
    try {
      const { stdout, stderr } = await exec(process.execPath, [BIN, '--data-dir', stack.dataDir.path, ...args], {
        env: { ...process.env, KEYWARDEN_API_URL: '', KEYWARDEN_API_KEY: '', DATA_DIR: '', ...env },
      });
      return { stdout, stderr, code: 0 };
    } catch (err: any) {
      return { stdout: err.stdout, stderr: err.stderr, code: err.code };
    }
  }

  it('prints one line per UTC day, oldest first, and the total; --json prints the API answer', async () => {
    const [text, json, local] = await Promise.all([
      cli(['usage', '--key', keyId, '--days', '3']),
      cli(['--json', 'usage', '--key', keyId, '--days', '3']),
      // No KEYWARDEN_API_*: the local stack's bootstrap.json, as the other key commands.
      cli(['usage', '--days', '2'], {}),
    ]);
    expect(text.code, text.stderr).toBe(0);
    const now = stack.clock.now();
    const days = [2, 1, 0].map((back) => utcDay(now - back * DAY));
    const api = await stack.json(`/v1/usage/daily?keyId=${keyId}&days=3`, { key: stack.adminKey });
    const today = api.body.data[2] as { requests: number; tokens: number; credits: number };
    expect(today.requests).toBe(3);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`key ${keyId}, last 3 days`);
    expect(lines[1]).toMatch(/^DATE \(UTC\)\s+REQUESTS\s+TOKENS\s+CREDITS$/);
    expect(lines.slice(2).map((line) => line.trim().split(/\s+/))).toEqual([
      [days[0], '0', '0', '0'],
      [days[1], '0', '0', '0'],
      [days[2], '3', String(today.tokens), String(today.credits)],
      ['total', '3', String(today.tokens), String(today.credits)],
    ]);

    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(api.body);

    expect(local.code, local.stderr).toBe(0);
    const account = local.stdout.trimEnd().split('\n');
    expect(account[0]).toBe(`account ${stack.bootstrap.accountId}, last 2 days`);
    expect(account).toHaveLength(5);
    expect(Number(account[4]!.trim().split(/\s+/)[1])).toBeGreaterThanOrEqual(3);
  });

  it('a key of no project of the caller, or days out of range, is one error line', async () => {
    const [missing, range, json] = await Promise.all([
      cli(['usage', '--key', 'key_0000000000000000000000']),
      cli(['usage', '--days', '91']),
      cli(['--json', 'usage', '--days', '0']),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('error: 404 not_found: No key key_0000000000000000000000 in this project.');
    expect(range.code).toBe(1);
    expect(range.stderr.trim().split('\n')).toHaveLength(1);
    expect(range.stderr).toMatch(/^error: 400 invalid_request_error: .*days/);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stderr).error.message).toMatch(/days/);
  });
});

describe('usage for people', () => {
  it('aligns the numbers right under their header and totals the credits exactly', () => {
    const table = usageTable({
      object: 'usage.daily',
      keyId: null,
      accountId: 'acct_1',
      data: [
        { date: '2026-12-05', requests: 12, tokens: 3400, credits: 0.1 },
        { date: '2026-12-06', requests: 3, tokens: 20, credits: 0.2 },
      ],
    });
    expect(table.split('\n')).toEqual([
      'account acct_1, last 2 days',
      'DATE (UTC)  REQUESTS  TOKENS  CREDITS',
      '2026-12-05        12    3400      0.1',
      '2026-12-06         3      20      0.2',
      'total             15    3420      0.3',
    ]);
  });
});
