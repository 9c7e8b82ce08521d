import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONSOLE_SITE } from '../../console/build';
import { startLocalStack, type LocalMount, type LocalStack } from '../../lambdas/local/local-stack';
import { OffsetClock } from './clock';

export interface TestStack extends LocalStack {
  /** fetch against the stack with an optional bearer key and JSON body. */
  call(path: string, options?: { key?: string; method?: string; body?: unknown; headers?: Record<string, string> }): Promise<Response>;
  /** Same, parsed: status, headers and JSON body. */
  json<T = any>(path: string, options?: { key?: string; method?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; headers: Headers; body: T }>;
  adminKey: string;
  /** The stack's clock: `clock.advance(ms)` instead of sleeping. */
  clock: OffsetClock;
  stop(): Promise<void>;
}

/** The real local stack (dynalite, same handlers, the console) in a fresh temp DATA_DIR on a random port. */
export async function startTestStack(env: Record<string, string> = {}, mounts: Record<string, LocalMount> = {}, dataDir?: string): Promise<TestStack> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'keywarden-test-'));
  const clock = new OffsetClock();
  // No background relay or sweep timers: a test moves the clock and runs them itself, and no
  // stray pass shows up in a test's count of store calls.
  const stack = await startLocalStack(
    { env: { ...process.env, HOST: '127.0.0.1', DATA_DIR: dir, ...env }, port: 0, clock, console: CONSOLE_SITE, relayIntervalMs: 0, sweepIntervalMs: 0 },
    mounts,
  );
  const call: TestStack['call'] = (path, options = {}) =>
    fetch(`${stack.url}${path}`, {
      method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      headers: {
        ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
    });
  return Object.assign(stack, {
    call,
    clock,
    async json(path: string, options?: Parameters<TestStack['call']>[1]) {
      const res = await call(path, options);
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
    },
    adminKey: stack.bootstrap.adminKey,
    async stop() {
      await stack.close();
      if (!dataDir) rmSync(dir, { recursive: true, force: true });
    },
  });
}
