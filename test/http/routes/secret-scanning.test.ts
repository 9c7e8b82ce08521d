import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFETCH_INTERVAL_MS } from '../../../lambdas/adapters/github-keys';
import { generateKey } from '../../../lambdas/core/key-format';
import type { Principal } from '../../../lambdas/core/principal';
import { UNKNOWN_GITHUB_LOCATION } from '../../../lambdas/http/routes/secret-scanning';
import { expectApiError } from '../../support/api-error';
import { captureOutput } from '../../support/capture';
import { startTestStack, type TestStack } from '../../support/local-stack';

/**
 * GitHub's secret scanning partner reports, through the real stack: a stand-in for GitHub's keys
 * URL on 127.0.0.1 publishes test ECDSA P-256 keys, and reports are signed with them exactly as
 * GitHub signs (SHA-256 over the raw body, base64 DER).
 */
const REPO_URL = 'https://github.com/octocat/Hello-World/blob/12345600b9cbe38a219f39a9941c9319b600c002/foo/bar.txt';

interface Signer {
  id: string;
  privateKey: KeyObject;
  pem: string;
}
function signer(id: string): Signer {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { id, privateKey, pem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

let stack: TestStack;
let keysServer: Server;
let keysHits = 0;
const published: Signer[] = [];
const github = signer('a1b2c3d4e5f6github-test-key-1');
const operator = (): Principal => ({ kind: 'operator', actor: 'cli:secret-scanning-test', projectId: stack.bootstrap.projectId });

beforeAll(async () => {
  published.push(github);
  keysServer = createServer((_req, res) => {
    keysHits++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ public_keys: published.map((s, i) => ({ key_identifier: s.id, key: s.pem, is_current: i === published.length - 1 })) }));
  });
  await new Promise<void>((resolve) => keysServer.listen(0, '127.0.0.1', resolve));
  const { port } = keysServer.address() as AddressInfo;
  stack = await startTestStack({ GITHUB_SECRET_SCANNING_KEYS_URL: `http://127.0.0.1:${port}/meta/public_keys/secret_scanning` });
});
afterAll(async () => {
  await stack?.stop();
  await new Promise<void>((resolve) => keysServer.close(() => resolve()));
});

/** Posts a report as GitHub does: the raw body, signed by `by` (unless told otherwise). */
async function report(body: string | unknown, by: { signer?: Signer; id?: string; signature?: string; unsigned?: boolean } = {}) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const s = by.signer ?? github;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (!by.unsigned) {
    headers['github-public-key-identifier'] = by.id ?? s.id;
    headers['github-public-key-signature'] = by.signature ?? sign('sha256', Buffer.from(raw, 'utf8'), s.privateKey).toString('base64');
  }
  const res = await fetch(`${stack.url}/v1/secret-scanning/github`, { method: 'POST', headers, body: raw });
  const text = await res.text();
  return { status: res.status, text, body: text ? JSON.parse(text) : undefined };
}

const match = (token: string, url = REPO_URL) => ({ token, type: 'keywarden_api_key', url, source: 'content' });

async function liveKey(name: string) {
  const created = await stack.services.keys.create(operator(), { name });
  expect((await stack.json('/v1/me', { key: created.secret })).status).toBe(200);
  return created;
}

async function exposedRecords(keyId: string) {
  const page = await stack.services.audit.query(operator(), { keyId });
  return page.items.filter((r) => r.action === 'key.exposed');
}

describe('POST /v1/secret-scanning/github', () => {
  it('a signed report revokes the live key within the request and answers true_positive, never echoing the key', async () => {
    const leaked = await liveKey('leaked in a repo');
    const output = captureOutput({ loggers: [stack.services.logger] });
    let res: Awaited<ReturnType<typeof report>>;
    try {
      res = await report([match(leaked.secret)]);
    } finally {
      output.stop();
    }
    expect(res.status).toBe(200);
    expect(res.body).toEqual([{ token_hash: createHash('sha256').update(leaked.secret).digest('hex'), token_type: 'keywarden_api_key', label: 'true_positive' }]);
    expect(res.text.includes(leaked.secret)).toBe(false);
    expect(output.text()).toContain('github secret scanning report');
    expect(output.text().includes(leaked.secret)).toBe(false);

    expectApiError(await stack.json('/v1/me', { key: leaked.secret }), 401, 'key_revoked');
    const records = await exposedRecords(leaked.key.id);
    expect(records).toHaveLength(1);
    expect(records[0]!.details).toEqual({ source: 'github', location: REPO_URL });
    expect((await stack.services.store.getKey(leaked.key.id))?.exposure).toMatchObject({ source: 'github', location: REPO_URL });
  });

  it('the same report twice changes nothing more: still true_positive, one key.exposed record', async () => {
    const leaked = await liveKey('reported twice');
    const body = JSON.stringify([match(leaked.secret)]);
    const first = await report(body);
    const revokedAt = (await stack.services.store.getKey(leaked.key.id))?.revokedAt;
    const second = await report(body);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.body).toEqual(first.body);
    expect(first.body[0].label).toBe('true_positive');
    expect(await exposedRecords(leaked.key.id)).toHaveLength(1);
    expect(revokedAt).toBeDefined();
    expect((await stack.services.store.getKey(leaked.key.id))?.revokedAt).toBe(revokedAt);
  });

  it('a random string, a key-shaped string with a bad checksum and an unknown key are false_positive, with the string', async () => {
    const unknown = generateKey();
    const badChecksum = `${unknown.slice(0, -1)}${unknown.endsWith('0') ? '1' : '0'}`;
    const res = await report([match('not-a-key-at-all'), match(badChecksum), match(unknown)]);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(
      ['not-a-key-at-all', badChecksum, unknown].map((token) => ({ token_raw: token, token_type: 'keywarden_api_key', label: 'false_positive' })),
    );
  });

  it('a report mixing keys and look-alikes answers each in order; a URL that is no http(s) is recorded as a fixed text', async () => {
    const leaked = await liveKey('leaked in a package');
    const res = await report([match('nope'), match(leaked.secret, 'javascript:alert(1)')]);
    expect(res.body.map((f: { label: string }) => f.label)).toEqual(['false_positive', 'true_positive']);
    expect((await exposedRecords(leaked.key.id))[0]!.details).toEqual({ source: 'github', location: UNKNOWN_GITHUB_LOCATION });
  });

  describe('reports that change nothing', () => {
    let bystander: Awaited<ReturnType<typeof liveKey>>;
    beforeAll(async () => {
      bystander = await liveKey('bystander');
    });
    const body = () => JSON.stringify([match(bystander.secret)]);

    it('unsigned, half-signed or forged: 401', async () => {
      expectApiError(await report(body(), { unsigned: true }), 401, 'invalid_api_key');
      // Signed by a key GitHub does not publish, under GitHub's identifier.
      expectApiError(await report(body(), { signer: signer(github.id) }), 401, 'invalid_api_key');
      // GitHub's signature over another body.
      const other = sign('sha256', Buffer.from('[]'), github.privateKey).toString('base64');
      expectApiError(await report(body(), { signature: other }), 401, 'invalid_api_key');
      expectApiError(await report(body(), { signature: 'not base64 at all!' }), 401, 'invalid_api_key');
      // The signed bytes, re-serialised (a space added): the signature is over the raw body.
      const signedRaw = body();
      const signature = sign('sha256', Buffer.from(signedRaw), github.privateKey).toString('base64');
      expectApiError(await report(signedRaw.replace(',', ', '), { signature }), 401, 'invalid_api_key');
      const half = await fetch(`${stack.url}/v1/secret-scanning/github`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'github-public-key-signature': signature },
        body: signedRaw,
      });
      expect(half.status).toBe(401);
    });

    it('oversized (over 1 MB: 413; over 1,000 items: 400) and malformed (400) reports, signed or not', async () => {
      const many = Array.from({ length: 1_001 }, () => match(bystander.secret));
      expectApiError(await report(many), 400, 'invalid_request_error');
      const big = JSON.stringify([{ ...match(bystander.secret), url: `https://github.com/${'a'.repeat(1_100_000)}` }]);
      expect((await report(big)).status).toBe(413);
      for (const malformed of ['[{"token":', '{"token":"x"}', JSON.stringify([{ ...match(bystander.secret), extra: 1 }]), JSON.stringify([{ token: bystander.secret }]), '']) {
        expectApiError(await report(malformed), 400, 'invalid_request_error');
      }
    });

    it('an unknown identifier is 401 and asks GitHub again at most once a minute; a key GitHub starts publishing is then taken', async () => {
      stack.clock.advance(REFETCH_INTERVAL_MS + 1_000);
      const before = keysHits;
      const rotated = signer('f9e8d7c6-rotated-key');
      expectApiError(await report(body(), { signer: rotated }), 401, 'invalid_api_key');
      expect(keysHits).toBe(before + 1);
      for (let i = 0; i < 5; i++) expectApiError(await report(body(), { signer: signer(`forged-${i}`) }), 401, 'invalid_api_key');
      expect(keysHits).toBe(before + 1);
      // GitHub rotates: the new key is published; within the minute it is not asked for yet.
      published.push(rotated);
      expectApiError(await report('[]', { signer: rotated }), 401, 'invalid_api_key');
      expect(keysHits).toBe(before + 1);
      stack.clock.advance(REFETCH_INTERVAL_MS);
      const accepted = await report('[]', { signer: rotated });
      expect({ status: accepted.status, body: accepted.body }).toEqual({ status: 200, body: [] });
      expect(keysHits).toBe(before + 2);
      // Known keys are served from the cache.
      expect((await report('[]')).status).toBe(200);
      expect(keysHits).toBe(before + 2);
    });

    it('left the bystander key live and unexposed', async () => {
      expect((await stack.json('/v1/me', { key: bystander.secret })).status).toBe(200);
      expect(await exposedRecords(bystander.key.id)).toEqual([]);
      expect((await stack.services.store.getKey(bystander.key.id))?.exposure).toBeUndefined();
    });
  });
});
