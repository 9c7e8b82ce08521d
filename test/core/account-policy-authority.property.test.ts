import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoClient } from '../../lambdas/adapters/dynamodb-client';
import { ensureTable, startDynalite, type DynaliteServer } from '../../lambdas/adapters/dynalite-server';
import { StaticSecretsProvider } from '../../lambdas/adapters/secrets';
import { loadConfig } from '../../lambdas/config';
import { policyViolation, type AccountPolicy, type PolicyName } from '../../lambdas/core/account-policy';
import { widerAxes } from '../../lambdas/core/authority';
import { KeywardenError } from '../../lambdas/core/errors';
import type { CreateKeyInput, KeyChanges } from '../../lambdas/core/key-service';
import type { Principal } from '../../lambdas/core/principal';
import type { KeyRecord } from '../../lambdas/core/types';
import { buildServices, type Services } from '../../lambdas/services';
import { forbiddenEdit, forbiddenRotation, policyArb } from '../http/policies/policy-arbitraries';
import { budgetWider, rateWider } from '../../lambdas/core/authority';

/**
 * Account policies over SPEC §3's authority matrix, differentially, on the real service (dynalite):
 * two accounts whose projects hold keys of the same generated powers, one under a generated
 * policy, one under none. For generated actors, targets and asks, on create, edit and rotate, the
 * policy's project succeeds exactly when the free one does and the policy forbids nothing — so a
 * policy refuses what it forbids (naming it), never anything it allows, and never lets through what
 * the authority rule refuses — and what it lets through is within the policy.
 */
let dynalite: DynaliteServer;
let services: Services;
const projects = { free: '', bound: '' };
let boundAccount = '';
const secrets = new StaticSecretsProvider({ hashing: { current: 'policy-hashing' }, botAssertion: { current: 'x' } });
const op = (projectId: string): Principal => ({ kind: 'operator', actor: 'test', projectId });

beforeAll(async () => {
  dynalite = await startDynalite();
  const dynamo = createDynamoClient(dynalite.endpoint);
  await ensureTable(dynamo, 'policy-authority');
  services = buildServices(loadConfig({ TABLE_NAME: 'policy-authority', DYNAMODB_ENDPOINT: dynalite.endpoint }), { dynamo, secrets });
  for (const side of ['free', 'bound'] as const) {
    const account = await services.operator.createAccount({ name: side, apiAccess: true, credits: 0 });
    if (side === 'bound') boundAccount = account.id;
    projects[side] = (await services.operator.createProject({ accountId: account.id, name: side, actor: 'test' })).project.id;
    // A standing admin key: revocations elsewhere never meet the last-admin rule.
    await services.keys.create(op(projects[side]), { name: 'standing admin', expiresInMs: null });
  }
});
afterAll(async () => {
  services?.dynamo.destroy();
  await dynalite?.close();
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Actors: bounded or not on each axis a policy is about, with or without keys:write. */
const actorArb: fc.Arbitrary<CreateKeyInput> = fc.record({
  type: fc.constantFrom('privileged' as const, 'viewer' as const),
  scopes: fc.constantFrom(['admin'], ['keys:read', 'keys:write', 'models:read'], ['models:read']),
  expiresInMs: fc.constantFrom(null, 12 * HOUR, 60 * DAY),
  rateLimit: fc.constantFrom({ limit: 6000, windowSeconds: 60 }, { limit: 20, windowSeconds: 60 }),
  budget: fc.option(fc.constantFrom({ credits: 30, period: 'month' as const }, { credits: 2, period: 'day' as const }), { nil: undefined }),
});
const askArb: fc.Arbitrary<CreateKeyInput> = fc.record(
  {
    type: fc.constantFrom('privileged' as const, 'viewer' as const),
    expiresInMs: fc.constantFrom(6 * HOUR, 7 * DAY, 90 * DAY),
    rateLimit: fc.constantFrom({ limit: 5, windowSeconds: 60 }, { limit: 100, windowSeconds: 60 }),
    budget: fc.constantFrom({ credits: 1, period: 'day' as const }, { credits: 20, period: 'month' as const }),
  },
  { requiredKeys: [] },
);
const changesArb = (now: number): fc.Arbitrary<KeyChanges> =>
  fc.record(
    {
      name: fc.constant('renamed'),
      expiresAt: fc.option(fc.constantFrom(now + 10 * HOUR, now + 10 * DAY, now + 400 * DAY), { nil: null }),
      rateLimit: fc.constantFrom({ limit: 5, windowSeconds: 60 }, { limit: 500, windowSeconds: 60 }),
      budget: fc.option(fc.constantFrom({ credits: 2, period: 'day' as const }, { credits: 40, period: 'month' as const }), { nil: null }),
    },
    { requiredKeys: [] },
  );

/** What a create asks for that the policy forbids (the explicit asks; defaults follow the policy). */
function forbiddenCreate(policy: AccountPolicy, ask: CreateKeyInput): PolicyName[] {
  const out: PolicyName[] = [];
  const type = ask.type ?? 'privileged';
  if (policy.allowedKeyTypes && !policy.allowedKeyTypes.includes(type)) out.push('allowedKeyTypes');
  if (type === 'privileged' && policy.privilegedRequiresApproval) out.push('privilegedRequiresApproval');
  if (typeof ask.expiresInMs === 'number' && policy.maxKeyLifetimeSeconds !== undefined && ask.expiresInMs > policy.maxKeyLifetimeSeconds * 1000) out.push('maxKeyLifetimeSeconds');
  if (ask.rateLimit && policy.maxRateLimit && rateWider(ask.rateLimit, policy.maxRateLimit)) out.push('maxRateLimit');
  if (ask.budget && policy.maxBudget && budgetWider(ask.budget, policy.maxBudget)) out.push('maxBudget');
  return out;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; code: string; policy?: string };
async function attempt<T>(run: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (err) {
    if (!(err instanceof KeywardenError) || err.code === 'not_found') throw err;
    const param = err.context.param;
    return { ok: false, code: err.code, ...(param?.startsWith('policy.') ? { policy: param.slice(7) } : {}) };
  }
}

/** The same operator-made key in both projects. */
async function twin(asked: CreateKeyInput): Promise<{ free: KeyRecord; bound: KeyRecord }> {
  // A viewer key holds read scopes only.
  const input = asked.type === 'viewer' ? { ...asked, scopes: ['models:read'] } : asked;
  const [free, bound] = await Promise.all([
    services.keys.create(op(projects.free), { name: 'generated', ...input }),
    services.keys.create(op(projects.bound), { name: 'generated', ...input }),
  ]);
  return { free: free.key, bound: bound.key };
}

/** The differential verdict: refused by the policy exactly when free succeeds and the policy forbids; otherwise as free. */
function expectDifferential<T>(free: Outcome<T>, bound: Outcome<T>, forbidden: PolicyName[], what: string): void {
  const context = `${what}: free ${JSON.stringify(free)} bound ${JSON.stringify(bound)} forbidden ${forbidden.join(',')}`;
  expect(bound.ok, context).toBe(free.ok && forbidden.length === 0);
  if (!bound.ok && bound.policy) expect(forbidden, context).toContain(bound.policy);
  if (!bound.ok && free.ok) expect(bound.policy, context).toBeDefined();
}

const ADMIN_ACTOR: CreateKeyInput = { type: 'privileged', scopes: ['admin'], expiresInMs: null, rateLimit: { limit: 6000, windowSeconds: 60 } };
const VIEWER_TARGET: CreateKeyInput = { type: 'viewer', scopes: ['models:read'], expiresInMs: 12 * HOUR, rateLimit: { limit: 20, windowSeconds: 60 } };

// A bound for a hang, not a speed target: 2–5 s on a quiet machine, 27 s under load in CI (vitest's default is 30 s).
describe('account policies over the authority matrix (differential)', { timeout: 240_000 }, () => {
  it('create, edit and rotate: a policy takes away exactly what it forbids', async () => {
    const tally = { policyRefused: 0, bothOk: 0, authorityRefused: 0 };
    const now = Date.now();
    await fc.assert(
      fc.asyncProperty(actorArb, askArb, policyArb, changesArb(now), actorArb, async (actorIn, ask, policy, changes, targetIn) => {
        await services.operator.setAccountPolicy(boundAccount, null, 'cli:test');
        const actor = await twin(actorIn);
        const target = await twin(targetIn);
        await services.operator.setAccountPolicy(boundAccount, policy, 'cli:test');
        const as = (key: KeyRecord): Principal => ({ kind: 'key', key });

        const created = { free: await attempt(() => services.keys.create(as(actor.free), { name: 'minted', ...ask })), bound: await attempt(() => services.keys.create(as(actor.bound), { name: 'minted', ...ask })) };
        expectDifferential(created.free, created.bound, forbiddenCreate(policy, ask), 'create');
        if (created.bound.ok) {
          expect(policyViolation(policy, created.bound.value.key, 'approval', Date.now())).toBeUndefined();
          expect(widerAxes(created.bound.value.key, actor.bound)).toEqual([]);
        }

        const edited = { free: await attempt(() => services.keys.update(as(actor.free), target.free.id, changes)), bound: await attempt(() => services.keys.update(as(actor.bound), target.bound.id, changes)) };
        expectDifferential(edited.free, edited.bound, forbiddenEdit(policy, target.bound, changes as never, Date.now()), 'edit');

        const current = (await services.store.getKey(target.bound.id))!;
        const rotated = { free: await attempt(() => services.keys.rotate(as(actor.free), target.free.id)), bound: await attempt(() => services.keys.rotate(as(actor.bound), target.bound.id)) };
        // An edit refused on one side only leaves the twins different: compare rotations only when both stand alike.
        if (edited.free.ok === edited.bound.ok) expectDifferential(rotated.free, rotated.bound, forbiddenRotation(policy, current), 'rotate');
        if (rotated.bound.ok) expect(policyViolation(policy, rotated.bound.value.key, 'rotate', Date.now())).toBeUndefined();
        if (rotated.bound.ok && policy.maxKeyLifetimeSeconds) expect(rotated.bound.value.key.expiresAt!).toBeLessThanOrEqual(Date.now() + policy.maxKeyLifetimeSeconds * 1000);

        for (const pair of [created, edited, rotated]) {
          if (pair.bound.ok) tally.bothOk++;
          else if (pair.free.ok) tally.policyRefused++;
          else tally.authorityRefused++;
        }
      }),
      {
        numRuns: 50,
        // Each verdict the tally below requires, run every time rather than left to the draw.
        examples: [
          // An admin actor, no policy limit in play: everything goes through on both sides.
          [ADMIN_ACTOR, {}, { expiryRequired: false }, { name: 'renamed' }, VIEWER_TARGET],
          // The policy allows viewers only: the privileged create is the policy's refusal.
          [ADMIN_ACTOR, { type: 'privileged' }, { allowedKeyTypes: ['viewer'] }, { name: 'renamed' }, VIEWER_TARGET],
          // A key that cannot manage keys: the authority rule refuses on both sides.
          [{ ...VIEWER_TARGET, type: 'viewer' }, {}, { expiryRequired: false }, { name: 'renamed' }, VIEWER_TARGET],
        ],
      },
    );
    // Not vacuous: the policy refused, both went through, and the authority rule refused on its own.
    expect(tally.policyRefused).toBeGreaterThan(0);
    expect(tally.bothOk).toBeGreaterThan(0);
    expect(tally.authorityRefused).toBeGreaterThan(0);
  });
});
