import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../lambdas/local/local-stack';
import { OffsetClock } from '../support/clock';

/**
 * `npm start` runs the rotations' schedule beside the event sweep, as AWS runs its rotations
 * function every 5 minutes: an old key idle past `revokeWhenIdle` ends without anyone running
 * `keywarden reminders run`. The local server itself, with its own sweep timer (short here).
 */
const MIN = 60_000;
let dir: string;
let stack: LocalStack;
const clock = new OffsetClock();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'keywarden-timer-'));
  stack = await startLocalStack({ env: { ...process.env, HOST: '127.0.0.1', DATA_DIR: dir }, port: 0, clock, relayIntervalMs: 0, sweepIntervalMs: 100 });
}, 60_000);
afterAll(async () => {
  await stack?.close();
  rmSync(dir, { recursive: true, force: true });
});

const call = (path: string, key: string, body?: unknown) =>
  fetch(`${stack.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

it('revokes an old key idle past revokeWhenIdle on the server’s own schedule', async () => {
  const admin = stack.bootstrap.adminKey;
  const created = (await (await call('/v1/keys', admin, { name: 'timer', type: 'viewer' })).json()) as { id: string; key: string };
  const rotated = await call(`/v1/keys/${created.id}/rotate`, admin, { overlap: '2h', revokeWhenIdle: '30m' });
  expect(rotated.status).toBe(201);
  expect((await call('/v1/models', created.key)).status).toBe(200);
  clock.advance(31 * MIN);
  // Watched through the admin key: a call with the old key itself would be a use, and a use the
  // sweep read before it looked would leave the key not idle at all (each admission stamps lastUsedAt).
  let status = '';
  for (let i = 0; i < 300 && status !== 'revoked'; i++) {
    await new Promise((r) => setTimeout(r, 100));
    status = ((await (await call(`/v1/keys/${created.id}`, admin)).json()) as { status: string }).status;
  }
  expect(status).toBe('revoked');
  expect((await call('/v1/models', created.key)).status).toBe(401);
}, 60_000);
