import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../../lambdas/http/api';
import { fromProxyEvent } from '../../../lambdas/http/lambda-adapter';
import { checksum, generateKey } from '../../../lambdas/core/key-format';
import { KeywardenClient } from '../../../bots/core/keywarden-client';
import { resolveKey } from '../../../bots/core/key-resolver';
import { KeywardenApi } from '../../../lambdas/http/client';
import { expectApiError } from '../../support/api-error';
import { startTestStack, type TestStack } from '../../support/local-stack';

/**
 * Issue 19 point 5: a raw key never travels in a URL. Searching by a full key goes in the body of
 * POST /v1/keys/search; a key in any query string is a 400 that says where to send it and, having
 * already reached access logs, is treated as exposed (revoked if live) like a key in an id slot.
 */
let stack: TestStack;
let other: { adminKey: string };

beforeAll(async () => {
  stack = await startTestStack();
  const { operator, keys } = stack.services;
  const account = await operator.createAccount({ name: 'Other customer', apiAccess: true, credits: 10 });
  const { project } = await operator.createProject({ accountId: account.id, name: 'Other project', actor: 'test' });
  other = { adminKey: (await keys.create({ kind: 'operator', actor: 'test', projectId: project.id }, { name: 'other admin' })).secret };
});
afterAll(async () => stack?.stop());

async function liveKey(name: string): Promise<{ id: string; key: string }> {
  const res = await stack.json('/v1/keys', { key: stack.adminKey, body: { name } });
  expect(res.status).toBe(201);
  return res.body;
}

const statusOf = async (key: string) => (await stack.json('/v1/models', { key })).body?.error?.code ?? 'active';

describe('POST /v1/keys/search', () => {
  it('finds a key by its full value, a name or a start, in the body; never echoes the key; other projects see nothing', async () => {
    const mine = await liveKey('searched by body');
    const res = await stack.call('/v1/keys/search', { key: stack.adminKey, body: { search: mine.key } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(JSON.parse(text).data.map((k: { id: string }) => k.id)).toEqual([mine.id]);
    expect(text).not.toContain(mine.key);
    const byName = await stack.json('/v1/keys/search', { key: stack.adminKey, body: { search: 'searched by body', status: 'active', limit: 5 } });
    expect(byName.body.data.map((k: { id: string }) => k.id)).toEqual([mine.id]);
    const theirs = await stack.json('/v1/keys/search', { key: other.adminKey, body: { search: mine.key } });
    expect(theirs.body.data).toEqual([]);
    expect(await statusOf(mine.key)).toBe('active'); // the body is where a key belongs: nothing exposed
  });

  it('refuses a missing or empty search, unknown fields and a cursor of another listing', async () => {
    expectApiError(await stack.json('/v1/keys/search', { key: stack.adminKey, body: {} }), 400, 'invalid_request_error');
    expectApiError(await stack.json('/v1/keys/search', { key: stack.adminKey, body: { search: '' } }), 400, 'invalid_request_error');
    expectApiError(await stack.json('/v1/keys/search', { key: stack.adminKey, body: { search: 'x', color: 'red' } }), 400, 'invalid_request_error');
    expectApiError(await stack.json('/v1/keys/search', { key: stack.adminKey, body: { search: 'x', cursor: 'forged.cursor' } }), 400, 'invalid_request_error');
    expectApiError(await stack.json('/v1/keys/search', { body: { search: 'x' } }), 401, 'invalid_api_key');
  });
});

describe('a key in a URL', () => {
  it('GET /v1/keys?search=<live key> is a 400 that points at POST /v1/keys/search, and the key is revoked as exposed', async () => {
    const leaked = await liveKey('searched in a url');
    const res = await stack.call(`/v1/keys?search=${encodeURIComponent(leaked.key)}`, { key: stack.adminKey });
    const text = await res.text();
    expect(text).not.toContain(leaked.key);
    const body = JSON.parse(text);
    expectApiError({ status: res.status, body }, 400, 'invalid_request_error');
    expect(body.error.param).toBe('search');
    expect(body.error.message).toContain('POST /v1/keys/search');
    expect(await statusOf(leaked.key)).toBe('key_revoked');
    const audit = await stack.json(`/v1/audit?keyId=${leaked.id}`, { key: stack.adminKey });
    expect(audit.body.data[0]).toMatchObject({ action: 'key.revoke', outcome: 'success', actor: 'system', keyId: leaked.id, reason: expect.stringContaining('in a URL') });
    expect(JSON.stringify(audit.body)).not.toContain(leaked.key);
  });

  it('any query string of any route, a parameter name included, unauthenticated or not: 400, exposed', async () => {
    for (const url of [
      (k: string) => `/v1/audit?since=${k}`,
      (k: string) => `/v1/usage?cursor=${k}`,
      (k: string) => `/v1/health?token=${k}`,
      (k: string) => `/v1/models?${k}`,
      (k: string) => `/v1/no-such-route?api_key=${k}`,
      (k: string) => `/v1/keys?search=${encodeURIComponent(`my key is ${k}`)}`,
      (k: string) => `/v1/keys?search=${encodeURIComponent(encodeURIComponent(k).replace(/^a/, '%61'))}`,
      // A repeated parameter: the key is in the log whichever value the handler would read.
      (k: string) => `/v1/keys?search=${k}&search=harmless`,
      (k: string) => `/v1/audit?keyId=key_0000000000000000000000&keyId=${k}`,
    ]) {
      const leaked = await liveKey('in another query string');
      const res = await stack.call(url(leaked.key), url(leaked.key).includes('health') ? {} : { key: stack.adminKey });
      const text = await res.text();
      expect(res.status, url('KEY')).toBe(400);
      expect(text).not.toContain(leaked.key);
      expect(await statusOf(leaked.key), url('KEY')).toBe('key_revoked');
    }
  });

  it('a key disguised in a query string (a zero-width character, escaped or not, a line break, an entity inside it) is a 400 and revoked like a plain one', async () => {
    const inside = (k: string, mark: string) => `${k.slice(0, 12)}${mark}${k.slice(12)}`;
    for (const url of [
      (k: string) => `/v1/keys?search=${inside(k, '\u200b')}`,
      (k: string) => `/v1/keys?search=${inside(k, '%E2%80%8B')}`,
      (k: string) => `/v1/keys?search=${inside(k, '%0A')}`,
      (k: string) => `/v1/keys?search=${inside(k, '%0D%0A%20%20')}`,
      (k: string) => `/v1/audit?actor=${inside(k, '%C2%AD')}`,
      (k: string) => `/v1/keys?search=${encodeURIComponent(inside(k, '&#8203;'))}`,
      (k: string) => `/v1/keys?search=${encodeURIComponent(`_${k}_`)}`,
      (k: string) => `/v1/keys?search=${encodeURIComponent(inside(k, '%E2%80%8B'))}`,
      (k: string) => `/v1/models?${inside(k, '%E2%81%A0')}`,
    ]) {
      const leaked = await liveKey('disguised in a query string');
      const res = await stack.call(url(leaked.key), { key: stack.adminKey });
      const text = await res.text();
      expect(res.status, url('KEY')).toBe(400);
      expect(text).not.toContain(leaked.key.slice(12));
      expect(await statusOf(leaked.key), url('KEY')).toBe('key_revoked');
    }
  });

  it('a key disguised in an id slot is answered as a key (and revoked); in a path no route serves, exposed too', async () => {
    const slot = await liveKey('disguised in an id slot');
    const res = await stack.json(`/v1/keys/${slot.key.slice(0, 12)}%E2%80%8B${slot.key.slice(12)}`, { key: stack.adminKey });
    expectApiError(res, 400, 'invalid_request_error');
    expect(res.body.error.message).toMatch(/is an API key, not an id/);
    expect(JSON.stringify(res.body)).not.toContain(slot.key.slice(12));
    expect(await statusOf(slot.key)).toBe('key_revoked');
    const unrouted = await liveKey('disguised in a path');
    const bad = await stack.call(`/v1/${unrouted.key.slice(0, 12)}%0A${unrouted.key.slice(12)}`, { key: stack.adminKey });
    expect(bad.status).toBe(400);
    expect(await bad.text()).not.toContain(unrouted.key.slice(12));
    expect(await statusOf(unrouted.key)).toBe('key_revoked');
  });

  it('through the Lambda adapter, every value of a repeated parameter is read (API Gateway keeps only the last in queryStringParameters)', async () => {
    const leaked = await liveKey('repeated in a proxy event');
    const req = fromProxyEvent({
      httpMethod: 'GET',
      path: '/v1/keys',
      headers: { Authorization: `Bearer ${stack.adminKey}` },
      queryStringParameters: { search: 'harmless' },
      multiValueQueryStringParameters: { search: [leaked.key, 'harmless'] },
      body: null,
      isBase64Encoded: false,
    } as unknown as APIGatewayProxyEvent);
    const res = await createApi(stack.services)(req);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res)).not.toContain(leaked.key);
    expect(await statusOf(leaked.key)).toBe('key_revoked');
  });

  it('a model call with a key in its URL is refused before any charge, with the billing evidence every model-call answer carries', async () => {
    const leaked = await liveKey('model call url');
    const res = await stack.call(`/v1/chat/completions?api_key=${leaked.key}`, { key: stack.adminKey, body: { model: 'archibot', messages: [{ role: 'user', content: 'hi' }] } });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-archibot-credits-charged')).toBe('0');
    expect(await res.text()).not.toContain(leaked.key);
    expect(await statusOf(leaked.key)).toBe('key_revoked');
  });

  it('a key in a path no route serves is exposed too (a key pasted where a URL was wanted)', async () => {
    for (const path of [(k: string) => `/v1/${k}`, (k: string) => `/v1/keys/x/${k}/y`, (k: string) => `/v1/${encodeURIComponent(`see ${k}`)}`]) {
      const leaked = await liveKey('in a path');
      const res = await stack.call(path(leaked.key), { key: stack.adminKey });
      const text = await res.text();
      expect(res.status, path('KEY')).toBe(400);
      expect(text).not.toContain(leaked.key);
      expect(await statusOf(leaked.key), path('KEY')).toBe('key_revoked');
    }
  });

  it('a key-shaped search term that fails the checksum (a typo) is refused too, and nothing is revoked', async () => {
    const live = await liveKey('typo target');
    const typo = `${live.key.slice(0, -1)}${live.key.endsWith('A') ? 'B' : 'A'}`;
    const truncated = live.key.slice(0, 24);
    for (const term of [typo, truncated, `${typo.slice(0, 12)}\u200b${typo.slice(12)}`]) {
      const res = await stack.json(`/v1/keys?search=${encodeURIComponent(term)}`, { key: stack.adminKey });
      expectApiError(res, 400, 'invalid_request_error');
      expect(res.body.error.message).toContain('POST /v1/keys/search');
      expect(JSON.stringify(res.body)).not.toContain(term);
    }
    expect(await statusOf(live.key)).toBe('active');
    // Names and visible starts still search in the URL.
    const byStart = await stack.json(`/v1/keys?search=${encodeURIComponent(live.key.slice(0, 11))}`, { key: stack.adminKey });
    expect(byStart.body.data.map((k: { id: string }) => k.id)).toContain(live.id);
    const byName = await stack.json('/v1/keys?search=typo%20target', { key: stack.adminKey });
    expect(byName.body.data.map((k: { id: string }) => k.id)).toEqual([live.id]);
  });

  it('a look-alike that is not a key (checksum fails) in other query strings revokes nothing and is not a 5xx', async () => {
    const body = `archie_${'Q'.repeat(22)}`;
    const lookAlike = `${body}${checksum(body) === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA'}`;
    const res = await stack.json(`/v1/audit?actor=${lookAlike}`, { key: stack.adminKey });
    expect(res.status).toBeLessThan(500);
  });

  it('the bots resolve a whole key, or a key with a typo, through a body: no URL they send carries either', async () => {
    const urls: string[] = [];
    const client = new KeywardenClient({
      baseUrl: stack.url,
      viewerKey: stack.secrets.botViewerKeys!.slack,
      assertionSecret: stack.secrets.botAssertion.current,
      bot: 'slack',
      fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
        urls.push(String(input));
        return fetch(input, init);
      }) as typeof fetch,
    });
    const typed = await liveKey('typed in chat');
    const typo = `${typed.key.slice(0, -1)}${typed.key.endsWith('A') ? 'B' : 'A'}`;
    const whole = await resolveKey(client, typed.key);
    expect(whole).toMatchObject({ ok: true, key: { id: typed.id } });
    // A near-miss finds its key by the visible start it begins with, still through the body.
    expect(await resolveKey(client, typo)).toMatchObject({ ok: true, key: { id: typed.id } });
    expect(await resolveKey(client, `${typed.key.slice(0, 11)}…`)).toMatchObject({ ok: true, key: { id: typed.id } });
    expect(urls.length).toBeGreaterThan(0);
    expect(urls.filter((u) => u.includes(typed.key.slice(8)) || u.includes(typo.slice(8)))).toEqual([]);
    expect(await statusOf(typed.key)).toBe('active');
  });

  it('the typed client (CLI, bots) never sends a URL carrying a key', async () => {
    const requests: string[] = [];
    const api = new KeywardenApi({ baseUrl: stack.url, key: stack.adminKey, fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
      requests.push(String(input));
      return fetch(input, init);
    }) as typeof fetch });
    const key = generateKey();
    const refused = await api.call('listKeys', { query: { search: key } });
    expect(refused).toMatchObject({ ok: false, error: { code: 'key_in_url' } });
    expect(requests).toEqual([]);
    for (const disguised of [`${key.slice(0, 12)}\u200b${key.slice(12)}`, `${key.slice(0, 12)}\n${key.slice(12)}`, `_${key}_`]) {
      expect(await api.call('listKeys', { query: { search: disguised } }), JSON.stringify(disguised)).toMatchObject({ ok: false, error: { code: 'key_in_url' } });
    }
    expect(requests).toEqual([]);
    const found = await api.call('searchKeys', { body: { search: key } });
    expect(found).toMatchObject({ ok: true, value: { data: [] } });
    expect(requests.every((u) => !u.includes(key))).toBe(true);
  });
});
