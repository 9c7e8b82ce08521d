import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalStack } from '../../lambdas/local/local-stack';
import { startTestStack } from '../support/local-stack';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keywarden-local-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe('the local stack', () => {
  it('bootstraps once, keeps its data across a restart, and registers KEYWARDEN_ADMINS', async () => {
    const dir = tempDir();
    const env = { KEYWARDEN_ADMINS: 'slack:T1:U1, teams:tenant-1:aad-1' };
    const first = await startTestStack(env, {}, dir);
    const created = (await first.json('/v1/keys', { key: first.adminKey, body: { name: 'survives restart' } })).body;
    const admins = await first.json('/v1/admins', { key: first.adminKey });
    expect(admins.body.data.map((a: any) => a.identity).sort()).toEqual(['slack:T1:U1', 'teams:tenant-1:aad-1']);
    const bootstrap = first.bootstrap;
    await first.stop();

    const second = await startTestStack({ KEYWARDEN_ADMINS: 'slack:T1:U2' }, {}, dir);
    try {
      expect(second.bootstrap).toMatchObject({ accountId: bootstrap.accountId, projectId: bootstrap.projectId, adminKey: bootstrap.adminKey });
      expect((await second.json('/v1/models', { key: created.key })).status).toBe(200);
      const listed = await second.json(`/v1/keys/${created.id}`, { key: second.adminKey });
      expect(listed.body.name).toBe('survives restart');
      const accounts = await second.services.operator.listAccounts();
      expect(accounts).toHaveLength(1);
      const after = await second.json('/v1/admins', { key: second.adminKey });
      expect(after.body.data.map((a: any) => a.identity)).toContain('slack:T1:U2');
    } finally {
      await second.stop();
    }
  });

  it('answers 503 + Retry-After on every path until ready, then GET /v1/health without a key', async () => {
    const port = await freePort();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    // A mount that holds startup open: the window between listen and ready, made deterministic.
    const starting = startLocalStack(
      { env: { ...process.env, HOST: '127.0.0.1', DATA_DIR: tempDir() }, port },
      { '/held': async () => (await held, (_req, res) => void res.end()) },
    );
    const early = await untilListening(`http://127.0.0.1:${port}/v1/health`);
    expect(early.status).toBe(503);
    expect(early.headers.get('retry-after')).toBe('1');
    expect(await early.json()).toEqual({
      error: { message: expect.any(String), type: 'api_error', code: 'service_unavailable', param: null },
    });
    const post = await fetch(`http://127.0.0.1:${port}/v1/keys`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(5_000) });
    expect(post.status).toBe(503);

    release();
    const stack = await starting;
    try {
      const health = await fetch(`${stack.url}/v1/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok', environment: 'local' });
      const doc = (await (await fetch(`${stack.url}/v1/openapi.json`)).json()) as any;
      expect(doc.paths['/health'].get.security).toEqual([]);
    } finally {
      await stack.close();
    }
  });

  it('`npm start` serves on PORT/HOST, prints the admin key once, and shuts down cleanly on SIGTERM', async () => {
    const dir = tempDir();
    const port = await freePort();
    const run = () =>
      new Promise<{ stdout: string; code: number | null; status: number }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'bin/local-server.ts'], {
          env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dir },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let status = 0;
        child.stdout.on('data', async (chunk: Buffer) => {
          stdout += chunk.toString();
          if (stdout.includes('Keywarden listening on') && status === 0) {
            status = -1;
            const { adminKey } = JSON.parse(readFileSync(join(dir, 'bootstrap.json'), 'utf8'));
            const res = await fetch(`http://127.0.0.1:${port}/v1/models`, { headers: { authorization: `Bearer ${adminKey}` } });
            status = res.status;
            expect(existsSync(join(dir, 'local-endpoint.json'))).toBe(true);
            child.kill('SIGTERM');
          }
        });
        child.on('error', reject);
        child.on('exit', (code) => resolve({ stdout, code, status }));
        setTimeout(() => child.kill('SIGKILL'), 25_000).unref();
      });
    const first = await run();
    expect(first.code).toBe(0);
    expect(first.status).toBe(200);
    expect(first.stdout).toContain(`http://127.0.0.1:${port}`);
    const { adminKey } = JSON.parse(readFileSync(join(dir, 'bootstrap.json'), 'utf8'));
    expect(first.stdout).toContain(adminKey);
    expect(first.stdout).toContain('SIGTERM: shutting down');
    expect(existsSync(join(dir, 'local-endpoint.json'))).toBe(false);

    const second = await run();
    expect(second.code).toBe(0);
    expect(second.status).toBe(200);
    expect(second.stdout).not.toContain(adminKey);
  }, 60_000);
});

/** Fetches until something accepts the connection; a connection that is never answered fails. */
async function untilListening(url: string): Promise<Response> {
  for (let i = 0; ; i++) {
    try {
      return await fetch(url, { signal: AbortSignal.timeout(5_000) });
    } catch (err) {
      if ((err as { cause?: { code?: string } }).cause?.code !== 'ECONNREFUSED' || i > 400) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
