import { describe, expect, it } from 'vitest';
import { budgetAlertDelivery, decodeBudgetAlertButton, encodeBudgetAlertButton, reachedThresholds, suggestedBudget } from '../../../bots/core/budget-alerts';
import { sampleApiKey } from '../../support/sample-api-key';

/** The pure rules of the budget alerts: which threshold a key has reached, and what makes an alert once. */
const budget = (spent: number, extra: object = {}) => ({ credits: 20, period: 'month' as const, spent, remaining: Math.max(0, 20 - spent), resetsAt: '2026-07-01T00:00:00.000Z', ...extra });

describe('budget alert thresholds', () => {
  it('80 % and 100 %, highest first, exactly at the line; none below, without a budget, or for a key not active', () => {
    expect(reachedThresholds(sampleApiKey({ budget: budget(15.99) }))).toEqual([]);
    expect(reachedThresholds(sampleApiKey({ budget: budget(16) }))).toEqual([80]);
    expect(reachedThresholds(sampleApiKey({ budget: budget(19.999) }))).toEqual([80]);
    expect(reachedThresholds(sampleApiKey({ budget: budget(20) }))).toEqual([100, 80]);
    expect(reachedThresholds(sampleApiKey({ budget: budget(21) }))).toEqual([100, 80]);
    // 0.1 + 0.7 is 0.7999999999999999 in floating point: still 80 % of 1.
    expect(reachedThresholds(sampleApiKey({ budget: budget(0.1 + 0.7, { credits: 1 }) }))).toEqual([80]);
    expect(reachedThresholds(sampleApiKey())).toEqual([]);
    expect(reachedThresholds(sampleApiKey({ budget: budget(20), status: 'disabled' }))).toEqual([]);
  });

  it('an alert is one per key, period end, threshold, budget, bot and admin', () => {
    const key = sampleApiKey({ budget: budget(16) });
    const id = budgetAlertDelivery('slack', key, 80, 'slack:T1:U1');
    expect(id).toBe(`budget:${key.id}:2026-07-01T00:00:00.000Z:80:20/month:slack:slack:T1:U1`);
    const others = [
      budgetAlertDelivery('slack', sampleApiKey({ budget: budget(16, { resetsAt: '2026-08-01T00:00:00.000Z' }) }), 80, 'slack:T1:U1'),
      budgetAlertDelivery('slack', key, 100, 'slack:T1:U1'),
      budgetAlertDelivery('slack', sampleApiKey({ budget: budget(16, { credits: 40 }) }), 80, 'slack:T1:U1'),
      budgetAlertDelivery('teams', key, 80, 'slack:T1:U1'),
      budgetAlertDelivery('slack', key, 80, 'slack:T1:U2'),
    ];
    expect(new Set([id, ...others]).size).toBe(6);
    expect(budgetAlertDelivery('slack', sampleApiKey({ budget: budget(16, { period: 'total', resetsAt: null }) }), 80, 'a')).toContain(':total:');
  });

  it('buttons carry an op and a key id only; anything else is not a button', () => {
    const value = encodeBudgetAlertButton({ op: 'raise', keyId: 'key_abc' });
    expect(decodeBudgetAlertButton(value)).toEqual({ op: 'raise', keyId: 'key_abc' });
    expect(decodeBudgetAlertButton(JSON.stringify({ op: 'delete', keyId: 'key_abc' }))).toBeUndefined();
    expect(decodeBudgetAlertButton(JSON.stringify({ op: 'pause', keyId: 'key_abc 1/day' }))).toBeUndefined();
    expect(decodeBudgetAlertButton('not json')).toBeUndefined();
    expect(suggestedBudget(sampleApiKey({ budget: budget(16) }))).toBe('40/month');
  });
});
