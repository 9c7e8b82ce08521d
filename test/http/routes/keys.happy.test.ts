import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../../support/local-stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => stack?.stop());


async function create(body: Record<string, unknown> = {}) {
  const res = await stack.json('/v1/keys', { key: stack.adminKey, body });
  expect(res.status).toBe(201);
  return res.body;
}

async function status(key: string): Promise<{ status: number; code?: string }> {
  const res = await stack.json('/v1/models', { key });
  return { status: res.status, code: res.body?.error?.code };
}

describe('key lifecycle through /v1 on dynalite', () => {
  it('create returns the raw key once, with the external coworker setup script, and no later response holds it', async () => {
    const created = await create({ name: 'CI deploy' });
    expect(created.key).toMatch(/^archie_[0-9A-Za-z]{28}$/);
    expect(created.start).toBe(created.key.slice(0, 11));
    expect(created.type).toBe('privileged');
    expect(created.status).toBe('active');
    for (const v of ['OPENAI_BASE_URL', 'OPENAI_API_KEY', 'ARCHIBOT_BASE_URL', 'ARCHIBOT_API_KEY']) expect(created.setupScript).toContain(`export ${v}=`);
    expect(created.setupScript).toContain(`OPENAI_API_KEY="${created.key}"`);
    expect(created.setupScript).toContain(`${stack.url}/v1`);
    // One-year default expiry.
    const days = (Date.parse(created.expiresAt) - Date.parse(created.createdAt)) / 86_400_000;
    expect(days).toBe(365);
    // Works at once (no propagation delay).
    expect((await status(created.key)).status).toBe(200);

    const later = [
      await stack.call(`/v1/keys/${created.id}`, { key: stack.adminKey }),
      await stack.call('/v1/keys', { key: stack.adminKey }),
      await stack.call('/v1/keys/search', { key: stack.adminKey, body: { search: created.key } }),
      await stack.call('/v1/me', { key: created.key }),
      await stack.call(`/v1/audit?keyId=${created.id}`, { key: stack.adminKey }),
    ];
    for (const res of later) {
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toContain(created.id); // each answer is about the key…
      expect(text).not.toContain(created.key); // …and none carries it
    }
    const me = await stack.json('/v1/me', { key: stack.adminKey });
    expect(me.body.setupScript).toContain('OPENAI_API_KEY="<new-api-key>"');
  });

  it('auto-names blank keys "Console generated key N", counting per project', async () => {
    const a = await create();
    const b = await create({ name: '   ' });
    const n = Number(/Console generated key (\d+)$/.exec(a.name)?.[1]);
    expect(n).toBeGreaterThan(0);
    expect(b.name).toBe(`Console generated key ${n + 1}`);
  });

  it('lists newest first and searches by name, visible start and full key', async () => {
    const k = await create({ name: 'Search target alpha' });
    await create({ name: 'Other key' });
    const list = await stack.json('/v1/keys', { key: stack.adminKey });
    expect(list.body.object).toBe('list');
    expect(list.body.data[0].name).toBe('Other key');
    const ids = (q: string) => stack.json(`/v1/keys?search=${encodeURIComponent(q)}`, { key: stack.adminKey }).then((r) => r.body.data.map((x: any) => x.id));
    expect(await ids('target ALPHA')).toEqual([k.id]);
    expect(await ids(k.start)).toEqual([k.id]);
    expect(await ids(k.id)).toEqual([k.id]);
    // A full key is searched in a body, never in a URL (the URL form is refused: keys-in-urls.security.test.ts).
    const byKey = await stack.json('/v1/keys/search', { key: stack.adminKey, body: { search: k.key } });
    expect(byKey.body.data.map((x: any) => x.id)).toEqual([k.id]);
    expect(await ids('no such key name')).toEqual([]);
  });

  it('filters by type and status and pages with a cursor', async () => {
    await create({ name: 'viewer for filter', type: 'viewer' });
    const viewers = await stack.json('/v1/keys?type=viewer', { key: stack.adminKey });
    expect(viewers.body.data.length).toBeGreaterThan(0);
    expect(viewers.body.data.every((k: any) => k.type === 'viewer')).toBe(true);
    const page1 = await stack.json('/v1/keys?limit=2', { key: stack.adminKey });
    expect(page1.body.data).toHaveLength(2);
    expect(page1.body.nextCursor).toBeTruthy();
    const page2 = await stack.json(`/v1/keys?limit=2&cursor=${page1.body.nextCursor}`, { key: stack.adminKey });
    expect(page2.body.data[0].id).not.toBe(page1.body.data[0].id);
    expect(page2.body.data[0].id).not.toBe(page1.body.data[1].id);
  });

  it('a filtered listing pages too: every match exactly once, across pages', async () => {
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.unshift((await create({ name: `pagefilter ${i}` })).id);
    await create({ name: 'not a match' });
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const res: { status: number; body: any } = await stack.json(`/v1/keys?search=pagefilter&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { key: stack.adminKey });
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((k: any) => k.id));
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toHaveLength(made.length);
    expect([...seen].sort()).toEqual([...made].sort());
    // The cursor is sealed to this listing: it is refused by the unfiltered one.
    const first = await stack.json('/v1/keys?search=pagefilter&limit=2', { key: stack.adminKey });
    expect((await stack.json(`/v1/keys?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`, { key: stack.adminKey })).status).toBe(400);
  });

  it('rotate replaces at once: old rejected, new accepted, same name/type/scopes/context', async () => {
    const old = await create({ name: 'Rotating', type: 'viewer', context: { team: 'ops' } });
    const rotated = await stack.json(`/v1/keys/${old.id}/rotate`, { key: stack.adminKey, body: {} });
    expect(rotated.status).toBe(201);
    expect(rotated.body.key).not.toBe(old.key);
    expect(rotated.body).toMatchObject({ name: 'Rotating', type: 'viewer', scopes: old.scopes, context: { team: 'ops' }, rotatedFrom: old.id });
    expect(rotated.body.setupScript).toContain(rotated.body.key);
    expect(await status(old.key)).toEqual({ status: 401, code: 'key_revoked' });
    expect((await status(rotated.body.key)).status).toBe(200);
    const listed = await stack.json(`/v1/keys/${old.id}`, { key: stack.adminKey });
    expect(listed.body).toMatchObject({ status: 'revoked', replacedBy: rotated.body.id });
    // The answer already says what became of the old key: no second call needed.
    expect(rotated.body.replaced).toEqual(listed.body);
    // Rotating again is refused, not a second replacement.
    const again = await stack.json(`/v1/keys/${old.id}/rotate`, { key: stack.adminKey, body: {} });
    expect(again.status).toBe(409);
  });

  it('rotate with an overlap keeps both keys working until it ends', async () => {
    const old = await create({ name: 'Overlapping' });
    const rotated = await stack.json(`/v1/keys/${old.id}/rotate`, { key: stack.adminKey, body: { overlap: '4s' } });
    expect(rotated.status).toBe(201);
    expect(rotated.body.replaced).toMatchObject({ id: old.id, status: 'active', replacedBy: rotated.body.id, graceUntil: expect.any(String) });
    expect((await status(old.key)).status).toBe(200);
    expect((await status(rotated.body.key)).status).toBe(200);
    stack.clock.advance(4100);
    expect(await status(old.key)).toEqual({ status: 401, code: 'key_revoked' });
    expect((await status(rotated.body.key)).status).toBe(200);
  });

  it('revoke is immediate and idempotent; the key stays listed', async () => {
    const k = await create({ name: 'To revoke' });
    expect((await status(k.key)).status).toBe(200);
    const revoked = await stack.json(`/v1/keys/${k.id}/revoke`, { key: stack.adminKey, body: {} });
    expect(revoked.body.status).toBe('revoked');
    const rejected = await stack.json('/v1/models', { key: k.key });
    expect(rejected.status).toBe(401);
    expect(rejected.body.error).toMatchObject({ code: 'key_revoked', type: 'authentication_error' });
    const again = await stack.json(`/v1/keys/${k.id}/revoke`, { key: stack.adminKey, body: {} });
    expect(again.status).toBe(200);
    expect(again.body.revokedAt).toBe(revoked.body.revokedAt);
    const listed = await stack.json('/v1/keys?status=revoked', { key: stack.adminKey });
    expect(listed.body.data.map((x: any) => x.id)).toContain(k.id);
  });

  it('an expired key is rejected with key_expired, before any usage is counted, and stays listed', async () => {
    const k = await create({ name: 'Short-lived', expiresIn: '1s' });
    stack.clock.advance(1100);
    expect(await status(k.key)).toEqual({ status: 401, code: 'key_expired' });
    const listed = await stack.json(`/v1/keys/${k.id}`, { key: stack.adminKey });
    expect(listed.body.status).toBe('expired');
    expect(listed.body.lastUsedAt).toBeNull();
    // Rotating an expired key issues a working replacement under the same name.
    const rotated = await stack.json(`/v1/keys/${k.id}/rotate`, { key: stack.adminKey, body: {} });
    expect(rotated.status).toBe(201);
    expect((await status(rotated.body.key)).status).toBe(200);
  });

  it('delete removes a user key at once; the Automator key is protected', async () => {
    const k = await create({ name: 'To delete' });
    const del = await stack.json(`/v1/keys/${k.id}`, { key: stack.adminKey, method: 'DELETE' });
    expect(del.body).toMatchObject({ id: k.id, deleted: true });
    expect(await status(k.key)).toEqual({ status: 401, code: 'invalid_api_key' });
    const system = await stack.json('/v1/keys?type=system', { key: stack.adminKey });
    expect(system.body.data).toHaveLength(1);
    const automator = system.body.data[0];
    expect(automator).toMatchObject({ name: 'Automator key', protected: true, expiresAt: null });
    const refused = await stack.json(`/v1/keys/${automator.id}`, { key: stack.adminKey, method: 'DELETE' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('protected_key');
    // It can be rotated, and stays the project's (single) system key.
    const rotated = await stack.json(`/v1/keys/${automator.id}/rotate`, { key: stack.adminKey, body: {} });
    expect(rotated.body).toMatchObject({ type: 'system', protected: true });
    const project = await stack.services.store.getProject(stack.bootstrap.projectId);
    expect(project?.automatorKeyId).toBe(rotated.body.id);
  });

  it('the audit trail records every admin action with actor, key, time and outcome, by key and by actor', async () => {
    const k = await create({ name: 'Audited' });
    await stack.call(`/v1/keys/${k.id}/revoke`, { key: stack.adminKey, body: {} });
    const byKey = await stack.json(`/v1/audit?keyId=${k.id}`, { key: stack.adminKey });
    const actions = byKey.body.data.map((r: any) => `${r.action}:${r.outcome}`);
    expect(actions).toEqual(['key.revoke:success', 'key.create:success']);
    for (const r of byKey.body.data) {
      expect(r.actor).toBe(`key:${stack.bootstrap.adminKeyId}`);
      expect(Date.parse(r.at)).toBeGreaterThan(0);
    }
    const byActor = await stack.json(`/v1/audit?actor=${encodeURIComponent(`key:${stack.bootstrap.adminKeyId}`)}`, { key: stack.adminKey });
    expect(byActor.body.data.length).toBeGreaterThanOrEqual(2);
    expect(byActor.body.data.every((r: any) => r.actor === `key:${stack.bootstrap.adminKeyId}`)).toBe(true);
  });

  it('records lastUsedAt on use', async () => {
    const k = await create({ name: 'Used' });
    await stack.call('/v1/models', { key: k.key });
    const got = await stack.json(`/v1/keys/${k.id}`, { key: stack.adminKey });
    expect(Date.parse(got.body.lastUsedAt)).toBeGreaterThan(Date.parse(k.createdAt) - 1);
  });

  it('verify checks a key and a permission for other services', async () => {
    const viewer = await create({ name: 'verify me', type: 'viewer' });
    const ok = await stack.json('/v1/keys/verify', { key: stack.adminKey, body: { key: viewer.key, permission: 'bots:read' } });
    expect(ok.body).toMatchObject({ valid: true, keyId: viewer.id, type: 'viewer', permission: { allowed: true } });
    const denied = await stack.json('/v1/keys/verify', { key: stack.adminKey, body: { key: viewer.key, permission: 'bots:write' } });
    expect(denied.body).toMatchObject({ valid: false, code: 'insufficient_permissions' });
    const bogus = await stack.json('/v1/keys/verify', { key: stack.adminKey, body: { key: 'archie_nope' } });
    expect(bogus.body).toEqual({ valid: false, code: 'invalid_api_key' });
    expect(JSON.stringify(ok.body)).not.toContain(viewer.key);
  });

  it('serves an OpenAPI 3.1 document of the surface', async () => {
    const doc = await stack.json('/v1/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    for (const p of ['/models', '/responses', '/keys', '/keys/{id}/rotate', '/keys/{id}/revoke', '/keys/verify', '/audit', '/me']) {
      expect(Object.keys(doc.body.paths)).toContain(p);
    }
  });
});
