/**
 * Hostile doors (issue 19 points 4 and 8), for `npm run hostile`: against its own local server
 * (dynalite, the shipped router, the Teams bot in Bot Framework Emulator mode and the Slack mount),
 *   - browser-shaped requests to every local door — `Origin`, `Sec-Fetch-Site`, `text/plain`, a
 *     DNS-rebinding `Host` — each carrying a forged Emulator click that confirms revoking a key;
 *   - keep-alive connections reused across the server's announced idle time while its event loop
 *     is busy (a burst of 50 concurrent loops, then reuse after idle spells), raw and through fetch.
 * A violation: a browser-shaped request to a door that acts without a key or signature answered
 * other than 4xx, any 5xx, an error not in the documented shape, the target key no longer active, a
 * reply sent to the stand-in connector, or a request left unanswered. It prints nothing itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeAction } from '../bots/core';
import { localBotMounts } from '../bots/local-mounts';
import { VERB } from '../bots/teams/cards/verbs';
import { startLocalStack } from '../lambdas/local/local-stack';
import { ADMIN, executeAction } from '../test/bots/teams/activities';
import { startConnectorStandIn } from '../test/bots/teams/connector-stand-in';

const HINT_S = 3;

interface Answer {
  status: number;
  body: string;
}

/** One raw request (node:http sets no Origin or Sec-Fetch-* of its own, and lets us name the Host). */
function send(base: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const { hostname, port } = new URL(base);
  return new Promise((done) => {
    const req = request({ host: hostname, port, method, path, agent: false, headers: { ...headers, ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => done({ status: res.statusCode ?? 0, body: text }));
      res.on('error', () => done({ status: 0, body: text }));
    });
    req.once('error', (err) => done({ status: 0, body: err.message }));
    req.end(body);
  });
}

function documentedShape(body: string): boolean {
  try {
    return Object.keys(JSON.parse(body).error ?? {}).sort().join(',') === 'code,message,param,type';
  } catch {
    return false;
  }
}

const busy = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

export async function hostileDoors(): Promise<{ figures: Record<string, string | number>; violations: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'keywarden-hostile-doors-'));
  const connector = await startConnectorStandIn();
  const env: NodeJS.ProcessEnv = { ...process.env, HOST: '127.0.0.1', DATA_DIR: dir, KEYWARDEN_ADMINS: 'teams:tenant1:aad-admin', KEYWARDEN_REMINDERS: 'off' };
  delete env.TEAMS_APP_ID;
  delete env.TEAMS_APP_PASSWORD;
  const stack = await startLocalStack({ env, port: 0, requestTimeoutMs: 3_000, keepAlive: { hintSeconds: HINT_S, idleMs: 8_000 } }, localBotMounts);
  const violations: string[] = [];
  const figures: Record<string, string | number> = {};
  const admin = { authorization: `Bearer ${stack.bootstrap.adminKey}`, 'content-type': 'application/json' };
  try {
    const target = JSON.parse((await send(stack.url, 'POST', '/v1/keys', admin, JSON.stringify({ name: 'hostile doors target' }))).body) as { id: string };
    const click = JSON.stringify(
      executeAction({
        serviceUrl: connector.url,
        from: ADMIN,
        verb: VERB.confirm,
        data: { verb: VERB.confirm, action: encodeAction({ v: 1, op: 'revoke', keyId: target.id, origin: 'confirm', iat: Math.floor(Date.now() / 1000) }) },
      }),
    );

    // ── browser-shaped requests to every door ─────────────────────────────────
    const port = new URL(stack.url).port;
    const local = `127.0.0.1:${port}`;
    const shapes: Record<string, Record<string, string>> = {
      'text/plain from another origin': { host: local, 'content-type': 'text/plain', origin: 'http://127.0.0.1:1', 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'no-cors' },
      'JSON with Origin': { host: local, 'content-type': 'application/json', origin: 'http://127.0.0.1:1' },
      'JSON with Sec-Fetch-Site': { host: local, 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' },
      'Origin: null': { host: local, 'content-type': 'application/json', origin: 'null' },
      'text/plain, no browser headers': { host: local, 'content-type': 'text/plain' },
      'form-encoded': { host: local, 'content-type': 'application/x-www-form-urlencoded' },
      'no content type': { host: local },
      'rebinding Host': { host: `rebind.evil.example:${port}`, 'content-type': 'application/json' },
      'rebinding Host, no port': { host: 'rebind.evil.example', 'content-type': 'application/json' },
      'Host 127.0.0.1.evil.example': { host: `127.0.0.1.evil.example:${port}`, 'content-type': 'application/json' },
    };
    // Doors that act with no key and no signature must refuse every shape; the rest must at least never act or 5xx.
    const doors: Array<{ path: string; unauthenticated: boolean }> = [
      { path: '/api/messages', unauthenticated: true },
      { path: '/slack/events', unauthenticated: false },
      { path: '/v1/keys', unauthenticated: false },
      { path: `/v1/keys/${target.id}/revoke`, unauthenticated: false },
      { path: '/v1/console/sessions', unauthenticated: false },
    ];
    let sent = 0;
    for (const door of doors) {
      for (const [shape, headers] of Object.entries(shapes)) {
        const answer = await send(stack.url, 'POST', door.path, headers, click);
        sent += 1;
        const label = `${door.path} (${shape})`;
        if (answer.status === 0) violations.push(`${label}: no answer`);
        else if (answer.status >= 500) violations.push(`${label}: ${answer.status}`);
        else if (door.unauthenticated && (answer.status < 400 || !documentedShape(answer.body))) violations.push(`${label}: answered ${answer.status}, not a refusal in the documented shape`);
        else if (!door.unauthenticated && answer.status < 300) violations.push(`${label}: acted (${answer.status}) without a key`);
      }
    }
    await stack.idle();
    const status = JSON.parse((await send(stack.url, 'GET', `/v1/keys/${target.id}`, admin)).body).status as string;
    if (status !== 'active') violations.push(`the target key is ${status} after browser-shaped requests`);
    if (connector.calls.length > 0) violations.push(`the Emulator door sent ${connector.calls.length} replies to a forged click`);
    figures['browser-shaped requests to local doors'] = sent;
    figures['target key after them'] = status;
    // The Emulator's own shape still acts: the guard refuses browsers, not the tool.
    const legit = await send(stack.url, 'POST', '/api/messages', { host: local, 'content-type': 'application/json' }, click);
    figures['Emulator-shaped confirm'] = legit.status;
    if (legit.status !== 200) violations.push(`the Emulator's own request was answered ${legit.status}`);

    // ── keep-alive reuse across the announced idle time, under load ─────────
    let answered = 0;
    let dropped = 0;
    const create = (name: string) => {
      const body = JSON.stringify({ name });
      return `POST /v1/keys HTTP/1.1\r\nhost: ${local}\r\nauthorization: Bearer ${stack.bootstrap.adminKey}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    };
    // Raw connections: one answer each, then a second request near the end of the announced time with the loop busy past it.
    const raw = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const socket = connect(Number(port), '127.0.0.1');
        socket.setEncoding('utf8');
        socket.on('error', () => undefined);
        let text = '';
        let closed = false;
        socket.on('data', (c: string) => (text += c));
        socket.on('close', () => (closed = true));
        socket.write(create(`raw ${i}`));
        return { socket, answers: () => (text.match(/^HTTP\/1\.1 \d{3}/gm) ?? []).length, closed: () => closed, hint: () => Number(/keep-alive: *timeout=(\d+)/i.exec(text)?.[1] ?? 5) };
      }),
    );
    const waitFor = async (ok: () => boolean, ms: number) => {
      for (const end = Date.now() + ms; !ok() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
    };
    await waitFor(() => raw.every((c) => c.answers() >= 1 || c.closed()), 10_000);
    // As a pool that honours the announced time would: reuse up to about a second before it runs out.
    const hint = raw[0]!.hint();
    figures['announced keep-alive (s)'] = hint;
    await new Promise((r) => setTimeout(r, (hint - 1) * 1000));
    await new Promise((r) => setImmediate(r));
    raw.forEach((c, i) => c.socket.write(create(`raw reused ${i}`)));
    busy(2_500);
    await waitFor(() => raw.every((c) => c.answers() >= 2 || c.closed()), 10_000);
    for (const c of raw) {
      answered += c.answers();
      dropped += 2 - c.answers();
      c.socket.destroy();
    }
    // A fetch pool: bursts of 50 concurrent loops, then the pool reused after idle spells around the hint, the loop busy meanwhile.
    const post = async (name: string) => {
      try {
        const res = await fetch(`${stack.url}/v1/keys`, { method: 'POST', headers: admin, body: JSON.stringify({ name }) });
        await res.text();
        if (res.status >= 500) violations.push(`keep-alive ${name}: ${res.status}`);
        answered += 1;
      } catch (err) {
        dropped += 1;
        violations.push(`keep-alive ${name}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`);
      }
    };
    for (const idle of [500, 1_500, 2_500, 3_500]) {
      await Promise.all(Array.from({ length: 50 }, (_, i) => post(`burst ${idle}.${i}`)));
      await new Promise((r) => setTimeout(r, idle));
      await new Promise((r) => setImmediate(r));
      const reused = Array.from({ length: 20 }, (_, i) => post(`reuse ${idle}.${i}`));
      busy(1_500);
      await Promise.all(reused);
    }
    if (dropped > 0) violations.push(`${dropped} keep-alive requests left unanswered`);
    figures['keep-alive requests answered'] = answered;
    figures['keep-alive requests dropped'] = dropped;
  } finally {
    await stack.close();
    await connector.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { figures, violations };
}
