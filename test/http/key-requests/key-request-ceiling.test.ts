import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../../../lambdas/core/duration';
import { beyondCeiling, ceilingRefusal } from '../../../lambdas/core/key-request-ceiling';

/** The per-channel ceiling rule (core/key-request-ceiling.ts), pure: each axis, and an axis the request leaves out. */
describe('request ceilings', () => {
  const viewer = { type: 'viewer' as const, scopes: ['models:read', 'responses:write'] };

  it('allows anything within every axis set, and anything at all under no ceiling', () => {
    expect(beyondCeiling({ ...viewer, budget: { credits: 10, period: 'month' }, expiresInMs: 30 * DAY_MS }, { type: 'viewer', scopes: ['models:read', 'responses:write'], budget: { credits: 20, period: 'month' }, maxLifetimeMs: 90 * DAY_MS })).toEqual([]);
    expect(beyondCeiling({ type: 'privileged', scopes: ['admin'] }, {})).toEqual([]);
  });

  it('names each axis a request goes beyond', () => {
    const reasons = beyondCeiling(
      { type: 'privileged', scopes: ['models:read', 'keys:write'], budget: { credits: 5, period: 'day' }, expiresInMs: 365 * DAY_MS },
      { type: 'viewer', scopes: ['models:read'], budget: { credits: 20, period: 'month' }, maxLifetimeMs: 30 * DAY_MS },
    );
    expect(reasons).toEqual([
      'a privileged key (this channel allows viewer keys at most)',
      'the scopes keys:write (this channel allows models:read)',
      '5/day (this channel allows at most 20/month)',
      'a lifetime of 365d (this channel allows 30d at most)',
    ]);
    expect(ceilingRefusal(reasons)).toContain('Requests from this channel cannot ask for a privileged key');
  });

  it('a budget or lifetime left out of the request exceeds a ceiling that sets one', () => {
    expect(beyondCeiling(viewer, { budget: { credits: 20, period: 'month' }, maxLifetimeMs: 30 * DAY_MS })).toEqual([
      'no budget (this channel allows at most 20/month)',
      'the default lifetime (this channel allows 30d at most)',
    ]);
  });
});
