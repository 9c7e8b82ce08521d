import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { checkWebhookUrl, forbiddenAddress, sendWebhook, type Resolver } from '../../lambdas/adapters/webhook-sender';

/**
 * Webhook deliveries (issue 22 point 3): signed so the `standardwebhooks` package verifies them,
 * and never sent where a webhook must not reach — loopback, private networks, cloud metadata —
 * whether the URL names such an address, a name resolves to one (checked again at connect time:
 * DNS rebinding), or a receiver redirects there. Receivers are real servers on 127.0.0.1.
 */
const SECRET = `whsec_${Buffer.from('a test signing secret, 32 bytes!').toString('base64')}`;
const LOCAL = { allowLoopback: true };
const STRICT = { allowLoopback: false };
const servers: Server[] = [];

async function receiver(handle: (req: IncomingMessage, body: string, res: ServerResponse) => void): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c)).on('end', () => {
      hits++;
      handle(req, Buffer.concat(parts).toString('utf8'), res);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, hits: () => hits };
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

const delivery = (url: string) => ({ url, secret: SECRET, id: 'evt_01JTEST', payload: JSON.stringify({ type: 'key.revoked', data: { keyId: 'key_x' } }), at: new Date() });

describe('where a webhook may point', () => {
  it('https to a name or a public address; never loopback, private, link-local (metadata), mapped or credentialed; http only to loopback, only locally', () => {
    const ok = (url: string, policy = STRICT) => checkWebhookUrl(url, policy).ok;
    expect(ok('https://hooks.example.com/keywarden')).toBe(true);
    expect(ok('https://8.8.8.8/hook')).toBe(true);
    for (const url of [
      'http://hooks.example.com/keywarden',
      'https://127.0.0.1/hook',
      'https://localhost/hook',
      'https://[::1]/hook',
      'https://169.254.169.254/latest/meta-data/',
      'https://[fd00:ec2::254]/',
      'https://10.0.0.5/hook',
      'https://192.168.1.1/hook',
      'https://100.64.0.1/hook',
      'https://[::ffff:10.0.0.1]/hook',
      'https://0.0.0.0/hook',
      'https://198.18.0.1/hook',
      'https://192.0.2.10/hook',
      'https://203.0.113.7/hook',
      'https://[2001:db8::1]/hook',
      'https://[fec0::1]/hook',
      'https://8.8.8.8:0/hook',
      'https://user:pass@hooks.example.com/',
      'ftp://hooks.example.com/',
      'not a url',
    ]) {
      expect(ok(url), url).toBe(false);
    }
    expect(ok('http://127.0.0.1:9000/hook', LOCAL)).toBe(true);
    expect(ok('http://localhost:9000/hook', LOCAL)).toBe(true);
    // Loopback allowance is for loopback only.
    expect(ok('http://10.0.0.5/hook', LOCAL)).toBe(false);
    expect(forbiddenAddress('169.254.169.254', LOCAL)).toBe('linkLocal address');
  });
});

describe('a delivery', () => {
  it('is signed per Standard Webhooks: the standardwebhooks package verifies it, and a tampered body fails', async () => {
    let seen: { body: string; headers: Record<string, string> } | undefined;
    const target = await receiver((req, body, res) => {
      seen = { body, headers: req.headers as Record<string, string> };
      res.writeHead(204).end();
    });
    const sent = delivery(target.url);
    const result = await sendWebhook(sent, LOCAL);
    expect(result).toMatchObject({ ok: true, status: 204 });
    expect(seen!.headers['webhook-id']).toBe('evt_01JTEST');
    expect(new Webhook(SECRET).verify(seen!.body, seen!.headers)).toEqual(JSON.parse(sent.payload));
    expect(() => new Webhook(SECRET).verify(seen!.body.replace('revoked', 'created'), seen!.headers)).toThrow();
  });

  it('to a name resolving to a private address is refused at connect time (DNS rebinding), nothing sent', async () => {
    const target = await receiver((_req, _body, res) => res.writeHead(200).end());
    const port = new URL(target.url).port;
    // The name resolves to a private address now, whatever it resolved to when it was registered.
    const rebound: Resolver = async () => [{ address: '10.0.0.5', family: 4 }];
    const viaPrivate = await sendWebhook(delivery(`https://hooks.example.com:${port}/hook`), STRICT, rebound);
    expect(viaPrivate).toMatchObject({ ok: false, reason: expect.stringContaining('refused: hooks.example.com resolves to a private address') });
    // …or to this very host: refused too, without the local allowance.
    const toSelf: Resolver = async () => [{ address: '127.0.0.1', family: 4 }];
    expect(await sendWebhook(delivery(`https://hooks.example.com:${port}/hook`), STRICT, toSelf)).toMatchObject({ ok: false, reason: expect.stringContaining('loopback address') });
    // One public and one private answer: refused (the connection could take either).
    const mixed: Resolver = async () => [{ address: '8.8.8.8', family: 4 }, { address: '169.254.169.254', family: 4 }];
    expect(await sendWebhook(delivery('https://hooks.example.com/hook'), STRICT, mixed)).toMatchObject({ ok: false, reason: expect.stringContaining('linkLocal') });
    expect(target.hits()).toBe(0);
  });

  it('to the metadata address or loopback is refused before connecting', async () => {
    expect(await sendWebhook(delivery('https://169.254.169.254/latest/meta-data/'), STRICT)).toMatchObject({ ok: false, reason: 'refused: a linkLocal address' });
    const target = await receiver((_req, _body, res) => res.writeHead(200).end());
    expect(await sendWebhook(delivery(target.url), STRICT)).toMatchObject({ ok: false, reason: 'refused: a loopback address' });
    expect(target.hits()).toBe(0);
  });

  it('never follows a redirect: a 3xx is a failed attempt, and its target gets nothing', async () => {
    const elsewhere = await receiver((_req, _body, res) => res.writeHead(200).end());
    const redirecting = await receiver((_req, _body, res) => res.writeHead(307, { location: elsewhere.url }).end());
    expect(await sendWebhook(delivery(redirecting.url), LOCAL)).toMatchObject({ ok: false, status: 307, reason: 'redirect 307 (not followed)' });
    expect(elsewhere.hits()).toBe(0);
  });

  it('reads a receiver’s answer only up to a bound, and a 5xx is a failed attempt', async () => {
    const chatty = await receiver((_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('x'.repeat(4 * 1024 * 1024));
    });
    expect(await sendWebhook(delivery(chatty.url), LOCAL)).toMatchObject({ ok: true, status: 200 });
    const failing = await receiver((_req, _body, res) => res.writeHead(503).end());
    expect(await sendWebhook(delivery(failing.url), LOCAL)).toMatchObject({ ok: false, status: 503, reason: 'answered 503' });
  });
});
