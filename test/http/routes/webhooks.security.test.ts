import { describe, expect, it } from 'vitest';
import { generateKey } from '../../../lambdas/core/key-format';
import type { Principal } from '../../../lambdas/core/principal';
import { expectApiError } from '../../support/api-error';
import { runSurfaceTests, useSecurityStack } from './common-route-tests';

/**
 * The webhooks surface (issue 22 point 3): the checks every route gets, then who may add, list and
 * remove a project's webhooks, and which URLs may never receive one (server-side request forgery).
 * This stack does not allow loopback targets (KEYWARDEN_WEBHOOKS_ALLOW_LOOPBACK is unset, as in AWS).
 */
const fixture = useSecurityStack();

/** A public address literal: registration needs no DNS, and nothing here is subscribed to key events. */
const PUBLIC_URL = 'https://93.184.216.34/hook';

runSurfaceTests('webhooks', fixture, {
  createWebhook: { needs: 'webhooks:write', body: { url: PUBLIC_URL, events: ['account.credits_low'] } },
  listWebhooks: { needs: 'webhooks:read' },
});

async function create(key: string, body: unknown) {
  return fixture().stack.json('/v1/webhooks', { key, body });
}

describe('webhooks: who may', () => {
  it('adding one needs audit:read without row filters too: an event tells what the audit trail does', async () => {
    const { stack } = fixture();
    const operator: Principal = { kind: 'operator', actor: 'cli:security-test', projectId: stack.bootstrap.projectId };
    const noAudit = await stack.services.keys.create(operator, { name: 'hooks only', scopes: ['webhooks:read', 'webhooks:write'] });
    const res = await create(noAudit.secret, { url: PUBLIC_URL, events: ['account.credits_low'] });
    expectApiError(res, 403, 'insufficient_permissions');
    const filtered = await stack.services.keys.create(operator, {
      name: 'hooks, filtered audit',
      scopes: ['webhooks:write', 'audit:read'],
      roles: [{ name: 'own', permissions: ['webhooks:write', 'audit:read'], filters: { team: '${context.team}' } }],
      context: { team: 'a' },
    });
    expectApiError(await create(filtered.secret, { url: PUBLIC_URL, events: ['account.credits_low'] }), 403, 'insufficient_permissions');
    // Refusals are audited.
    const audit = await stack.services.audit.query(operator, { actor: `key:${noAudit.key.id}` });
    expect(audit.items.map((r) => [r.action, r.outcome])).toContainEqual(['webhook.create', 'denied']);
    const listed = await stack.json('/v1/webhooks', { key: stack.adminKey });
    expect(listed.body.data).toEqual([]);
  });

  it('a viewer key may list webhooks but never add or remove one; nobody sees a secret after the first answer', async () => {
    const { stack } = fixture();
    const viewer = await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'viewer', type: 'viewer' } });
    expect(viewer.body.scopes).toContain('webhooks:read');
    expect(viewer.body.scopes).not.toContain('webhooks:write');
    const made = await create(stack.adminKey, { url: PUBLIC_URL, events: ['account.credits_low'], description: 'ops' });
    expect(made.status).toBe(201);
    const secret = made.body.secret as string;
    const list = await stack.json('/v1/webhooks', { key: viewer.body.key });
    expect(list.status).toBe(200);
    expect(list.body.data).toEqual([expect.objectContaining({ id: made.body.id, url: PUBLIC_URL, description: 'ops' })]);
    expect(JSON.stringify(list.body)).not.toContain(secret.slice(6, 30));
    expectApiError(await create(viewer.body.key, { url: PUBLIC_URL }), 403, 'insufficient_permissions');
    expectApiError(await stack.json(`/v1/webhooks/${made.body.id}`, { key: viewer.body.key, method: 'DELETE' }), 403, 'insufficient_permissions');
    expect((await stack.json(`/v1/webhooks/${made.body.id}/deliveries`, { key: viewer.body.key })).status).toBe(200);
    // The stored item holds no usable secret either.
    const stored = await stack.services.store.getWebhook(stack.bootstrap.projectId, made.body.id);
    expect(JSON.stringify(stored)).not.toContain(secret.slice(6, 30));
    expect(await stack.services.webhooks.unseal(stored!)).toBe(secret);
    expect((await stack.json(`/v1/webhooks/${made.body.id}`, { key: stack.adminKey, method: 'DELETE' })).status).toBe(200);
    expectApiError(await stack.json(`/v1/webhooks/${made.body.id}`, { key: stack.adminKey, method: 'DELETE' }), 404, 'not_found');
  });

  it('another project’s webhook is not found, to read or to remove', async () => {
    const { stack } = fixture();
    const other = await stack.services.operator.createProject({ accountId: stack.bootstrap.accountId, name: 'other', actor: 'cli:security-test' });
    const theirs = await stack.services.webhooks.create({ kind: 'operator', actor: 'cli:security-test', projectId: other.project.id }, { url: PUBLIC_URL, events: ['account.credits_low'] });
    expectApiError(await stack.json(`/v1/webhooks/${theirs.webhook.id}/deliveries`, { key: stack.adminKey }), 404, 'not_found');
    expectApiError(await stack.json(`/v1/webhooks/${theirs.webhook.id}`, { key: stack.adminKey, method: 'DELETE' }), 404, 'not_found');
    expect(await stack.services.store.getWebhook(other.project.id, theirs.webhook.id)).toBeDefined();
    expectApiError(await stack.json('/v1/webhooks/wh_nope/deliveries', { key: stack.adminKey }), 400, 'invalid_request_error');
  });

  it('a project has at most 20 webhooks', async () => {
    const { stack } = fixture();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await create(stack.adminKey, { url: PUBLIC_URL, events: ['account.credits_low'] });
      expect(res.status).toBe(201);
      ids.push(res.body.id);
    }
    expectApiError(await create(stack.adminKey, { url: PUBLIC_URL, events: ['account.credits_low'] }), 409, 'conflict');
    for (const id of ids) await stack.json(`/v1/webhooks/${id}`, { key: stack.adminKey, method: 'DELETE' });
  });
});

describe('webhooks: URLs that may never receive one', () => {
  it.each([
    ['loopback over http', 'http://127.0.0.1:9/hook'],
    ['loopback over https', 'https://127.0.0.1/hook'],
    ['loopback by name', 'https://localhost/hook'],
    ['IPv6 loopback', 'https://[::1]/hook'],
    ['cloud metadata', 'https://169.254.169.254/latest/meta-data/'],
    ['cloud metadata over http', 'http://169.254.169.254/latest/meta-data/'],
    ['a private network', 'https://10.0.0.7/hook'],
    ['a private network, IPv4-mapped IPv6', 'https://[::ffff:10.0.0.7]/hook'],
    ['a private network, 192.168', 'https://192.168.1.1/hook'],
    ['carrier-grade NAT', 'https://100.64.0.1/hook'],
    ['unspecified', 'https://0.0.0.0/hook'],
    ['multicast', 'https://224.0.0.1/hook'],
    ['benchmarking', 'https://198.18.0.1/hook'],
    ['documentation', 'https://[2001:db8::1]/hook'],
    ['port 0', 'https://93.184.216.34:0/hook'],
    ['plain http to a public address', 'http://93.184.216.34/hook'],
    ['credentials in the URL', 'https://user:pw@93.184.216.34/hook'],
    ['another scheme', 'ftp://93.184.216.34/hook'],
    ['not a URL', 'hook'],
    ['a name that does not resolve', 'https://nowhere.invalid/hook'],
  ])('%s is 400 and nothing is stored', async (_what, url) => {
    const { stack } = fixture();
    const res = await create(stack.adminKey, { url });
    expectApiError(res, 400, 'invalid_request_error');
    expect(res.body.error.param).toBe('url');
    expect((await stack.json('/v1/webhooks', { key: stack.adminKey })).body.data.filter((w: { url: string }) => w.url === url)).toEqual([]);
  });

  it('a URL holding a raw key is refused without echoing it, and the key is treated as exposed', async () => {
    const { stack } = fixture();
    const leaked = await stack.json('/v1/keys', { key: stack.adminKey, body: { name: 'pasted into a URL' } });
    const res = await create(stack.adminKey, { url: `${PUBLIC_URL}?k=${leaked.body.key}` });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).not.toContain(leaked.body.key);
    expect((await stack.json(`/v1/keys/${leaked.body.id}`, { key: stack.adminKey })).body.status).toBe('revoked');
    const unknown = generateKey();
    expect(JSON.stringify((await create(stack.adminKey, { url: `${PUBLIC_URL}#${unknown}` })).body)).not.toContain(unknown);
  });

  it('unknown event types and fields are 400', async () => {
    const { stack } = fixture();
    expectApiError(await create(stack.adminKey, { url: PUBLIC_URL, events: ['key.stolen'] }), 400, 'invalid_request_error');
    expectApiError(await create(stack.adminKey, { url: PUBLIC_URL, secret: 'whsec_mine' }), 400, 'invalid_request_error');
    expectApiError(await create(stack.adminKey, { url: PUBLIC_URL, events: [] }), 400, 'invalid_request_error');
  });
});
