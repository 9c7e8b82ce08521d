/**
 * What a model call's release gives back on its key's item (key-admission.ts), as parts of one
 * write: the budget's reservation less the price, the tokens used, the slot — and the credit
 * reservation less the price, back into the key's lease (key-lease.ts: settlement is this write).
 */
import type { KeyHoldRelease } from '../../core/ports';
import { roundCredits } from '../../core/credits';
import { slotAttribute } from './key-admission-plan';

/** A part of a release write: the attribute it writes (`path`), its update and its own condition. */
export interface ReleasePart {
  path: string;
  update: string;
  condition: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
  remove?: boolean;
  /**
   * The credits this part puts back in the key's lease, and whose account they are: when the key
   * is gone (deleted while the call ran), they go to the account itself, once.
   */
  orphan?: { accountId: string; amount: number };
}

/**
 * What `batch` gives back, as parts: the budget's reservations less the prices charged, into the
 * period each was taken in only (once a new period has begun, the old one's accounting is closed);
 * the tokens the calls used; each slot; the credit reservations less the prices, into the lease
 * (which may go below zero: debt, covered by the next lease the key takes).
 */
export function releaseParts(batch: Array<{ release: KeyHoldRelease; now: number }>): ReleasePart[] {
  const giveBacks = new Map<number, number>();
  let tokens = 0;
  let leaseBack = 0;
  let accountId: string | undefined;
  const parts: ReleasePart[] = [];
  batch.forEach(({ release, now }, k) => {
    const { hold } = release;
    if (hold.budget && hold.budget.periodEnd > now) {
      giveBacks.set(hold.budget.periodEnd, (giveBacks.get(hold.budget.periodEnd) ?? 0) + hold.budget.reserved - release.charge);
    }
    if (hold.credits && !hold.credits.refused) {
      leaseBack += hold.credits.reserved - release.charge;
      accountId = hold.credits.accountId;
    }
    if (hold.tokens && release.tokens > 0) tokens += release.tokens;
    if (hold.slot) {
      const name = slotAttribute(hold.slot.index);
      parts.push({ path: name, update: `#slot${k}`, condition: `#slot${k}.h = :holder${k}`, names: { [`#slot${k}`]: name }, values: { [`:holder${k}`]: hold.slot.holder }, remove: true });
    }
  });
  [...giveBacks].forEach(([end, credits], k) => {
    parts.push({
      path: 'budgetLeft',
      update: `budgetLeft = budgetLeft + :giveBack${k}`,
      condition: `budgetResetAt = :periodEnd${k}`,
      names: {},
      values: { [`:giveBack${k}`]: roundCredits(credits), [`:periodEnd${k}`]: end },
    });
  });
  leaseBack = roundCredits(leaseBack);
  if (leaseBack !== 0 && accountId !== undefined) {
    parts.push({
      path: 'lease',
      update: 'lease = lease + :leaseBack',
      condition: 'attribute_exists(lease)',
      names: {},
      values: { ':leaseBack': leaseBack },
      orphan: { accountId, amount: leaseBack },
    });
  }
  if (tokens > 0) parts.push({ path: 'tokensUsed', update: 'tokensUsed = tokensUsed + :tokens', condition: 'attribute_exists(tokensUsed)', names: {}, values: { ':tokens': tokens } });
  return parts;
}
