import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticSecretsProvider } from '../../lambdas/adapters/secrets';
import { loadConfig } from '../../lambdas/config';
import { DAY_MS } from '../../lambdas/core/duration';
import { KeywardenError } from '../../lambdas/core/errors';
import { DEFAULT_EXPIRY_MS, DEFAULT_RATE_LIMIT, type IssuedKey } from '../../lambdas/core/key-service';
import type { Principal } from '../../lambdas/core/principal';
import { buildServices, type Services } from '../../lambdas/services';
import { OffsetClock } from '../support/clock';
import { createTable, startDynalite } from '../support/dynalite';

/**
 * KeyService on its own, against a real store on dynalite: the lifecycle (create, list, rotate,
 * revoke, delete, exposure) and the authority rule as the service applies it, without HTTP.
 * Times are read from the test clock, never written as dates, so the file runs a year ahead too.
 */
let dynalite: { endpoint: string; close(): Promise<void> };
let services: Services;
let clock: OffsetClock;
let projectId: string;
let accountId: string;
let automatorId: string;
/** A key principal for an issued key, as the router would build it. */
const as = (issued: IssuedKey): Principal => ({ kind: 'key', key: issued.key });
const operator = (): Principal => ({ kind: 'operator', actor: 'cli:test', projectId });

/** The error a call fails with: code, message, and the offending field when it names one. */
async function refusal(call: Promise<unknown>): Promise<{ code: string; message: string; param?: string }> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KeywardenError);
  const { code, message, context } = err as KeywardenError;
  return { code, message, ...(context.param ? { param: context.param } : {}) };
}

/** The outcomes the audit trail holds for one key, oldest first. */
async function auditOf(keyId: string): Promise<string[]> {
  const page = await services.audit.query(operator(), { keyId, limit: 100 });
  return page.items.map((r) => `${r.action}:${r.outcome}`).reverse();
}

beforeAll(async () => {
  dynalite = await startDynalite();
  await createTable(dynalite.endpoint, 'key-service-test');
  clock = new OffsetClock();
  const secrets = new StaticSecretsProvider({ hashing: { current: 'test-hashing-secret' }, botAssertion: { current: 'bot-secret' } });
  services = buildServices(loadConfig({ TABLE_NAME: 'key-service-test', DYNAMODB_ENDPOINT: dynalite.endpoint }), { secrets, clock });
  accountId = (await services.operator.createAccount({ name: 'a', apiAccess: true, credits: 0 })).id;
  const created = await services.operator.createProject({ accountId, name: 'p', actor: 'cli:test' });
  projectId = created.project.id;
  automatorId = created.automator.key.id;
});
afterAll(async () => {
  services?.dynamo.destroy();
  await dynalite?.close();
});

describe('create', () => {
  it('by an operator: the documented defaults, a raw key returned once and stored only as a hash', async () => {
    const now = clock.now();
    const issued = await services.keys.create(operator(), {});
    expect(issued.key).toMatchObject({ type: 'privileged', prefix: 'archie', status: 'active', rateLimit: DEFAULT_RATE_LIMIT, roles: [], createdBy: 'cli:test' });
    expect(issued.key.name).toMatch(/^Console generated key \d+$/);
    expect(issued.key.scopes).toContain('keys:write');
    expect(issued.key.expiresAt! - now).toBeGreaterThanOrEqual(DEFAULT_EXPIRY_MS);
    expect(issued.key.expiresAt! - now).toBeLessThan(DEFAULT_EXPIRY_MS + 60_000);
    expect(issued.secret.startsWith(`${issued.key.start}`)).toBe(true);
    const stored = await services.store.getKey(issued.key.id);
    expect(stored?.hash).toBe(issued.key.hash);
    expect(JSON.stringify(stored)).not.toContain(issued.secret);
    expect((await services.auth.authenticate(issued.secret)).result).toBe('valid');
    expect(await auditOf(issued.key.id)).toEqual(['key.create:success']);
  });

  it('by a bounded key: what it does not ask for is narrowed to the actor', async () => {
    const bounded = await services.keys.create(operator(), {
      name: 'bounded',
      scopes: ['keys:read', 'keys:write', 'models:read'],
      rateLimit: { limit: 3, windowSeconds: 60 },
      expiresInMs: 3_600_000,
      models: ['archibot'],
    });
    const child = await services.keys.create(as(bounded), { name: 'child' });
    expect(child.key.scopes.sort()).toEqual(['keys:read', 'keys:write', 'models:read']);
    expect(child.key.rateLimit).toEqual({ limit: 3, windowSeconds: 60 });
    expect(child.key.expiresAt).toBe(bounded.key.expiresAt);
    expect(child.key.models).toEqual(['archibot']);
    expect(child.key.createdBy).toBe(`key:${bounded.key.id}`);
  });

  it('by a bounded key asking for more: 403 naming every wider axis, audited as denied', async () => {
    const bounded = await services.keys.create(operator(), { name: 'narrow', scopes: ['keys:write'], rateLimit: { limit: 3, windowSeconds: 60 }, expiresInMs: 3_600_000 });
    const wide = services.keys.create(as(bounded), { scopes: ['keys:write', 'admin'], rateLimit: { limit: 1_000_000, windowSeconds: 60 }, expiresInMs: 365 * DAY_MS });
    expect(await refusal(wide)).toEqual({
      code: 'insufficient_permissions',
      message: 'This key cannot create a key with more power than its own (wider scopes, rate limit, expiry).',
    });
    const denied = await services.audit.query(operator(), { actor: `key:${bounded.key.id}` });
    expect(denied.items.map((r) => [r.action, r.outcome, r.reason])).toEqual([['key.create', 'denied', 'beyond the actor: scopes, rate limit, expiry']]);
  });

  it('without keys:write, or as a person who is not a project admin: 403 before anything is read', async () => {
    const viewer = await services.keys.create(operator(), { name: 'viewer', type: 'viewer' });
    expect(await refusal(services.keys.create(as(viewer), {}))).toEqual({
      code: 'insufficient_permissions',
      message: 'This key lacks the keys:write permission.',
    });
    const person: Principal = { kind: 'key', key: viewer.key, person: { identity: 'slack:T1:U1', bot: 'slack' } };
    expect(await refusal(services.keys.create(person, {}))).toEqual({
      code: 'insufficient_permissions',
      message: 'slack:T1:U1 is not an admin of this project.',
    });
    await services.operator.addAdmin(projectId, 'slack:T1:U1', 'cli:test');
    expect((await services.keys.create(person, { name: 'by a person' })).key.createdBy).toBe('slack:T1:U1');
  });

  it('the API product gate off: 403 api_access_disabled; a bad prefix or scope: 400 naming the field', async () => {
    await services.operator.setApiAccess(accountId, false);
    try {
      expect(await refusal(services.keys.create(operator(), {}))).toEqual({ code: 'api_access_disabled', message: 'API access is not enabled for this account.' });
    } finally {
      await services.operator.setApiAccess(accountId, true);
    }
    expect(await refusal(services.keys.create(operator(), { prefix: 'Bad-Prefix' }))).toEqual({
      code: 'invalid_request_error',
      message: 'prefix must match [a-z][a-z0-9]{1,11}.',
      param: 'prefix',
    });
    expect(await refusal(services.keys.create(operator(), { type: 'viewer', scopes: ['keys:write'] }))).toEqual({
      code: 'invalid_request_error',
      message: 'Scopes not allowed for a viewer key: keys:write.',
      param: 'scopes',
    });
  });
});

describe('list and get', () => {
  it('filters by type, status and search, pages without skipping, and finds a key by its raw value', async () => {
    const own = await services.keys.create(operator(), { name: 'listing-needle', type: 'viewer' });
    const revoked = await services.keys.create(operator(), { name: 'listing-revoked' });
    await services.keys.revoke(operator(), revoked.key.id);

    const byName = await services.keys.list(operator(), { search: 'listing-needle' });
    expect(byName.items.map((k) => k.id)).toEqual([own.key.id]);
    const byValue = await services.keys.list(operator(), { search: own.secret });
    expect(byValue.items.map((k) => k.id)).toEqual([own.key.id]);
    const viewers = await services.keys.list(operator(), { type: 'viewer' });
    expect(viewers.items.every((k) => k.type === 'viewer')).toBe(true);
    const revokedOnes = await services.keys.list(operator(), { status: 'revoked' });
    expect(revokedOnes.items.map((k) => k.id)).toContain(revoked.key.id);

    const all = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await services.keys.list(operator(), { limit: 2, cursor });
      expect(page.items.length).toBeLessThanOrEqual(2);
      for (const k of page.items) all.add(k.id);
      cursor = page.nextCursor;
    } while (cursor);
    expect(all).toContain(own.key.id);
    expect(all).toContain(automatorId);

    expect((await services.keys.get(operator(), own.key.id)).name).toBe('listing-needle');
  });

  it("another project's key is indistinguishable from a missing one", async () => {
    const { project } = await services.operator.createProject({ accountId, name: 'other', actor: 'cli:test' });
    const theirs = await services.keys.create({ kind: 'operator', actor: 'cli:test', projectId: project.id }, { name: 'theirs' });
    expect(await refusal(services.keys.get(operator(), theirs.key.id))).toEqual({ code: 'not_found', message: `No key ${theirs.key.id} in this project.` });
    expect((await services.keys.list(operator(), { search: theirs.secret })).items).toEqual([]);
    expect(await refusal(services.keys.revoke(operator(), theirs.key.id))).toMatchObject({ code: 'not_found' });
  });
});

describe('rotate', () => {
  it('replaces a key at once: the new one works, the old one is revoked, and a second rotation is a conflict', async () => {
    const old = await services.keys.create(operator(), { name: 'rotating', rateLimit: { limit: 50, windowSeconds: 60 } });
    const next = await services.keys.rotate(operator(), old.key.id);
    expect(next.key).toMatchObject({ name: 'rotating', rotatedFrom: old.key.id, rateLimit: { limit: 50, windowSeconds: 60 }, scopes: old.key.scopes });
    expect(next.replaced).toMatchObject({ id: old.key.id, replacedBy: next.key.id, status: 'revoked' });
    expect((await services.auth.authenticate(next.secret)).result).toBe('valid');
    expect((await services.auth.authenticate(old.secret)).result).toBe('revoked');
    expect(await refusal(services.keys.rotate(operator(), old.key.id))).toEqual({
      code: 'conflict',
      message: `Key ${old.key.id} was already rotated (replacement ${next.key.id}).`,
    });
    expect(await auditOf(old.key.id)).toEqual(['key.create:success', 'key.rotate:success', 'key.rotate:denied']);
  });

  it('with an overlap the old key keeps working until it ends; over 7 days is refused', async () => {
    const old = await services.keys.create(operator(), { name: 'overlapping' });
    const before = clock.now();
    const next = await services.keys.rotate(operator(), old.key.id, 60_000);
    expect(next.replaced?.graceUntil).toBeGreaterThanOrEqual(before + 60_000);
    expect(next.replaced?.graceUntil).toBeLessThanOrEqual(clock.now() + 60_000);
    expect((await services.auth.authenticate(old.secret)).result).toBe('valid');
    clock.advance(61_000);
    expect((await services.auth.authenticate(old.secret)).result).toBe('revoked');
    expect((await services.auth.authenticate(next.secret)).result).toBe('valid');
    expect(await refusal(services.keys.rotate(operator(), next.key.id, 8 * DAY_MS))).toEqual({
      code: 'invalid_request_error',
      message: 'The overlap must be between 0 and 7 days.',
      param: 'overlap',
    });
  });

  it('a bounded key rotates only what it could have created; only an admin key rotates the Automator key', async () => {
    // The wider key first: a key created later also lives a moment longer (wider expiry).
    const wider = await services.keys.create(operator(), { name: 'wider' });
    const writer = await services.keys.create(operator(), { name: 'writer', scopes: ['keys:read', 'keys:write'] });
    expect(await refusal(services.keys.rotate(as(writer), wider.key.id))).toEqual({
      code: 'insufficient_permissions',
      message: 'This key cannot rotate a key with more power than its own (wider scopes).',
    });
    expect(await refusal(services.keys.rotate(as(writer), automatorId))).toEqual({
      code: 'insufficient_permissions',
      message: 'Only a key holding the admin permission may rotate the Automator key.',
    });
    const rotated = await services.keys.rotate(as(wider), automatorId);
    expect(rotated.key.type).toBe('system');
    expect((await services.store.getProject(projectId))?.automatorKeyId).toBe(rotated.key.id);
    automatorId = rotated.key.id;
  });
});

describe('revoke and delete', () => {
  it('revoke is immediate and idempotent, and the key stays listed', async () => {
    const key = await services.keys.create(operator(), { name: 'to revoke' });
    const first = await services.keys.revoke(operator(), key.key.id);
    expect(first.status).toBe('revoked');
    expect((await services.keys.revoke(operator(), key.key.id)).status).toBe('revoked');
    expect((await services.auth.authenticate(key.secret)).result).toBe('revoked');
    expect((await services.keys.get(operator(), key.key.id)).status).toBe('revoked');
  });

  it('delete removes a user key; the Automator key is Protected against both', async () => {
    const key = await services.keys.create(operator(), { name: 'to delete' });
    await services.keys.delete(operator(), key.key.id);
    expect(await refusal(services.keys.get(operator(), key.key.id))).toMatchObject({ code: 'not_found' });
    expect((await services.auth.authenticate(key.secret)).result).toBe('invalid');
    expect(await refusal(services.keys.revoke(operator(), automatorId))).toEqual({
      code: 'protected_key',
      message: 'The Automator key is Protected: rotate it instead of revoking it.',
    });
    expect(await refusal(services.keys.delete(operator(), automatorId))).toEqual({
      code: 'protected_key',
      message: 'The Automator key is Protected and cannot be deleted.',
    });
  });

  it('a key cannot remove the last key that manages its project, nor one wider than itself', async () => {
    const { project } = await services.operator.createProject({ accountId, name: 'lonely', actor: 'cli:test' });
    const lonely: Principal = { kind: 'operator', actor: 'cli:test', projectId: project.id };
    const only = await services.keys.create(lonely, { name: 'only manager' });
    expect(await refusal(services.keys.revoke(as(only), only.key.id))).toEqual({
      code: 'last_admin_key',
      message: `Key ${only.key.id} is the project's last active key that can manage keys; create another one first, or ask an operator.`,
    });
    expect(await refusal(services.keys.delete(as(only), only.key.id))).toMatchObject({ code: 'last_admin_key' });
    const narrow = await services.keys.create(lonely, { name: 'narrow', scopes: ['keys:write'], expiresInMs: DAY_MS });
    expect(await refusal(services.keys.revoke(as(narrow), only.key.id))).toEqual({
      code: 'insufficient_permissions',
      message: 'This key cannot revoke a key with more power than its own (wider scopes, expiry).',
    });
    // With a second manager, the first may go; then the second is the last one.
    expect((await services.keys.revoke(as(only), narrow.key.id)).status).toBe('revoked');
    const second = await services.keys.create(lonely, { name: 'second manager' });
    expect((await services.keys.revoke(as(second), only.key.id)).status).toBe('revoked');
    expect(await refusal(services.keys.delete(as(second), second.key.id))).toMatchObject({ code: 'last_admin_key' });
    // An operator is not bounded.
    await services.keys.delete(lonely, second.key.id);
  });
});

describe('exposure', () => {
  it('a live key found exposed is marked once, audited as key.exposed with its source and location, and revoked, by id; the Automator key is rotated instead', async () => {
    const leaked = await services.keys.create(operator(), { name: 'leaked' });
    const outcome = await services.keys.exposed(leaked.secret, { source: 'github', location: 'https://github.com/acme/app/blob/abc/.env' });
    expect(outcome).toMatchObject({ handled: 'revoked', first: true, key: { status: 'revoked', exposure: { source: 'github', location: 'https://github.com/acme/app/blob/abc/.env' } } });
    expect((await services.auth.authenticate(leaked.secret)).result).toBe('revoked');
    const audit = await services.audit.query(operator(), { keyId: leaked.key.id });
    expect(audit.items.map((r) => [r.action, r.outcome, r.actor])).toEqual(
      expect.arrayContaining([
        ['key.exposed', 'success', 'system'],
        ['key.revoke', 'success', 'system'],
      ]),
    );
    expect(audit.items.find((r) => r.action === 'key.exposed')?.details).toEqual({ source: 'github', location: 'https://github.com/acme/app/blob/abc/.env' });
    expect(JSON.stringify(audit.items)).not.toContain(leaked.secret);

    // Seen again (the same report twice, another source): nothing more changes; the first exposure is kept.
    const again = await services.keys.exposed(leaked.secret, { source: 'chat', location: 'slack:T1/C1' });
    expect(again).toMatchObject({ handled: 'already', first: false, key: { exposure: { source: 'github' } } });
    expect((await services.audit.query(operator(), { keyId: leaked.key.id })).items).toHaveLength(audit.items.length);
    expect((await services.store.getKey(leaked.key.id))?.exposure?.source).toBe('github');

    const { project, automator } = await services.operator.createProject({ accountId, name: 'exposed automator', actor: 'cli:test' });
    const rotated = await services.keys.exposed(automator.secret, { source: 'url', location: 'GET /v1/keys/:id (id, in a URL)' });
    expect(rotated?.handled).toBe('rotated');
    expect((await services.auth.authenticate(automator.secret)).result).toBe('revoked');
    const replacement = (await services.store.getProject(project.id))?.automatorKeyId;
    expect(replacement).toBe(rotated?.replacementId);
    expect(replacement).not.toBe(automator.key.id);
    expect((await services.store.getKey(replacement!))?.type).toBe('system');
  });

  it('a key value that is no live key is nothing to do', async () => {
    expect(await services.keys.exposed('archie_' + 'A'.repeat(28), { source: 'github', location: 'x' })).toBeUndefined();
  });
});
