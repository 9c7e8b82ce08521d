import { describe, expect, it } from 'vitest';
import { inheritedText } from '../../console/src/create-key-dialog';
import { changes, draftOf } from '../../console/src/key-edit';
import { beyondActor, budgetRefusal, ceilingOf, concurrencyRefusal, editBlocked, tokenLimitRefusal } from '../../console/src/powers';
import { sampleApiKey } from '../support/sample-api-key';

/**
 * The Edit dialog's budget, token limit and concurrency cap without a browser (issue 21): the
 * PATCH carries only the limits that changed, null removing one, and each value wider than the
 * signed-in key — none at all when that key is limited — is named with its reason.
 */
const NOW = Date.parse('2026-12-06T12:00:00Z');
type Me = Parameters<typeof ceilingOf>[1];
const keySession = { kind: 'key', actor: 'key:key_x', operator: null } as unknown as Parameters<typeof ceilingOf>[0];
const budget = (credits: number, period: 'day' | 'week' | 'month' | 'total', spent = 0) => ({ credits, period, spent, remaining: credits - spent, resetsAt: period === 'total' ? null : '2027-01-01T00:00:00.000Z' });

describe('the Edit dialog’s limits in the PATCH body', () => {
  const plain = sampleApiKey();
  const limited = sampleApiKey({ budget: budget(20, 'month', 5), tokenLimit: { tokens: 1000, windowSeconds: 60 }, maxConcurrent: 4 });

  it('a key without limits drafts as "none" for each, and sends nothing unchanged', () => {
    expect(draftOf(plain)).toMatchObject({ budgetOn: false, tokensOn: false, capOn: false, budgetPeriod: 'month', tokenWindow: '60' });
    expect(changes(plain, draftOf(plain), NOW)).toEqual({ body: {}, problems: [] });
    expect(changes(limited, draftOf(limited), NOW)).toEqual({ body: {}, problems: [] });
  });

  it('sets each limit as the API takes it', () => {
    const draft = { ...draftOf(plain), budgetOn: true, budgetCredits: '12.5', budgetPeriod: 'week' as const, tokensOn: true, tokens: '50000', tokenWindow: '3600', capOn: true, maxConcurrent: '3' };
    expect(changes(plain, draft, NOW)).toEqual({ body: { budget: { credits: 12.5, period: 'week' }, tokenLimit: { tokens: 50000, windowSeconds: 3600 }, maxConcurrent: 3 }, problems: [] });
  });

  it('sends only the limit that changed; a budget changed in period alone is a change', () => {
    expect(changes(limited, { ...draftOf(limited), budgetPeriod: 'day' }, NOW).body).toEqual({ budget: { credits: 20, period: 'day' } });
    expect(changes(limited, { ...draftOf(limited), maxConcurrent: '8' }, NOW).body).toEqual({ maxConcurrent: 8 });
  });

  it('"none" removes a limit with null', () => {
    const draft = { ...draftOf(limited), budgetOn: false, tokensOn: false, capOn: false };
    expect(changes(limited, draft, NOW)).toEqual({ body: { budget: null, tokenLimit: null, maxConcurrent: null }, problems: [] });
  });

  it('names what must be fixed instead of sending it; a limit switched off is not checked', () => {
    const draft = { ...draftOf(plain), budgetOn: true, budgetCredits: '0', tokensOn: true, tokens: '1.5', tokenWindow: '2592001', capOn: true, maxConcurrent: '1001' };
    const { body, problems } = changes(plain, draft, NOW);
    expect(body).toEqual({});
    expect(problems).toEqual([
      'Budget: a number of credits above 0, at most 1000000000.',
      'Tokens per window: a whole number from 1 to 10000000000.',
      'Token window: a whole number of seconds from 1 to 2592000 (30 days).',
      'Calls at once: a whole number from 1 to 1000.',
    ]);
    expect(changes(plain, { ...draft, budgetOn: false, tokensOn: false, capOn: false }, NOW)).toEqual({ body: {}, problems: [] });
    expect(changes(plain, { ...draftOf(plain), budgetOn: true, budgetCredits: '0.0000001' }, NOW).problems).toHaveLength(1);
    expect(changes(plain, { ...draftOf(plain), budgetOn: true, budgetCredits: '1e3' }, NOW).problems).toHaveLength(1);
  });
});

describe('which limits the signed-in actor may set (widerAxes)', () => {
  const actor = {
    type: 'privileged',
    scopes: ['keys:read', 'keys:write'],
    rateLimit: { limit: 100, windowSeconds: 60 },
    models: null,
    expiresAt: null,
    budget: budget(20, 'month', 3),
    tokenLimit: { tokens: 1000, windowSeconds: 60 },
    maxConcurrent: 4,
  } as unknown as Me;
  const bounded = ceilingOf(keySession, actor);

  it('a limited actor may not choose "none" for a limit it has itself', () => {
    expect(budgetRefusal(bounded, null)).toBe('your key has a budget (20 credits/month)');
    expect(tokenLimitRefusal(bounded, null)).toBe('your key is limited to 1000 tokens per 60 s');
    expect(concurrencyRefusal(bounded, null)).toBe('your key allows at most 4 calls at once');
  });

  it('a wider value is refused with the actor’s own; as much or less is allowed', () => {
    expect(budgetRefusal(bounded, { credits: 21, period: 'month' })).toBe('wider than your key’s own 20 credits/month');
    expect(budgetRefusal(bounded, { credits: 20, period: 'week' })).toBe('wider than your key’s own 20 credits/month');
    expect(budgetRefusal(bounded, { credits: 20, period: 'month' })).toBeUndefined();
    expect(budgetRefusal(bounded, { credits: 5, period: 'total' })).toBeUndefined();
    expect(tokenLimitRefusal(bounded, { tokens: 1000, windowSeconds: 30 })).toBe('wider than your key’s own 1000 tokens per 60 s');
    expect(tokenLimitRefusal(bounded, { tokens: 500, windowSeconds: 60 })).toBeUndefined();
    expect(concurrencyRefusal(bounded, 5)).toBe('more than your key’s own 4 calls at once');
    expect(concurrencyRefusal(bounded, 4)).toBeUndefined();
  });

  it('an actor without limits, or a person’s session, may set any of them or none', () => {
    const free = ceilingOf(keySession, { ...actor, budget: null, tokenLimit: null, maxConcurrent: null } as Me);
    const person = ceilingOf({ ...keySession, kind: 'person' }, actor);
    for (const ceiling of [free, person]) {
      expect([budgetRefusal(ceiling, null), tokenLimitRefusal(ceiling, null), concurrencyRefusal(ceiling, null)]).toEqual([undefined, undefined, undefined]);
      expect(budgetRefusal(ceiling, { credits: 1e9, period: 'day' })).toBeUndefined();
      expect(concurrencyRefusal(ceiling, 1000)).toBeUndefined();
    }
  });

  it('a key with no limit, or wider ones, is already beyond a limited actor: the dialog says the API refuses any edit', () => {
    const within = sampleApiKey({ budget: budget(10, 'month'), tokenLimit: { tokens: 100, windowSeconds: 60 }, maxConcurrent: 2, rateLimit: { limit: 10, windowSeconds: 60 }, expiresAt: null });
    expect(beyondActor(bounded, within)).toEqual([]);
    expect(beyondActor(bounded, { ...within, budget: null, tokenLimit: { tokens: 2000, windowSeconds: 60 }, maxConcurrent: null })).toEqual(['budget', 'token limit', 'concurrency']);
    expect(editBlocked(bounded, { ...within, maxConcurrent: 8 })).toMatch(/wider concurrency\)/);
  });

  it('the Create form tells a limited signer the new key gets its own limits', () => {
    expect(inheritedText(bounded)).toBe('The new key gets your key’s own limits: a budget of 20 credits/month, 1000 tokens per 60 s, at most 4 calls at once. Edit it afterwards to narrow them.');
    expect(inheritedText(ceilingOf(keySession, { ...actor, budget: null, tokenLimit: null } as Me))).toBe('The new key gets your key’s own limits: at most 4 calls at once. Edit it afterwards to narrow them.');
    expect(inheritedText(ceilingOf(keySession, { ...actor, budget: null, tokenLimit: null, maxConcurrent: null } as Me))).toBeUndefined();
    expect(inheritedText(ceilingOf({ ...keySession, kind: 'person' }, actor))).toBeUndefined();
  });
});
