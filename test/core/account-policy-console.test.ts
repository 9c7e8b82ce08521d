import { describe, expect, it } from 'vitest';
import { budgetRefusal, ceilingOf, expiryRefusal, lifetimeRefusal, neverRefusal, policyLine, policyOf, rateRefusal, typeRefusal } from '../../console/src/powers';

/**
 * The console's reading of an account policy (console/src/powers.ts), without a browser: the
 * create and edit dialogs say the policy in one line and disable, with the policy's name, what it
 * refuses; nothing when `/v1/me` carries no policy (an older server, or none set).
 */
type Me = Parameters<typeof ceilingOf>[1];
const personSession = { kind: 'person', actor: 'slack:T1:U1', operator: null } as unknown as Parameters<typeof ceilingOf>[0];
const keySession = { kind: 'key', actor: 'key:key_x', operator: null } as unknown as Parameters<typeof ceilingOf>[0];
const meWith = (policy: unknown) =>
  ({
    type: 'privileged',
    scopes: ['admin'],
    rateLimit: { limit: 6000, windowSeconds: 60 },
    models: null,
    expiresAt: null,
    budget: null,
    tokenLimit: null,
    maxConcurrent: null,
    account: { id: 'acct_x', name: 'a', apiAccess: true, credits: 1, policy },
  }) as unknown as Me;

describe('the console and an account policy', () => {
  const policy = {
    maxKeyLifetimeSeconds: 30 * 86_400,
    allowedKeyTypes: ['viewer', 'privileged'],
    maxRateLimit: { limit: 100, windowSeconds: 60 },
    maxBudget: { credits: 20, period: 'month' },
    privilegedRequiresApproval: true,
  };

  it('reads the policy from /v1/me for a key’s session and a person’s, and says it in one line', () => {
    for (const session of [keySession, personSession]) {
      const ceiling = ceilingOf(session, meWith(policy));
      expect(ceiling.policy).toEqual(policy);
      expect(policyLine(ceiling)).toBe(
        'Account policy: keys live at most 30d; key types: viewer, privileged; rate limit at most 100/60s; budget at most 20 credits/month; privileged keys only by approved request.',
      );
    }
    expect(policyOf(meWith(null))).toBeUndefined();
    expect(policyOf({ ...meWith(null), account: { id: 'acct_x', name: 'a', apiAccess: true, credits: 1 } } as unknown as Me)).toBeUndefined();
    expect(policyLine(ceilingOf(keySession, meWith(null)))).toBeUndefined();
  });

  it('names the policy beside each refused choice, and refuses nothing the policy allows', () => {
    const ceiling = ceilingOf(personSession, meWith(policy));
    expect(typeRefusal(ceiling, 'privileged')).toContain('privilegedRequiresApproval');
    expect(typeRefusal(ceiling, 'viewer')).toBeUndefined();
    expect(typeRefusal(ceilingOf(personSession, meWith({ allowedKeyTypes: ['privileged'] })), 'viewer')).toContain('allowedKeyTypes');
    expect(lifetimeRefusal(ceiling, 90 * 86_400_000)).toContain('maxKeyLifetimeSeconds (30d)');
    expect(lifetimeRefusal(ceiling, 7 * 86_400_000)).toBeUndefined();
    expect(neverRefusal(ceiling)).toContain('maxKeyLifetimeSeconds');
    expect(neverRefusal(ceilingOf(personSession, meWith({ expiryRequired: true })))).toContain('expiryRequired');
    expect(expiryRefusal(ceiling, new Date(Date.now() + 60 * 86_400_000).toISOString())).toContain('maxKeyLifetimeSeconds');
    expect(expiryRefusal(ceiling, new Date(Date.now() + 86_400_000).toISOString())).toBeUndefined();
    expect(rateRefusal(ceiling, { limit: 1000, windowSeconds: 60 })).toContain('maxRateLimit');
    expect(rateRefusal(ceiling, { limit: 50, windowSeconds: 60 })).toBeUndefined();
    expect(budgetRefusal(ceiling, null)).toContain('maxBudget');
    expect(budgetRefusal(ceiling, { credits: 5, period: 'day' })).toContain('maxBudget');
    expect(budgetRefusal(ceiling, { credits: 5, period: 'month' })).toBeUndefined();
  });

  it('a key’s own bound still comes first where both refuse', () => {
    const me = { ...meWith(policy), rateLimit: { limit: 10, windowSeconds: 60 } } as unknown as Me;
    expect(rateRefusal(ceilingOf(keySession, me), { limit: 1000, windowSeconds: 60 })).toContain('your key’s own');
  });
});
