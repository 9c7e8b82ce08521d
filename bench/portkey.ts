import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Target } from './latency';

/**
 * The open-source Portkey gateway (`@portkey-ai/gateway`, a pinned dev dependency) as its own
 * process on 127.0.0.1, for the bench's side-by-side rows (issue 23 point 8) and their test.
 *
 * It is started from the package's own bin, `build/start-server.js` (`--port=0 --headless`: no
 * log UI), under plain `node`; it needs no install script (its postinstall only runs
 * patch-package, and the published package carries no patches). bench/portkey-loopback.mjs keeps
 * it on loopback and reports the port the kernel gave it.
 */
export interface PortkeyGateway {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The address it listens on, as the process itself reported it. */
  host: string;
  pid: number;
  close(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 20_000;

export function portkeyEntry(): string {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('@portkey-ai/gateway/package.json');
  const { bin } = require('@portkey-ai/gateway/package.json') as { bin: string | Record<string, string> };
  const relative = typeof bin === 'string' ? bin : Object.values(bin)[0]!;
  return join(dirname(manifest), relative);
}

export async function startPortkey(): Promise<PortkeyGateway> {
  const preload = fileURLToPath(new URL('./portkey-loopback.mjs', import.meta.url));
  const child: ChildProcess = spawn(process.execPath, ['--import', preload, portkeyEntry(), '--port=0', '--headless'], {
    // NODE_ENV=production as a deployment would run it (no dev-only routes); no Redis, no proxy.
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = once(child, 'exit').then(([code, signal]) => {
    throw new Error(`Portkey gateway exited before listening (code ${code}, signal ${signal}): ${stderr.trim()}`);
  });
  const listening = new Promise<{ host: string; port: number }>((resolve) => {
    child.on('message', (message: { portkeyListening?: { host: string; port: number } }) => {
      if (message.portkeyListening) resolve(message.portkeyListening);
    });
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Portkey gateway did not listen within ${STARTUP_TIMEOUT_MS} ms: ${stderr.trim()}`)), STARTUP_TIMEOUT_MS);
  });
  let address: { host: string; port: number };
  try {
    address = await Promise.race([listening, exited, timeout]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  } finally {
    clearTimeout(timer);
    exited.catch(() => {});
  }
  return {
    url: `http://127.0.0.1:${address.port}`,
    host: address.host,
    pid: child.pid!,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = once(child, 'exit');
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await gone;
      clearTimeout(kill);
    },
  };
}

/**
 * A call to Portkey's OpenAI-compatible `POST /v1/responses`, forwarded to `upstreamBase`
 * (`http://127.0.0.1:<port>/v1`) as the `openai` provider: `x-portkey-provider` names it, the
 * bearer token is the provider key it forwards, and `x-portkey-custom-host` replaces OpenAI's base
 * URL (its `getFullURL` takes the custom host before the provider's `getBaseURL`, and loopback is
 * among its default trusted custom hosts).
 */
export function portkeyTarget(gatewayUrl: string, upstreamBase: string, upstreamKey: string, body: string): Target {
  return {
    url: `${gatewayUrl}/v1/responses`,
    headers: {
      authorization: `Bearer ${upstreamKey}`,
      'content-type': 'application/json',
      'x-portkey-provider': 'openai',
      'x-portkey-custom-host': upstreamBase,
    },
    body,
  };
}
