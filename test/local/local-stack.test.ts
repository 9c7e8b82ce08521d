import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect as netConnect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { startDynalite } from '../../lambdas/adapters/dynalite-server';
import { startLocalStack } from '../../lambdas/local/local-stack';
import { startTestStack } from '../support/local-stack';
import { startStandInUpstream } from '../http/openai-relay/stand-in-upstream';

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
    expect(early.headers.get('x-content-type-options')).toBe('nosniff');
    expect(early.headers.get('cache-control')).toBe('no-store');
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

  it('cuts off a client that stalls mid-request: 408 and the connection closed, nothing waits for it', async () => {
    const dir = tempDir();
    // An upstream whose stream takes 2.5 s: longer than the 1 s the client has to send its request.
    const upstream = await startStandInUpstream(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (body: object) => res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'archibot', ...body })}\n\n`);
      for (const word of ['slow ', 'but ', 'whole']) {
        chunk({ choices: [{ index: 0, delta: { content: word }, finish_reason: null }] });
        await new Promise((r) => setTimeout(r, 800));
      }
      chunk({ choices: [], usage: { prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 } });
      res.end('data: [DONE]\n\n');
    });
    const stack = await startLocalStack({ env: { ...process.env, HOST: '127.0.0.1', DATA_DIR: dir, UPSTREAM_BASE_URL: upstream.baseUrl, UPSTREAM_API_KEY: 'up' }, port: 0, requestTimeoutMs: 1_000 });
    try {
      const { hostname, port } = new URL(stack.url);
      const stalled = async (head: string) => {
        const socket = netConnect(Number(port), hostname);
        socket.write(head);
        let answer = '';
        socket.on('data', (chunk) => (answer += chunk));
        const started = performance.now();
        await new Promise((done) => socket.on('close', done));
        return { answer, seconds: (performance.now() - started) / 1000 };
      };
      // Half a body, then silence; and headers that never end.
      const body = await stalled(`POST /v1/responses HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${stack.bootstrap.adminKey}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"model":`);
      expect(body.answer).toMatch(/^HTTP\/1\.1 408/);
      expect(JSON.parse(body.answer.split('\r\n\r\n')[1]!)).toMatchObject({ error: { type: 'invalid_request_error', code: 'invalid_request_error' } });
      expect(body.seconds).toBeLessThan(10);
      const headers = await stalled('GET /v1/models HTTP/1.1\r\nhost: x\r\n');
      expect(headers.answer).toMatch(/^HTTP\/1\.1 408/);
      expect(headers.seconds).toBeLessThan(10);
      // Not HTTP at all: 400, in the same shape.
      const garbage = await stalled('HELLO THERE\r\n\r\n');
      expect(garbage.answer).toMatch(/^HTTP\/1\.1 400/);
      expect(JSON.parse(garbage.answer.split('\r\n\r\n')[1]!).error.type).toBe('invalid_request_error');
      // The server is fine, and a request sent in time is answered however long its answer takes.
      expect((await fetch(`${stack.url}/v1/health`)).status).toBe(200);
      const started = performance.now();
      const stream = await fetch(`${stack.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.bootstrap.adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'archibot', messages: [{ role: 'user', content: 'x' }], stream: true }),
      });
      const text = await stream.text();
      expect(performance.now() - started).toBeGreaterThan(2_000);
      expect(text).toContain('whole');
      expect(text).toContain('[DONE]');
    } finally {
      await stack.close();
      await upstream.close();
    }
  });

  it('writes a buffered model answer in one piece with its Content-Length; a stream still goes out chunked, as it comes', async () => {
    const stack = await startTestStack();
    try {
      const call = (stream: boolean) =>
        fetch(`${stack.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'archibot', messages: [{ role: 'user', content: 'hi' }], stream }),
        });
      const whole = await call(false);
      const text = await whole.text();
      expect(whole.status).toBe(200);
      expect(whole.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
      expect(JSON.parse(text).object).toBe('chat.completion');
      const streamed = await call(true);
      expect(streamed.status).toBe(200);
      expect(streamed.headers.get('content-length')).toBeNull();
      expect(streamed.headers.get('transfer-encoding')).toBe('chunked');
      expect(await streamed.text()).toMatch(/data: \[DONE\]\s*$/);
    } finally {
      await stack.close();
    }
  });

  // Spawned processes, as an operator runs them: `npm start`, signals to npm itself, and the
  // one-line refusals of a second server. Linux `ps` finds what npm left behind.
  it('`npm start`: owner-only data, one-line refusals, and SIGTERM, SIGINT or SIGKILL to npm stops the whole stack', async () => {
    const dir = tempDir();
    // A pre-existing, loosely-moded data dir and database file.
    chmodSync(dir, 0o755);
    mkdirSync(join(dir, 'dynamodb'), { mode: 0o755 });
    writeFileSync(join(dir, 'dynamodb', 'notes.txt'), 'left here\n', { mode: 0o644 });
    const port = await freePort();

    const first = await npmStart(dir, port);
    try {
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      for (const file of filesUnder(dir)) {
        expect((statSync(file).mode & 0o777).toString(8), file).toBe(statSync(file).isDirectory() ? '700' : '600');
      }
      const { pid: serverPid } = JSON.parse(readFileSync(join(dir, 'local-endpoint.json'), 'utf8'));

      // A database another process holds open without an endpoint file (an operator command's embedded dynalite).
      const lockedDir = tempDir();
      const holder = await startDynalite({ path: join(lockedDir, 'dynamodb') });
      const [sameDir, samePort, locked] = await Promise.all([
        server({ DATA_DIR: dir, PORT: String(await freePort()) }),
        server({ DATA_DIR: tempDir(), PORT: String(port) }),
        server({ DATA_DIR: lockedDir, PORT: String(await freePort()) }),
      ]).finally(() => holder.close());
      expectOneLine(sameDir, new RegExp(`^error: data dir ${dir} is in use by another Keywarden \\(pid ${serverPid}\\b.*stop it or set DATA_DIR`));
      expectOneLine(samePort, new RegExp(`^error: port ${port} on 127\\.0\\.0\\.1 is already in use; set PORT=.* or stop the other process$`));
      expectOneLine(locked, new RegExp(`^error: data dir ${lockedDir} is in use by another process \\(its database is locked\\); stop it or set DATA_DIR`));
    } finally {
      await stopNpm(first, 'SIGTERM');
    }
    const { adminKey } = JSON.parse(readFileSync(join(dir, 'bootstrap.json'), 'utf8'));
    expect(first.output()).toContain(adminKey);
    expect(first.output()).toContain('SIGTERM: shutting down');
    expect(existsSync(join(dir, 'local-endpoint.json'))).toBe(false);

    const second = await npmStart(dir, port);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/v1/models`, { headers: { authorization: `Bearer ${adminKey}` } });
      expect(res.status).toBe(200);
    } finally {
      await stopNpm(second, 'SIGINT');
    }
    expect(second.output()).toContain('"/v1/models"'); // the request was logged…
    expect(second.output()).not.toContain(adminKey); // …without the key
    expect(second.output()).toContain('SIGINT: shutting down');

    // npm killed outright (OOM killer, `docker kill`): the server notices it was orphaned.
    const third = await npmStart(dir, port);
    await stopNpm(third, 'SIGKILL');
    expect(third.output()).toContain('parent process exited: shutting down');
  }, 120_000);
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

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((name) => join(dir, name));
}

const execFileAsync = promisify(execFile);
const STACK_FRAME = /^\s+at /m;

/** The server entry itself, expected to refuse: exit code and stderr. */
async function server(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  try {
    await execFileAsync(process.execPath, ['--import', 'tsx', 'bin/local-server.ts'], {
      env: { ...process.env, HOST: '127.0.0.1', ...env },
      timeout: 30_000,
    });
    return { code: 0, stderr: '' };
  } catch (err: any) {
    return { code: typeof err.code === 'number' ? err.code : -1, stderr: err.stderr };
  }
}

function expectOneLine(out: { code: number; stderr: string }, pattern: RegExp): void {
  expect(out.code, out.stderr).not.toBe(0);
  expect(out.stderr).not.toMatch(STACK_FRAME);
  expect(out.stderr.trim().split('\n'), out.stderr).toHaveLength(1);
  expect(out.stderr.trim()).toMatch(pattern);
}

interface NpmRun {
  child: ChildProcess;
  port: number;
  output(): string;
}

/** `npm start` as a process manager runs it; resolves once /v1/health answers 200. */
async function npmStart(dataDir: string, port: number): Promise<NpmRun> {
  const child = spawn('npm', ['start', '--silent'], {
    // Logs at INFO, as `npm start` does outside the tests, so a scan of its output sees every line.
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'INFO', PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const run = { child, port, output: () => output };
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && child.exitCode === null) {
    const status = await fetch(`http://127.0.0.1:${port}/v1/health`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.status, () => 0);
    if (status === 200) return run;
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const pid of [...descendantsOf(child.pid!), child.pid!]) process.kill(pid, 'SIGKILL');
  throw new Error(`npm start did not become healthy: ${output}`);
}

/** Sends `signal` to npm alone and waits (liveness bound, not a timing claim) for the port to free and every descendant to go. */
async function stopNpm(run: NpmRun, signal: NodeJS.Signals): Promise<void> {
  const descendants = descendantsOf(run.child.pid!);
  expect(descendants.length).toBeGreaterThan(0);
  run.child.kill(signal);
  const deadline = Date.now() + 20_000;
  let portFree = false;
  let alive = descendants;
  while (Date.now() < deadline) {
    portFree = await fetch(`http://127.0.0.1:${run.port}/v1/health`, { signal: AbortSignal.timeout(2_000) }).then(
      () => false,
      (err) => err?.cause?.code === 'ECONNREFUSED',
    );
    alive = descendants.filter(isRunning);
    if (portFree && alive.length === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const pid of alive) process.kill(pid, 'SIGKILL');
  expect(portFree, `port ${run.port} still answers after ${signal} to npm`).toBe(true);
  expect(alive, `left running after ${signal} to npm`).toEqual([]);
}

function processTable(): Array<{ pid: number; ppid: number; stat: string }> {
  return execFileSync('ps', ['-eo', 'pid=,ppid=,stat='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .map(([pid, ppid, stat]) => ({ pid: Number(pid), ppid: Number(ppid), stat: stat ?? '' }));
}

function descendantsOf(root: number): number[] {
  const table = processTable();
  const found: number[] = [];
  for (let frontier = [root]; frontier.length; ) {
    frontier = table.filter((p) => frontier.includes(p.ppid)).map((p) => p.pid);
    found.push(...frontier);
  }
  return found;
}

function isRunning(pid: number): boolean {
  const entry = processTable().find((p) => p.pid === pid);
  return entry !== undefined && !entry.stat.startsWith('Z');
}
