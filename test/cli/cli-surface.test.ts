import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { keyTable } from '../../bin/cli/key-table';
import type { ApiKey } from '../../lambdas/http/client';

/**
 * The CLI's surface, without a stack (test/cli/cli.test.ts runs the commands against one):
 * `--version`, `--json` in every command's help, errors as JSON under `--json`, and `keys list`
 * as a table.
 */
const exec = promisify(execFile);
const BIN = resolve('bin/keywarden.js');
/** Nothing listens on port 1: key commands fail to reach the API without waiting. */
const NO_API = { KEYWARDEN_API_URL: 'http://127.0.0.1:1', KEYWARDEN_API_KEY: 'unused', DATA_DIR: '' };

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, ...args], { env: { ...process.env, ...NO_API, ...env } });
    return { stdout, stderr, code: 0 };
  } catch (err: any) {
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

describe.concurrent('the keywarden CLI', () => {
  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) expect(await cli([flag])).toEqual({ stdout: `${version}\n`, stderr: '', code: 0 });
  });

  it("shows --json in every command's help", async () => {
    // One process walks the command tree and prints each command's help.
    const script = `
      const { program } = await import('./bin/cli/context.ts');
      for (const m of ['operator', 'key', 'console', 'reminder', 'usage', 'webhook']) await import(\`./bin/cli/\${m}-commands.ts\`);
      const helps = {};
      const walk = (cmd, path) => { helps[path.join(' ') || '(program)'] = cmd.helpInformation(); for (const sub of cmd.commands) walk(sub, [...path, sub.name()]); };
      walk(program, []);
      console.log(JSON.stringify(helps));`;
    const { stdout } = await exec(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]);
    const helps = JSON.parse(stdout) as Record<string, string>;
    expect(Object.keys(helps)).toEqual(expect.arrayContaining(['keys list', 'keys create', 'accounts create', 'console-link', 'audit', 'usage']));
    for (const [command, help] of Object.entries(helps)) expect(help, command).toMatch(/^\s+--json\s+print machine-readable JSON/m);
  });

  it('prints errors as one JSON line on stderr under --json, as one text line without it', async () => {
    const asJson = await cli(['--json', 'keys', 'list']);
    expect(asJson.code).toBe(1);
    expect(asJson.stdout).toBe('');
    expect(asJson.stderr.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(asJson.stderr).error.message).toMatch(/^cannot reach the Keywarden API at http:\/\/127\.0\.0\.1:1\/v1 /);

    const asText = await cli(['keys', 'list']);
    expect(asText.code).toBe(1);
    expect(asText.stderr).toMatch(/^error: cannot reach the Keywarden API at http:\/\/127\.0\.0\.1:1\/v1 .*\n$/);

    // Mistakes commander finds itself, the option anywhere on the line.
    for (const args of [['--json', 'keys', 'show'], ['keys', 'list', '--bogus', '--json'], ['--json', 'keys']]) {
      const out = await cli(args);
      expect(out.code, args.join(' ')).toBe(1);
      expect(out.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(JSON.parse(out.stderr).error.message, args.join(' ')).toMatch(/missing required argument|unknown option '--bogus'|a command is required/);
    }
  });
});

describe('keys update without a stack', () => {
  it('refuses --aws without --operator, and a malformed limit (under --json: one line), each in one line', async () => {
    const id = 'key_7LykMTk0wIS1VwzBMfJ7Os';
    const [aws, limit] = await Promise.all([
      cli(['--aws', 'keys', 'update', id, '--name', 'x']),
      cli(['--json', 'keys', 'update', id, '--rate-limit', '100/0s']),
    ]);
    for (const out of [aws, limit]) {
      expect(out.code, out.stderr).toBe(1);
      expect(out.stderr.trim().split('\n'), out.stderr).toHaveLength(1);
    }
    expect(aws.stderr).toMatch(/^error: key commands go through \/v1 with a key; add --operator/);
    expect(JSON.parse(limit.stderr).error.message).toMatch(/'100\/0s' is invalid\. rate limit looks like 100\/60s/);
  });
});

describe('keys list for people', () => {
  const key = (over: Partial<ApiKey>): ApiKey =>
    ({
      id: 'key_7LykMTk0wIS1VwzBMfJ7Os',
      name: 'deploy bot',
      type: 'viewer',
      protected: false,
      prefix: 'archie',
      start: 'archie_4fQa',
      status: 'active',
      scopes: [],
      createdAt: '2026-12-01T10:00:00.000Z',
      expiresAt: '2027-03-01T10:00:00.000Z',
      lastUsedAt: null,
      replacedBy: null,
      graceUntil: null,
      ...over,
    }) as ApiKey;

  it('is an aligned table with a header, the name last', () => {
    const table = keyTable([key({}), key({ id: 'key_0Qc1PtwBMRgHV5fGsNZh37', name: 'Project Automator', type: 'system', status: 'revoked', expiresAt: null, lastUsedAt: '2026-12-05T08:30:12.000Z' })]);
    const lines = table.split('\n');
    expect(lines).toEqual([
      'ID                          START         TYPE    STATUS   EXPIRES (UTC)     LAST USED (UTC)   NAME',
      'key_7LykMTk0wIS1VwzBMfJ7Os  archie_4fQa…  viewer  active   2027-03-01 10:00  never             deploy bot',
      'key_0Qc1PtwBMRgHV5fGsNZh37  archie_4fQa…  system  revoked  never             2026-12-05 08:30  Project Automator',
    ]);
  });

  it('says so when there are none', () => {
    expect(keyTable([])).toBe('no keys');
  });
});
