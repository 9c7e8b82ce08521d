import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTE_TABLE } from '../../../lambdas/http/api';
import { KeywardenApi } from '../../../lambdas/http/client';
import { CONTRACT } from '../../../lambdas/http/contract';
import { generateKey } from '../../../lambdas/core/key-format';
import { startTestStack, type TestStack } from '../../support/local-stack';

/** One contract: every route the router serves is a contract entry, and the typed client speaks it. */
let stack: TestStack;
let api: KeywardenApi;

beforeAll(async () => {
  stack = await startTestStack();
  api = new KeywardenApi({ baseUrl: stack.url, key: stack.adminKey });
});
afterAll(async () => stack?.stop());

describe('the contract', () => {
  it('is the route table: same operations, methods, paths, schemas', () => {
    const served = API_ROUTE_TABLE.map((r) => `${r.operationId} ${r.method} ${r.path}`).sort();
    const declared = Object.entries(CONTRACT).map(([op, c]) => `${op} ${c.method} ${c.path}`).sort();
    expect(served).toEqual(declared);
    for (const route of API_ROUTE_TABLE) {
      const c = CONTRACT[route.operationId as keyof typeof CONTRACT];
      expect(route.body, route.operationId).toBe('body' in c ? c.body : undefined);
      expect(route.success.schema, route.operationId).toBe(c.success.schema);
    }
  });
});

describe('the typed client', () => {
  it('creates, reads, lists, rotates, revokes and audits a key; each answer matches its schema', async () => {
    const created = await api.call('createKey', { body: { name: 'client test', type: 'viewer', expiresIn: '1d' } });
    expect(created.ok && created.status).toBe(201);
    if (!created.ok) return;
    expect(CONTRACT.createKey.success.schema!.safeParse(created.value).success).toBe(true);
    const id = created.value.id;

    const got = await api.call('getKey', { params: { id } });
    expect(got.ok && got.value.name).toBe('client test');
    const listed = await api.call('listKeys', { query: { search: 'client test', limit: 5 } });
    expect(listed.ok && listed.value.data.map((k) => k.id)).toEqual([id]);

    const rotated = await api.call('rotateKey', { params: { id }, body: { overlap: '1h' } });
    expect(rotated.ok && rotated.value.replaced?.id).toBe(id);
    if (!rotated.ok) return;
    const revoked = await api.call('revokeKey', { params: { id: rotated.value.id } });
    expect(revoked.ok && revoked.value.status).toBe('revoked');
    const audit = await api.call('listAudit', { query: { keyId: id } });
    expect(audit.ok && audit.value.data.map((r) => r.action)).toEqual(expect.arrayContaining(['key.create', 'key.rotate']));
  });

  it('returns failures as data: the API’s code, a retry hint, or unreachable — never a throw, never the key', async () => {
    const unknown = generateKey();
    const denied = await new KeywardenApi({ baseUrl: `${stack.url}/v1`, key: unknown }).call('listModels', {});
    expect(denied).toMatchObject({ ok: false, error: { status: 401, code: 'invalid_api_key' } });
    expect(JSON.stringify(denied)).not.toContain(unknown);
    const missing = await api.call('getKey', { params: { id: 'key_0000000000000000000000' } });
    expect(missing).toMatchObject({ ok: false, error: { status: 404, code: 'not_found' } });
    const nowhere = await new KeywardenApi({ baseUrl: 'http://127.0.0.1:9', key: stack.adminKey }).call('getHealth', {});
    expect(nowhere).toMatchObject({ ok: false, error: { status: 0, code: 'unreachable' } });
  });
});
