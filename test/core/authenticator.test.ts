import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticSecretsProvider } from '../../lambdas/adapters/secrets';
import { loadConfig } from '../../lambdas/config';
import { signAssertion } from '../../lambdas/core/actor-assertion';
import { Authenticator } from '../../lambdas/core/authenticator';
import { signDeliveryClaim } from '../../lambdas/core/delivery-claim';
import { generateKey } from '../../lambdas/core/key-format';
import type { Store } from '../../lambdas/core/ports';
import type { Principal } from '../../lambdas/core/principal';
import { buildServices, type Services } from '../../lambdas/services';
import { OffsetClock } from '../support/clock';
import { createTable, startDynalite } from '../support/dynalite';

/**
 * The Authenticator on its own, against a real store on dynalite: a presented key is valid,
 * revoked, expired, rate-limited or unknown; the account hint; a person's assertion; a bot's
 * delivery claim. Times come from the test clock, so the file runs a year ahead too.
 */
const HASHING = 'test-hashing-secret';
const BOT_SECRET = 'bot-secret';
let dynalite: { endpoint: string; close(): Promise<void> };
let services: Services;
let clock: OffsetClock;
let projectId: string;
let accountId: string;
/** Store calls made through `auth`, by method name. */
const calls: string[] = [];
let auth: Authenticator;
const operator = (): Principal => ({ kind: 'operator', actor: 'cli:test', projectId });

beforeAll(async () => {
  dynalite = await startDynalite();
  await createTable(dynalite.endpoint, 'authenticator-test');
  clock = new OffsetClock();
  const secrets = new StaticSecretsProvider({ hashing: { current: HASHING }, botAssertion: { current: BOT_SECRET } });
  services = buildServices(loadConfig({ TABLE_NAME: 'authenticator-test', DYNAMODB_ENDPOINT: dynalite.endpoint }), { secrets, clock });
  accountId = (await services.operator.createAccount({ name: 'a', apiAccess: true, credits: 0 })).id;
  projectId = (await services.operator.createProject({ accountId, name: 'p', actor: 'cli:test' })).project.id;
  // A fresh Authenticator (no account hints yet) over the real store, every call counted.
  const counting = new Proxy(services.store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(prop));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as Store;
  auth = new Authenticator({ store: counting, secrets, clock });
});
afterAll(async () => {
  services?.dynamo.destroy();
  await dynalite?.close();
});

describe('authenticate', () => {
  it('a valid key is admitted and counted against its rate limit', async () => {
    const issued = await services.keys.create(operator(), { name: 'valid', rateLimit: { limit: 5, windowSeconds: 60 } });
    const first = await auth.authenticate(issued.secret);
    expect(first).toMatchObject({ result: 'valid', key: { id: issued.key.id, accountId }, rateLimit: { limit: 5, remaining: 4 } });
    const second = await auth.authenticate(issued.secret);
    expect(second).toMatchObject({ result: 'valid', rateLimit: { remaining: 3 } });
    if (second.result === 'valid') expect(second.rateLimit.resetAt).toBeGreaterThan(clock.now());
  });

  it('a malformed or checksum-failing string is invalid without any storage read; an unknown key is invalid', async () => {
    const unknown = generateKey();
    const broken = `${unknown.slice(0, -1)}${unknown.endsWith('0') ? '1' : '0'}`;
    calls.length = 0;
    for (const raw of ['', 'nonsense', broken, `Bearer ${unknown}`]) expect(await auth.authenticate(raw)).toEqual({ result: 'invalid' });
    expect(await auth.inspect(broken)).toBeUndefined();
    expect(calls).toEqual([]);
    expect(await auth.authenticate(unknown)).toEqual({ result: 'invalid' });
    expect(calls.length).toBeGreaterThan(0);
  });

  it('a key from another environment (other hashing secret) is unknown here; one issued under the previous secret still works', async () => {
    const issued = await services.keys.create(operator(), { name: 'secret rotation' });
    const elsewhere = new Authenticator({ store: services.store, secrets: new StaticSecretsProvider({ hashing: { current: 'other' } }), clock });
    expect(await elsewhere.authenticate(issued.secret)).toEqual({ result: 'invalid' });
    const rotating = new Authenticator({ store: services.store, secrets: new StaticSecretsProvider({ hashing: { current: 'next', previous: HASHING } }), clock });
    expect((await rotating.authenticate(issued.secret)).result).toBe('valid');
  });

  it('a revoked key is revoked, an expired one expired', async () => {
    const revoked = await services.keys.create(operator(), { name: 'revoked' });
    await services.keys.revoke(operator(), revoked.key.id);
    expect(await auth.authenticate(revoked.secret)).toMatchObject({ result: 'revoked', key: { id: revoked.key.id } });

    const expiring = await services.keys.create(operator(), { name: 'expiring', expiresInMs: 60_000 });
    expect((await auth.authenticate(expiring.secret)).result).toBe('valid');
    clock.advance(61_000);
    expect(await auth.authenticate(expiring.secret)).toMatchObject({ result: 'expired', key: { id: expiring.key.id } });
  });

  it('over its limit a key is rate-limited until its window ends', async () => {
    const limited = await services.keys.create(operator(), { name: 'limited', rateLimit: { limit: 2, windowSeconds: 60 } });
    expect((await auth.authenticate(limited.secret)).result).toBe('valid');
    expect((await auth.authenticate(limited.secret)).result).toBe('valid');
    const refused = await auth.authenticate(limited.secret);
    expect(refused).toMatchObject({ result: 'rate_limited', key: { id: limited.key.id }, rateLimit: { limit: 2, remaining: 0 } });
    clock.advance(61_000);
    expect((await auth.authenticate(limited.secret)).result).toBe('valid');
  });

  it('inspect looks a key up without counting a request', async () => {
    const once = await services.keys.create(operator(), { name: 'inspected', rateLimit: { limit: 1, windowSeconds: 60 } });
    for (let i = 0; i < 3; i++) expect((await auth.inspect(once.secret))?.id).toBe(once.key.id);
    expect((await auth.authenticate(once.secret)).result).toBe('valid');
  });
});

describe('accountOf', () => {
  it('knows the account of a key admitted on this instance, and forgets it once the key is refused', async () => {
    const fresh = new Authenticator({ store: services.store, secrets: new StaticSecretsProvider({ hashing: { current: HASHING } }), clock });
    const issued = await services.keys.create(operator(), { name: 'hinted' });
    expect(await fresh.accountOf(issued.secret)).toBeUndefined();
    await fresh.authenticate(issued.secret);
    expect(await fresh.accountOf(issued.secret)).toBe(accountId);
    await services.keys.revoke(operator(), issued.key.id);
    expect((await fresh.authenticate(issued.secret)).result).toBe('revoked');
    expect(await fresh.accountOf(issued.secret)).toBeUndefined();
  });
});

describe('principalFor', () => {
  it('a key alone, or a person vouched for by a valid assertion bound to that key; a bad assertion is an error', async () => {
    const bot = await services.keys.create(operator(), { name: 'bot', type: 'viewer' });
    expect(await auth.principalFor(bot.key, undefined)).toEqual({ kind: 'key', key: bot.key });
    const assertion = signAssertion(BOT_SECRET, { sub: 'slack:T1:U1', bot: 'slack', kid: bot.key.id }, clock.now());
    const p = await auth.principalFor(bot.key, assertion);
    expect(p).toMatchObject({ kind: 'key', key: { id: bot.key.id }, person: { identity: 'slack:T1:U1', bot: 'slack' } });

    const other = await services.keys.create(operator(), { name: 'other', type: 'viewer' });
    await expect(auth.principalFor(other.key, assertion)).rejects.toMatchObject({
      code: 'insufficient_permissions',
      message: 'The actor assertion is not valid (wrong_key).',
    });
    const forged = signAssertion('not-the-bot-secret', { sub: 'slack:T1:U1', bot: 'slack', kid: bot.key.id }, clock.now());
    await expect(auth.principalFor(bot.key, forged)).rejects.toMatchObject({ message: 'The actor assertion is not valid (signature).' });
  });
});

describe('claimDelivery', () => {
  it('a bot claims an id once; a replay is taken; a claim without the bot proof is not_a_bot; another key claims its own', async () => {
    const bot = await services.keys.create(operator(), { name: 'claiming bot', type: 'viewer' });
    const proof = signDeliveryClaim(BOT_SECRET, bot.key.id, 'evt-1');
    expect(await auth.claimDelivery(bot.key, 'evt-1', proof, 60_000)).toBe('claimed');
    expect(await auth.claimDelivery(bot.key, 'evt-1', proof, 60_000)).toBe('taken');
    expect(await auth.claimDelivery(bot.key, 'evt-2', undefined, 60_000)).toBe('not_a_bot');
    expect(await auth.claimDelivery(bot.key, 'evt-2', proof, 60_000)).toBe('not_a_bot');

    const other = await services.keys.create(operator(), { name: 'other bot', type: 'viewer' });
    expect(await auth.claimDelivery(other.key, 'evt-1', proof, 60_000)).toBe('not_a_bot');
    expect(await auth.claimDelivery(other.key, 'evt-1', signDeliveryClaim(BOT_SECRET, other.key.id, 'evt-1'), 60_000)).toBe('claimed');
  });
});
