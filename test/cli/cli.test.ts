import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey } from '../../lambdas/core/key-format';
import { startTestStack, type TestStack } from '../support/local-stack';

const exec = promisify(execFile);
const BIN = resolve('bin/keywarden.js');
/** A project-like folder: the stack's data in <root>/.data, where the CLI finds it from any subfolder. */
const root = mkdtempSync(join(tmpdir(), 'keywarden-cli-'));
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({}, {}, join(root, '.data'));
});
afterAll(async () => {
  await stack?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** Runs the real `keywarden` bin; against the running local stack's data directory unless `cwd` is given. */
async function cli(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, ...(cwd ? [] : ['--data-dir', stack.dataDir.path]), ...args], {
      env: { ...process.env, KEYWARDEN_API_URL: '', KEYWARDEN_API_KEY: '', DATA_DIR: '', ...env },
      cwd,
    });
    return { stdout, stderr, code: 0 };
  } catch (err: any) {
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}
const json = async (args: string[], env?: Record<string, string>) => {
  const out = await cli(['--json', ...args], env);
  expect(out.code, out.stderr).toBe(0);
  return JSON.parse(out.stdout);
};

/** A forwarding proxy that keeps the URLs it saw, as a proxy's access log would. */
async function recordingProxy(target: string): Promise<{ url: string; urls: string[]; close: () => Promise<void> }> {
  const urls: string[] = [];
  const server = createHttpServer(async (req, res) => {
    urls.push(req.url ?? '');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !['host', 'connection', 'content-length'].includes(name))) as Record<string, string>;
    const answer = await fetch(`${target}${req.url}`, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, urls, close: () => new Promise((done) => server.close(() => done())) };
}

// Each run is a fresh node process (tsx + SDK load): seconds each on a busy two-core machine.
describe('keywarden CLI', { timeout: 180_000 }, () => {
  it('operator: accounts, API gate, credits, projects with an Automator key, chat admins', async () => {
    const account = await json(['accounts', 'create', '--name', 'Acme', '--credits', '5']);
    expect(account).toMatchObject({ name: 'Acme', apiAccess: false, credits: 5 });
    expect((await json(['api-access', account.id, 'on'])).apiAccess).toBe(true);
    expect((await json(['credits', 'grant', account.id, '10'])).balance).toBe(15);
    expect((await json(['credits', 'withdraw', account.id, '4'])).balance).toBe(11);
    const overdraw = await cli(['credits', 'withdraw', account.id, '100']);
    expect(overdraw.code).toBe(1);
    expect(overdraw.stderr).toContain('does not hold that many credits');
    expect((await json(['accounts', 'list'])).map((a: any) => a.id)).toContain(account.id);

    const created = await json(['projects', 'create', '--account', account.id, '--name', 'Acme bots']);
    expect(created.automatorKey.key).toMatch(/^archie_/);
    const me = await stack.json('/v1/me', { key: created.automatorKey.key });
    expect(me.body).toMatchObject({ type: 'system', protected: true, projectId: created.project.id });

    await json(['admins', 'add', created.project.id, 'slack:T9:U9']);
    expect(await json(['admins', 'list', created.project.id])).toEqual(['slack:T9:U9']);
    const bad = await cli(['admins', 'add', created.project.id, 'bob']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Not a chat identity');
    expect((await json(['admins', 'remove', created.project.id, 'slack:T9:U9'])).removed).toBe(true);

    // Recovery: a fresh admin key straight against the store; it works at once and was audited.
    const fresh = await json(['admin-key', created.project.id, '--expires', '30d']);
    expect(fresh).toMatchObject({ type: 'privileged', projectId: created.project.id, key: expect.stringMatching(/^archie_/) });
    expect(fresh).not.toHaveProperty('hash');
    expect((await stack.json('/v1/keys', { key: fresh.key })).status).toBe(200);

    await json(['api-access', account.id, 'off']);
    const gated = await stack.json('/v1/keys', { key: created.automatorKey.key, body: {} });
    expect(gated.body.error.code).toBe('api_access_disabled');
  });

  it('CI/CD: keys create/list/rotate/revoke over /v1 with KEYWARDEN_API_URL and KEYWARDEN_API_KEY', async () => {
    const env = { KEYWARDEN_API_URL: stack.url, KEYWARDEN_API_KEY: stack.adminKey };
    const raw = (await cli(['keys', 'create', '--name', 'pipeline', '--type', 'viewer', '--expires', '30d', '--rate-limit', '100/60s', '--quiet'], env)).stdout.trim();
    expect(raw).toMatch(/^archie_[0-9A-Za-z]{28}$/);
    // Searched for by its full value: the key goes in a request body, so no URL on the way (a proxy's log) carries it.
    const proxy = await recordingProxy(stack.url);
    let list: any;
    try {
      list = await json(['keys', 'list', '--search', raw], { ...env, KEYWARDEN_API_URL: proxy.url });
      expect(proxy.urls.length).toBeGreaterThan(0);
      expect(proxy.urls.filter((u) => u.includes(raw))).toEqual([]);
    } finally {
      await proxy.close();
    }
    expect(list.data).toHaveLength(1);
    expect(list.data[0]).toMatchObject({ name: 'pipeline', type: 'viewer', rateLimit: { limit: 100, windowSeconds: 60 } });
    expect(JSON.stringify(list)).not.toContain(raw);
    expect((await stack.json('/v1/models', { key: raw })).status).toBe(200);
    const rotated = await json(['keys', 'rotate', list.data[0].id], env);
    expect(rotated.key).not.toBe(raw);
    expect((await stack.json('/v1/models', { key: raw })).status).toBe(401);
    const revoked = await json(['keys', 'revoke', rotated.id], env);
    expect(revoked.status).toBe('revoked');
    const denied = await cli(['keys', 'create'], { ...env, KEYWARDEN_API_KEY: raw });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('401');
    expect(denied.stderr).not.toContain(raw);
  });

  it('key commands default to the local stack from bootstrap.json', async () => {
    const list = await json(['keys', 'list']);
    expect(list.data.map((k: any) => k.id)).toContain(stack.bootstrap.adminKeyId);
  });

  it('--help on every command', async () => {
    for (const args of [[], ['accounts'], ['accounts', 'create'], ['credits', 'grant'], ['projects', 'create'], ['admins', 'add'], ['keys', 'create'], ['keys', 'rotate'], ['api-access']]) {
      const out = await cli([...args, '--help']);
      expect(out.code).toBe(0);
      expect(out.stdout).toContain('Usage: keywarden');
    }
  });
});

/** One line on stderr, a non-zero exit, no stack frames. */
function expectOneLine(out: { stderr: string; code: number }, pattern: RegExp): void {
  expect(out.code, out.stderr).not.toBe(0);
  expect(out.stderr).not.toMatch(/^\s+at /m);
  expect(out.stderr.trim().split('\n'), out.stderr).toHaveLength(1);
  expect(out.stderr.trim()).toMatch(pattern);
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe('keywarden CLI: data dir discovery and operator mistakes', { timeout: 120_000 }, () => {
  it('from a subfolder, finds the project data dir upwards and creates nothing there', async () => {
    const sub = join(root, 'scripts', 'nightly');
    mkdirSync(sub, { recursive: true });
    const [accounts, keys] = await Promise.all([cli(['--json', 'accounts', 'list'], {}, sub), cli(['--json', 'keys', 'list'], {}, sub)]);
    expect(accounts.code, accounts.stderr).toBe(0);
    expect(JSON.parse(accounts.stdout).map((a: any) => a.id)).toContain(stack.bootstrap.accountId);
    expect(keys.code, keys.stderr).toBe(0);
    expect(JSON.parse(keys.stdout).data.map((k: any) => k.id)).toContain(stack.bootstrap.adminKeyId);
    expect(existsSync(join(sub, '.data'))).toBe(false);
    expect(existsSync(join(root, 'scripts', '.data'))).toBe(false);
  });

  it('one clear line and a non-zero exit for each operator mistake, never a stack trace or a raw key', async () => {
    // No data dir anywhere up from here.
    const elsewhere = join(mkdtempSync(join(tmpdir(), 'keywarden-nowhere-')), 'sub');
    mkdirSync(elsewhere);
    // A project whose server is not running.
    const stopped = mkdtempSync(join(tmpdir(), 'keywarden-stopped-'));
    mkdirSync(join(stopped, '.data'));
    mkdirSync(join(stopped, 'sub'));
    const port = await closedPort();
    const adminKey = generateKey();
    writeFileSync(join(stopped, '.data', 'bootstrap.json'), JSON.stringify({ baseUrl: `http://127.0.0.1:${port}`, adminKey }));

    try {
      const [nowhere, serverDown, aws, swapped] = await Promise.all([
        cli(['accounts', 'list'], {}, elsewhere),
        cli(['keys', 'list'], {}, join(stopped, 'sub')),
        cli(['--aws', 'accounts', 'list'], { TABLE_NAME: '', SECRET_HASHING_ARN: '' }, elsewhere),
        // URL and key swapped: said plainly, and the key in the URL slot is redacted.
        cli(['keys', 'list'], { KEYWARDEN_API_URL: adminKey, KEYWARDEN_API_KEY: 'http://127.0.0.1:1' }, elsewhere),
      ]);

      expectOneLine(nowhere, /^error: no Keywarden data dir found \(looked for .*\); run `npm start`.*DATA_DIR/);
      expect(nowhere.stderr).toContain(join(elsewhere, '.data', 'bootstrap.json'));
      expect(nowhere.stderr).toContain(join(elsewhere, '..', '.data', 'bootstrap.json'));
      expect(existsSync(join(elsewhere, '.data'))).toBe(false);

      expectOneLine(serverDown, new RegExp(`^error: cannot reach the Keywarden API at http://127\\.0\\.0\\.1:${port}/v1 \\(ECONNREFUSED\\); start the local stack with \`npm start\`, or set KEYWARDEN_API_URL`));
      expectOneLine(aws, /^error: --aws needs TABLE_NAME and SECRET_HASHING_ARN in the environment/);
      expectOneLine(swapped, /^error: KEYWARDEN_API_URL \(or --api-url\) is not an http\(s\) URL: archie_\w{4}…$/);
      for (const out of [serverDown, swapped]) expect(out.stderr + out.stdout).not.toContain(adminKey);
    } finally {
      rmSync(join(elsewhere, '..'), { recursive: true, force: true });
      rmSync(stopped, { recursive: true, force: true });
    }
  });
});
