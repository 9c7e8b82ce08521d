import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rateWider, widerAxes, type Powers } from '../../lambdas/core/authority';
import { checkPermission } from '../../lambdas/core/policy';
import { SCOPES, type Scope } from '../../lambdas/core/scopes';

/** Small vocabularies so generated actors and targets collide often enough to be interesting. */
const permissions = [...SCOPES.slice(0, 4), 'admin', 'keys:write', 'tickets:read'] as const;
const attrs = ['region', 'team'] as const;
const values = ['eu', 'us', '${context.region}', '${context.team}'] as const;

const roleArb = fc.record({
  name: fc.constantFrom('a', 'b'),
  permissions: fc.uniqueArray(fc.constantFrom(...permissions, '*'), { minLength: 1, maxLength: 3 }),
  filters: fc.dictionary(fc.constantFrom(...attrs), fc.constantFrom(...values), { maxKeys: 2 }),
});

export const powersArb: fc.Arbitrary<Powers> = fc.record({
  type: fc.constantFrom('viewer', 'privileged', 'system'),
  scopes: fc.uniqueArray(fc.constantFrom(...(SCOPES as readonly Scope[])), { minLength: 1, maxLength: 6 }),
  roles: fc.array(roleArb, { maxLength: 2 }),
  context: fc.dictionary(fc.constantFrom(...attrs), fc.constantFrom('eu', 'us'), { maxKeys: 2 }),
  rateLimit: fc.record({ limit: fc.integer({ min: 1, max: 100 }), windowSeconds: fc.constantFrom(1, 60, 3600) }),
  expiresAt: fc.option(fc.integer({ min: 1, max: 10 }), { nil: null }),
  models: fc.option(fc.uniqueArray(fc.constantFrom('archibot', 'archibot-mini', 'other'), { maxLength: 2 }), { nil: undefined }),
});

/**
 * A target derived from an actor by small edits (drop or add a scope, a role, a permission or a
 * filter, change a filter's value or the context, shift limits): mostly no wider, sometimes wider,
 * so the soundness property below is not satisfied vacuously.
 */
const derivedArb = (actor: Powers): fc.Arbitrary<Powers> =>
  fc.record({
    type: fc.constantFrom(actor.type, 'viewer', 'privileged'),
    scopes: fc
      .tuple(fc.subarray(actor.scopes), fc.option(fc.constantFrom(...(SCOPES as readonly Scope[])), { freq: 4 }))
      .map(([kept, extra]) => [...new Set(extra ? [...kept, extra] : kept)])
      .filter((s) => s.length > 0),
    roles: fc.oneof(
      fc.constant(actor.roles),
      fc.subarray(actor.roles),
      fc.array(roleArb, { maxLength: 2 }),
      fc.constant(
        actor.roles.map((r) => ({ ...r, filters: {} })),
      ),
      fc.constant(actor.roles.map((r) => ({ ...r, permissions: r.permissions.slice(0, 1) }))),
    ),
    context: fc.oneof(fc.constant(actor.context), fc.dictionary(fc.constantFrom(...attrs), fc.constantFrom('eu', 'us'), { maxKeys: 2 })),
    rateLimit: fc.record({
      limit: fc.integer({ min: 1, max: actor.rateLimit.limit + 1 }),
      windowSeconds: fc.constantFrom(actor.rateLimit.windowSeconds, 1, 60, 3600),
    }),
    expiresAt: fc.oneof(fc.constant(actor.expiresAt), fc.option(fc.integer({ min: 1, max: 10 }), { nil: null })),
    models: fc.oneof(fc.constant(actor.models), fc.constant(undefined), fc.constant(['archibot'] as string[])),
  });

const resourceArb = fc.dictionary(fc.constantFrom(...attrs), fc.constantFrom('eu', 'us', ''), { maxKeys: 2 });

describe('authority: is one key wider than another', () => {
  it('no key is wider than itself', () => {
    fc.assert(
      fc.property(powersArb, (k) => {
        expect(widerAxes(k, k)).toEqual([]);
      }),
    );
  });

  it('sound against the policy: a target no wider than its actor is allowed nothing the actor is not', () => {
    fc.assert(
      fc.property(
        powersArb.chain((actor) => fc.tuple(fc.constant(actor), derivedArb(actor))),
        fc.constantFrom(...permissions),
        resourceArb,
        ([actor, target], permission, resource) => {
          if (widerAxes(target, actor).length > 0) return;
          if (checkPermission(target, permission, resource).allowed) {
            expect(checkPermission(actor, permission, resource).allowed).toBe(true);
          }
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('a narrower rate limit admits no larger burst and no higher rate', () => {
    const limit = fc.record({ limit: fc.integer({ min: 1, max: 1_000_000 }), windowSeconds: fc.integer({ min: 1, max: 86_400 }) });
    fc.assert(
      fc.property(limit, limit, (t, a) => {
        if (rateWider(t, a)) return;
        expect(t.limit).toBeLessThanOrEqual(a.limit);
        expect(t.limit / t.windowSeconds).toBeLessThanOrEqual(a.limit / a.windowSeconds + 1e-12);
      }),
    );
  });

  it('names every axis the issue found open', () => {
    const actor: Powers = {
      type: 'privileged',
      scopes: ['keys:read', 'keys:write'],
      roles: [{ name: 'eu', permissions: ['keys:read', 'keys:write'], filters: { region: '${context.region}' } }],
      context: { region: 'eu' },
      rateLimit: { limit: 3, windowSeconds: 60 },
      expiresAt: 3_600_000,
      models: ['archibot'],
    };
    expect(widerAxes({ ...actor, scopes: [...SCOPES] }, actor)).toEqual(['scopes']);
    expect(widerAxes({ ...actor, rateLimit: { limit: 1_000_000, windowSeconds: 60 } }, actor)).toEqual(['rate limit']);
    expect(widerAxes({ ...actor, rateLimit: { limit: 3, windowSeconds: 1 } }, actor)).toEqual(['rate limit']);
    expect(widerAxes({ ...actor, expiresAt: 999_999 * 86_400_000 }, actor)).toEqual(['expiry']);
    expect(widerAxes({ ...actor, expiresAt: null }, actor)).toEqual(['expiry']);
    expect(widerAxes({ ...actor, roles: [] }, actor)).toEqual(['roles']);
    expect(widerAxes({ ...actor, context: { region: 'us' } }, actor)).toEqual(['roles']);
    expect(widerAxes({ ...actor, models: undefined }, actor)).toEqual(['models']);
    expect(widerAxes({ ...actor, type: 'system' }, actor)).toEqual(['type']);
    // An expiring actor inside a rotation overlap ends when the overlap does.
    expect(widerAxes(actor, { ...actor, graceUntil: 60_000 })).toEqual(['expiry']);
  });
});
