/**
 * Issue 22 point 3, "kill -9 between a key change and its event delivery: the event is delivered
 * after restart". A second process revokes a key through the real store; a DynamoDB proxy between
 * it and dynalite SIGKILLs it at the request the test names — the one failure a real component
 * cannot be made to show on cue. Killed after the change landed (at its confirmation), the event
 * is delivered by the relay once the grace period has passed; killed before the change landed,
 * nothing is announced and the pending event is dropped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PENDING_GRACE_MS } from '../../../lambdas/core/events';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { startReceiver } from '../../support/webhook-receiver';

let stack: TestStack;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let secret: string;

beforeAll(async () => {
  stack = await startTestStack({ KEYWARDEN_WEBHOOKS_ALLOW_LOOPBACK: '1' }, {}, undefined);
  receiver = await startReceiver();
  const hook = await stack.json('/v1/webhooks', { key: stack.adminKey, body: { url: receiver.url, events: ['key.revoked'] } });
  expect(hook.status).toBe(201);
  secret = hook.body.secret;
});
afterAll(async () => {
  await receiver?.close();
  await stack?.stop();
});

/** A DynamoDB proxy in front of the stack's dynalite that kills `child()` at the first request `fatal` picks, which it never forwards. */
async function killingProxy(fatal: (target: string, body: string) => boolean, child: () => ChildProcess | undefined): Promise<{ endpoint: string; server: Server; killedAt: () => string | undefined }> {
  const upstream = new URL(stack.dataDir.endpoint()!.dynamodbEndpoint);
  let killedAt: string | undefined;
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c)).on('end', () => {
      const body = Buffer.concat(parts);
      const target = String(req.headers['x-amz-target'] ?? '');
      if (!killedAt && fatal(target, body.toString('utf8'))) {
        killedAt = `${target} ${body.toString('utf8').slice(0, 200)}`;
        child()?.kill('SIGKILL');
        return;
      }
      const out = request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 500, answer.headers);
        answer.pipe(res);
      });
      out.on('error', () => res.destroy());
      out.end(body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, killedAt: () => killedAt };
}

/** Runs the writer against the proxy until it is killed (or, if the test's pick never comes, finishes). */
async function revokeInAnotherProcess(keyId: string, fatal: (target: string, body: string) => boolean) {
  let child: ChildProcess | undefined;
  const proxy = await killingProxy(fatal, () => child);
  child = spawn(process.execPath, ['--import', 'tsx', 'test/support/event-writer.ts', stack.dataDir.path, proxy.endpoint, stack.bootstrap.projectId, keyId], { stdio: ['ignore', 'pipe', 'inherit'] });
  let said = '';
  child.stdout!.on('data', (c: Buffer) => (said += c.toString()));
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  proxy.server.closeAllConnections();
  proxy.server.close();
  return { code, signal, said, killedAt: proxy.killedAt() };
}

async function newKey(name: string): Promise<string> {
  const res = await stack.json('/v1/keys', { key: stack.adminKey, body: { name, scopes: ['models:read'] } });
  expect(res.status).toBe(201);
  return res.body.id;
}

const revokedEventsFor = (keyId: string) => receiver.verified(secret).filter((e) => e.type === 'key.revoked' && e.data.key.id === keyId);

describe('the outbox survives kill -9', () => {
  it('killed after the change landed, before confirming it: the event is delivered once the grace period has passed', async () => {
    const keyId = await newKey('crash after the change');
    const run = await revokeInAnotherProcess(keyId, (target, body) => target.endsWith('.UpdateItem') && body.includes(':ready'));
    expect(run).toMatchObject({ signal: 'SIGKILL', said: '' });
    expect(run.killedAt).toContain('UpdateItem');
    // The change landed; its event is pending, and nothing was told yet.
    expect((await stack.json(`/v1/keys/${keyId}`, { key: stack.adminKey })).body.status).toBe('revoked');
    await stack.services.relay.runDue();
    await stack.idle();
    expect(revokedEventsFor(keyId)).toEqual([]);
    // After the grace period, the relay finds the change's marker on the key and delivers.
    stack.clock.advance(PENDING_GRACE_MS + 1_000);
    await stack.services.relay.runDue();
    await stack.idle();
    const events = revokedEventsFor(keyId);
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toMatchObject({ actor: { id: 'cli:crash-test' }, key: { id: keyId, name: 'crash after the change' } });
    // Delivered once: later passes send nothing more, and the marker is gone from the key.
    stack.clock.advance(PENDING_GRACE_MS);
    await stack.services.relay.runDue();
    expect(receiver.received.filter((r) => r.body.includes(keyId))).toHaveLength(1);
    expect(await stack.services.store.keyEventMarker(keyId, events[0]!.id)).toBe('unmarked');
  });

  it('killed before the change landed: nothing is announced, and the pending event is dropped', async () => {
    const keyId = await newKey('crash before the change');
    const run = await revokeInAnotherProcess(keyId, (target, body) => target.endsWith('.UpdateItem') && body.includes(':revoked') && body.includes(keyId));
    expect(run.signal).toBe('SIGKILL');
    expect((await stack.json(`/v1/keys/${keyId}`, { key: stack.adminKey })).body.status).toBe('active');
    const pending = (await stack.services.store.listEvents(stack.bootstrap.projectId, { limit: 50 })).items.filter((e) => e.event.data.key?.id === keyId && e.event.type === 'key.revoked');
    expect(pending).toHaveLength(1);
    expect(pending[0]!.state).toBe('pending');
    stack.clock.advance(PENDING_GRACE_MS + 1_000);
    // (This pass, or the stack's own relay timer if it came first.)
    await stack.services.relay.runDue();
    await stack.idle();
    expect(await stack.services.store.getEvent(pending[0]!.event.id)).toBeUndefined();
    expect(revokedEventsFor(keyId)).toEqual([]);
  });
});
