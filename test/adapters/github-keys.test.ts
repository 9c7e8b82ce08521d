import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GithubKeysFetcher, MAX_DOCUMENT_BYTES, REFETCH_INTERVAL_MS } from '../../lambdas/adapters/github-keys';
import { KeywardenError } from '../../lambdas/core/errors';
import { OffsetClock } from '../support/clock';

/**
 * GitHub's secret scanning keys, fetched from a stand-in on 127.0.0.1 whose answer each test
 * sets: the fetch is bounded (time, size, no redirect), keeps only P-256 keys, and a GitHub that
 * cannot be reached is a retryable 503 — never an "unknown key" that would refuse a genuine report.
 */
const pem = (curve: string) => generateKeyPairSync('ec', { namedCurve: curve }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
const P256 = pem('prime256v1');

let server: Server;
let url: string;
let hits = 0;
let answer: (req: IncomingMessage, res: ServerResponse) => void;
const publish = (keys: Array<{ key_identifier: string; key: string }>) => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ public_keys: keys.map((k) => ({ ...k, is_current: true })) }));
};

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    answer(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/meta/public_keys/secret_scanning`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  hits = 0;
});

async function unavailable(p: Promise<unknown>): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KeywardenError);
  expect((err as KeywardenError).code).toBe('service_unavailable');
  expect((err as KeywardenError).context.retryAfterSeconds).toBe(60);
}

describe('GithubKeysFetcher', () => {
  it('keeps P-256 keys only, by identifier, and serves them from the cache', async () => {
    answer = publish([
      { key_identifier: 'p256', key: P256 },
      { key_identifier: 'p384', key: pem('secp384r1') },
      { key_identifier: 'junk', key: 'not a pem' },
    ]);
    const keys = new GithubKeysFetcher(url, new OffsetClock());
    expect(await keys.publicKey('p256')).toBe(P256);
    expect(await keys.publicKey('p256')).toBe(P256);
    expect(hits).toBe(1);
    // Fetched within the minute: unknown without asking again.
    expect(await keys.publicKey('p384')).toBeUndefined();
    expect(await keys.publicKey('junk')).toBeUndefined();
    expect(hits).toBe(1);
  });

  it('concurrent reports naming an unknown identifier share one fetch', async () => {
    answer = publish([{ key_identifier: 'p256', key: P256 }]);
    const keys = new GithubKeysFetcher(url, new OffsetClock());
    const found = await Promise.all([keys.publicKey('p256'), keys.publicKey('other'), keys.publicKey('p256')]);
    expect(found).toEqual([P256, undefined, P256]);
    expect(hits).toBe(1);
  });

  it('a failing GitHub is a 503 (retry), asked again only after a minute', async () => {
    const clock = new OffsetClock();
    const keys = new GithubKeysFetcher(url, clock);
    answer = (_req, res) => res.writeHead(500).end();
    await unavailable(keys.publicKey('p256'));
    await unavailable(keys.publicKey('p256'));
    expect(hits).toBe(1);
    answer = publish([{ key_identifier: 'p256', key: P256 }]);
    clock.advance(REFETCH_INTERVAL_MS);
    expect(await keys.publicKey('p256')).toBe(P256);
    expect(hits).toBe(2);
  });

  it('an oversized document, a wrong shape, a redirect or a stalled answer is refused (503), not trusted', async () => {
    const cases: Array<(req: IncomingMessage, res: ServerResponse) => void> = [
      (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(`{"public_keys":[],"pad":"${'x'.repeat(MAX_DOCUMENT_BYTES)}"}`),
      (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[]}'),
      (_req, res) => res.writeHead(302, { location: `${url}?again` }).end(),
      (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).write('{"public_keys":['),
    ];
    for (const c of cases) {
      answer = c;
      await unavailable(new GithubKeysFetcher(url, new OffsetClock(), 300).publicKey('p256'));
    }
    expect(hits).toBe(cases.length);
  });
});
