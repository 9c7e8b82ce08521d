/**
 * The admission write planned from what an instance last saw of a key's item (key-admission.ts),
 * for one call or for several admitted together (group commit: what queued while the key's lanes
 * were busy goes out in one write). Pure: items in, update expressions and outcomes out.
 *
 * A batch of n counts n calls in the rate-limit window, takes the sum of their reservations from
 * the budget, and leases one concurrency slot for each model call — all or nothing, on the same
 * conditions one call asserts, so every limit stays exact: the window's room is asserted against
 * the limit this instance saw (`rlMax = :max AND rlCount <= :room`), since an update's condition
 * cannot add.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { periodEnd } from '../../core/budget';
import { roundCredits } from '../../core/credits';
import { keyStatus } from '../../core/key-status';
import { SLOT_LEASE_MS, type AdmitOutcome, type KeyHold, type ModelCallAdmission } from '../../core/ports';
import type { KeyRecord } from '../../core/types';
import { strip } from './table-access';

export type Item = Record<string, unknown>;

/** A slot's attribute: `slot0` … `slot999` (maxConcurrent ≤ 1000). */
export const slotAttribute = (index: number) => `slot${index}`;
export const SLOT_ATTRIBUTE = /^slot\d+$/;

const ZERO: AttributeValue = { N: '0' };

/** What one call of a write holds once the write lands. */
export type CallHold = Omit<KeyHold, 'budget' | 'tokens' | 'credits'> & { budgetEnd?: number; reserve?: number; credit?: number };

export interface Plan {
  update: string[];
  condition: string[];
  names: Record<string, string>;
  values: Record<string, AttributeValue>;
  /** Per call, in the batch's order. */
  holds: CallHold[];
  /** Credits the write takes from the key's lease (the model calls' reservations). */
  credit: number;
}

/**
 * The write for `calls` (each a model call's admission, or undefined for a plain request), planned
 * on `item` (undefined: nothing seen yet, so the common case — a current window, no model-call
 * limits — is assumed and asserted; a batch of more than one needs `item`).
 * `'concurrency'`: the cap leaves fewer free slots than the batch's model calls, as far as `item` shows.
 */
export function planFor(
  item: Item | undefined,
  now: number,
  calls: Array<ModelCallAdmission | undefined>,
  mine: Set<number> | undefined,
  /** Take the model calls' reservations from the key's lease (false: no lease could be taken; nothing reserved). */
  credits = true,
): Plan | 'concurrency' {
  const n = calls.length;
  const plan: Plan = {
    update: ['lastUsedAt = :used'],
    condition: [
      'attribute_exists(pk) AND #h = :hash AND #s = :active',
      '(attribute_not_exists(expiresAt) OR expiresAt > :now)',
      '(attribute_not_exists(graceUntil) OR graceUntil > :now)',
    ],
    names: {},
    values: {},
    holds: calls.map(() => ({})),
    credit: 0,
  };
  const count = { N: String(n) };
  // The rate-limit window: the current one, or a new one from now.
  if (item === undefined || Number(item.rlResetAt ?? 0) > now) {
    if (n === 1) {
      plan.update.push('rlCount = rlCount + :n');
      plan.condition.push('rlResetAt > :now AND rlCount < rlMax');
      plan.values[':n'] = count;
    } else {
      const max = Number(item!.rlMax);
      plan.update.push('rlCount = rlCount + :n');
      plan.condition.push('rlResetAt > :now AND rlMax = :max AND rlCount <= :room');
      Object.assign(plan.values, { ':n': count, ':max': { N: String(max) }, ':room': { N: String(max - n) } });
    }
  } else {
    plan.update.push('rlCount = :n', 'rlResetAt = :now + rlWindowMs');
    plan.condition.push('(attribute_not_exists(rlResetAt) OR rlResetAt <= :now) AND rlMax >= :n');
    plan.values[':n'] = count;
  }
  const modelCalls = calls.flatMap((call, i) => (call ? [{ call, i }] : []));
  if (modelCalls.length === 0) return plan;
  if (credits) {
    // The reservations, from the credits the key holds as a lease from its account (key-lease.ts).
    for (const { call, i } of modelCalls) plan.holds[i]!.credit = call.reserve;
    plan.credit = roundCredits(modelCalls.reduce((sum, { call }) => sum + call.reserve, 0));
    plan.update.push('lease = lease - :credit');
    plan.condition.push('lease >= :credit');
    plan.values[':credit'] = { N: String(plan.credit) };
  }
  const budget = item?.budget as KeyRecord['budget'];
  if (!budget) plan.condition.push('attribute_not_exists(budget)');
  else {
    // A budget smaller than one reservation reserves all of itself.
    let total = 0;
    for (const { call, i } of modelCalls) {
      const reserve = Math.min(call.reserve, budget.credits);
      plan.holds[i]!.reserve = reserve;
      total += reserve;
    }
    plan.values[':reserve'] = { N: String(total) };
    const running = runningPeriod(item!, now);
    const end = running ? running.end : periodEnd(budget.period, now);
    if (running) {
      plan.update.push('budgetLeft = budgetLeft - :reserve');
      plan.condition.push('budgetResetAt = :budgetEnd AND budgetLeft >= :reserve');
    } else {
      // A new period: all of the budget, less the reservations.
      plan.update.push('budgetLeft = budget.credits - :reserve', 'budgetResetAt = :budgetEnd');
      plan.condition.push('(attribute_not_exists(budgetResetAt) OR budgetResetAt <= :now) AND budget.#period = :period AND budget.credits >= :reserve');
      plan.names['#period'] = 'period';
      plan.values[':period'] = { S: budget.period };
    }
    plan.values[':budgetEnd'] = { N: String(end) };
    for (const { i } of modelCalls) plan.holds[i]!.budgetEnd = end;
  }
  const tokenLimit = item?.tokenLimit as KeyRecord['tokenLimit'];
  if (!tokenLimit) plan.condition.push('attribute_not_exists(tokenLimit)');
  else if (runningTokenWindow(item!, now)) {
    plan.condition.push('tokensResetAt > :now AND tokensUsed < tokenLimit.tokens');
  } else {
    plan.update.push('tokensUsed = :zero', 'tokensResetAt = :tokensEnd');
    plan.condition.push('(attribute_not_exists(tokensResetAt) OR tokensResetAt <= :now) AND tokenLimit.windowSeconds = :tokenWindow');
    Object.assign(plan.values, { ':zero': ZERO, ':tokensEnd': { N: String(now + tokenLimit.windowSeconds * 1000) }, ':tokenWindow': { N: String(tokenLimit.windowSeconds) } });
  }
  const cap = item?.maxConcurrent as number | undefined;
  if (cap === undefined) plan.condition.push('attribute_not_exists(maxConcurrent)');
  else {
    const taken = new Set(mine);
    const slots: number[] = [];
    for (let k = 0; k < modelCalls.length; k++) {
      const index = freeSlot(item!, cap, now, taken);
      if (index === undefined) return 'concurrency';
      taken.add(index);
      slots.push(index);
    }
    plan.condition.push(`maxConcurrent > :slotIndex`);
    plan.values[':slotIndex'] = { N: String(Math.max(...slots)) };
    slots.forEach((index, k) => {
      const holder = crypto.randomUUID();
      plan.update.push(`#slot${k} = :lease${k}`);
      plan.condition.push(`(attribute_not_exists(#slot${k}) OR #slot${k}.u < :now)`);
      plan.names[`#slot${k}`] = slotAttribute(index);
      plan.values[`:lease${k}`] = { M: { u: { N: String(now + SLOT_LEASE_MS) }, h: { S: holder } } };
      plan.holds[modelCalls[k]!.i]!.slot = { index, holder };
    });
  }
  return plan;
}

/** The budget period `item` is in at `now`, if one is running (else the next call starts one): credits left and its end. */
export function runningPeriod(item: Item, now: number): { left: number; end: number } | undefined {
  const end = Number(item.budgetResetAt ?? 0);
  return end > now && item.budgetLeft !== undefined ? { left: Number(item.budgetLeft), end } : undefined;
}

/** The token window `item` is in at `now`, if one is running: tokens settled in it and its end. */
function runningTokenWindow(item: Item, now: number): { used: number; end: number } | undefined {
  const end = Number(item.tokensResetAt ?? 0);
  return end > now && item.tokensUsed !== undefined ? { used: Number(item.tokensUsed), end } : undefined;
}

/** A key that is not there: refused, nothing counted. */
export function unknownKey(now: number): AdmitOutcome {
  return { admitted: false, key: undefined, window: { count: 0, resetAt: now } };
}

/** A slot below the cap that `item` shows free (never leased, or its lease ran out) and this instance is not claiming. */
function freeSlot(item: Item, cap: number, now: number, mine: Set<number> | undefined): number | undefined {
  for (let i = 0; i < cap; i++) {
    if (mine?.has(i)) continue;
    const lease = item[slotAttribute(i)] as { u?: number } | undefined;
    if (!lease || Number(lease.u ?? 0) < now) return i;
  }
  return undefined;
}

/** Why a call was refused, from the item as it stands; undefined when there is room (a race: plan again). */
export function refusalOf(item: Item, hash: string, now: number, call: ModelCallAdmission | undefined, credits = true): 'rate' | 'budget' | 'tokens' | 'concurrency' | 'lease' | undefined {
  const key = toKey(item);
  if (item.hash !== hash || keyStatus(key, now) !== 'active') return 'rate';
  if (windowRoom(item, now) <= 0) return 'rate';
  if (!call) return undefined;
  if (key.budget && (runningPeriod(item, now)?.left ?? key.budget.credits) < Math.min(call.reserve, key.budget.credits)) return 'budget';
  const tokens = runningTokenWindow(item, now);
  if (key.tokenLimit && tokens && tokens.used >= key.tokenLimit.tokens) return 'tokens';
  if (key.maxConcurrent !== undefined && freeSlot(item, key.maxConcurrent, now, undefined) === undefined) return 'concurrency';
  // The key's lease cannot cover the call: a lease is taken, then the call admitted again.
  if (credits && leaseShort(item, call.reserve) > 0) return 'lease';
  return undefined;
}

/** The answer to a refused call, as `item` shows the key (a wrong secret: no key named). */
export function refusedBy(item: Item, hash: string, now: number, refusal: 'budget' | 'tokens' | 'concurrency' | 'rate'): AdmitOutcome {
  const key = toKey(item);
  if (item.hash !== hash) return { admitted: false, key: undefined, window: windowOf(item, now) };
  return { admitted: false, key, window: windowOf(item, now), ...(refusal === 'rate' ? {} : { refusal, hold: holdState(item, now) }) };
}

/** Credits the key's lease lacks to cover `credit` more, as `item` shows it (0: it covers them). */
export function leaseShort(item: Item, credit: number): number {
  const lease = Number(item.lease ?? 0);
  return lease >= credit ? 0 : roundCredits(credit - lease);
}

/** Calls the rate-limit window has room for at `now`, as `item` shows it (a new window: the whole limit). */
export function windowRoom(item: Item, now: number): number {
  const limit = Number(item.rlMax ?? toKey(item).rateLimit?.limit ?? 0);
  const window = windowOf(item, now);
  return window.resetAt > now ? limit - window.count : limit;
}

/** The budget and token windows as `item` shows them (what a refusal reports in its headers). */
export function holdState(item: Item, now: number): KeyHold {
  const key = toKey(item);
  const hold: KeyHold = {};
  if (key.budget) {
    const running = runningPeriod(item, now);
    hold.budget = {
      reserved: 0,
      credits: key.budget.credits,
      left: running?.left ?? key.budget.credits,
      periodEnd: running?.end ?? periodEnd(key.budget.period, now),
    };
  }
  if (key.tokenLimit) {
    const running = runningTokenWindow(item, now);
    hold.tokens = { limit: key.tokenLimit.tokens, used: running?.used ?? 0, resetAt: running?.end ?? now + key.tokenLimit.windowSeconds * 1000 };
  }
  return hold;
}

/**
 * Call `i` of a landed write's outcome, from the item after it: the window as counted up to that
 * call (the batch's calls counted in order), its budget reservation (`left`: after the whole write).
 */
export function admitted(item: Item, plan: Plan, i: number): AdmitOutcome {
  const key = toKey(item);
  const own = plan.holds[i]!;
  const hold: KeyHold = { ...(own.slot ? { slot: own.slot } : {}) };
  if (key.budget && own.budgetEnd !== undefined) {
    hold.budget = { reserved: own.reserve!, credits: key.budget.credits, left: Number(item.budgetLeft), periodEnd: own.budgetEnd };
  }
  if (key.tokenLimit) hold.tokens = { limit: key.tokenLimit.tokens, used: Number(item.tokensUsed ?? 0), resetAt: Number(item.tokensResetAt) };
  // `balance` is the key's lease here; the admission adds the account's unleased credits it last saw.
  if (own.credit !== undefined) hold.credits = { accountId: key.accountId, reserved: own.credit, balance: Number(item.lease) };
  const count = Number(item.rlCount) - (plan.holds.length - 1 - i);
  return { admitted: true, key, window: { count, resetAt: Number(item.rlResetAt) }, hold };
}

export function windowOf(item: Item, now: number): { count: number; resetAt: number } {
  return { count: Number(item.rlCount ?? 0), resetAt: Number(item.rlResetAt ?? now) };
}

export function toKey(item: Item): KeyRecord {
  const key = strip<KeyRecord>(item);
  key.expiresAt = typeof item.expiresAt === 'number' ? item.expiresAt : null;
  return key;
}
