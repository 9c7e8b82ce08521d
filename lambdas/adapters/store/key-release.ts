/**
 * What a model call's release gives back on its key's item (key-admission.ts), as parts of one
 * write: the budget's reservation less the price, the tokens used, the slot — and the credit
 * reservation less the price, back into the key's lease (key-lease.ts: settlement is this write) —
 * and a settlement's count in its key's UTC day (core/usage.ts `countWithSettlement`).
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import type { KeyHoldRelease, UsageDayCounts } from '../../core/ports';
import { roundCredits } from '../../core/credits';
import { dayCountedIn } from '../../core/usage';
import { slotAttribute, type Plan } from './key-admission-plan';
import type { KeyLeases } from './key-lease';
import type { TableAccess } from './table-access';
import { itemKey, keyDayAttributes } from './table';
import { addToDay } from './usage-days';

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
  /**
   * The calls this part counts in a day of a key whose days are summed into its account's: when
   * the key is gone, they go to the key's day item (filed there with its other days), so the
   * account's day still counts them.
   */
  orphanDay?: { date: string; summedInto: string; counts: UsageDayCounts };
}

/**
 * A release that found its key gone (deleted while its calls ran): what it would have given the
 * key's lease goes to the account, once; the calls it counted in a day of a key whose days are
 * summed into its account's go to the key's day item.
 */
export async function settleOrphans(db: TableAccess, leases: KeyLeases, keyId: string, parts: ReleasePart[]): Promise<void> {
  for (const part of parts) {
    if (part.orphan) await leases.credit(part.orphan.accountId, part.orphan.amount);
    delete part.orphan;
    if (part.orphanDay) await addToDay(db, itemKey.usageDay({ keyId }, part.orphanDay.date), part.orphanDay.date, part.orphanDay.counts, { accountId: part.orphanDay.summedInto, keyId });
    delete part.orphanDay;
  }
}

/**
 * What `batch` gives back, as parts: the budget's reservations less the prices charged, into the
 * period each was taken in only (once a new period has begun, the old one's accounting is closed);
 * the tokens the calls used; each slot; the credit reservations less the prices, into the lease
 * (which may go below zero: debt, covered by the next lease the key takes); the calls each
 * settlement counts, into its day's counters on the key (usage-days.ts reads and files them).
 */
export function releaseParts(batch: Array<{ release: KeyHoldRelease; now: number }>): ReleasePart[] {
  const giveBacks = new Map<number, number>();
  let tokens = 0;
  let leaseBack = 0;
  let accountId: string | undefined;
  const parts: ReleasePart[] = [];
  const days = new Map<string, UsageDayCounts & { summedInto?: string }>();
  batch.forEach(({ release, now }, k) => {
    const { hold } = release;
    const counted = dayCountedIn(hold);
    if (counted !== undefined) {
      const counts = days.get(counted.day) ?? { requests: 0, tokens: 0, credits: 0, ...(counted.summedInto ? { summedInto: counted.summedInto } : {}) };
      counts.requests += 1;
      counts.tokens += release.tokens;
      counts.credits += release.charge;
      days.set(counted.day, counts);
    }
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
  [...days].forEach(([day, counts], k) => {
    // No condition of its own (a day's counters are made by their first call): never the part a write drops.
    parts.push({
      path: keyDayAttributes(day).requests,
      ...dayCountUpdate(day, counts, String(k)),
      condition: 'attribute_exists(pk)',
      ...(counts.summedInto
        ? { orphanDay: { date: day, summedInto: counts.summedInto, counts: { requests: counts.requests, tokens: counts.tokens, credits: roundCredits(counts.credits) } } }
        : {}),
    });
  });
  if (tokens > 0) parts.push({ path: 'tokensUsed', update: 'tokensUsed = tokensUsed + :tokens', condition: 'attribute_exists(tokensUsed)', names: {}, values: { ':tokens': tokens } });
  return parts;
}

/**
 * The update that adds `counts` to a key item's counters of `day` (`ud<day>r/t/c`, each made at 0
 * by its first call), its names and values tagged `tag` to share a write with other parts.
 */
export function dayCountUpdate(day: string, counts: UsageDayCounts, tag: string): { update: string; names: Record<string, string>; values: Record<string, number> } {
  const a = keyDayAttributes(day);
  const [r, t, c] = [`#udr${tag}`, `#udt${tag}`, `#udc${tag}`];
  return {
    update: [`${r} = if_not_exists(${r}, :udz) + :udr${tag}`, `${t} = if_not_exists(${t}, :udz) + :udt${tag}`, `${c} = if_not_exists(${c}, :udz) + :udc${tag}`].join(', '),
    names: { [r]: a.requests, [t]: a.tokens, [c]: a.credits },
    values: { ':udz': 0, [`:udr${tag}`]: counts.requests, [`:udt${tag}`]: counts.tokens, [`:udc${tag}`]: roundCredits(counts.credits) },
  };
}

/**
 * An admission's calls that are not model calls, counted in their key's day by the admission
 * itself: `days[i]` is the UTC day call i is counted in (undefined: not counted here). Such a call
 * has no settlement to count it (core/usage.ts), and this is the one write it makes on its key.
 */
export function withDayCounts(plan: Plan, days: Array<string | undefined>): Plan {
  const byDay = new Map<string, number>();
  for (const day of days) if (day !== undefined) byDay.set(day, (byDay.get(day) ?? 0) + 1);
  [...byDay].forEach(([day, requests], k) => {
    const part = dayCountUpdate(day, { requests, tokens: 0, credits: 0 }, `a${k}`);
    plan.update.push(part.update);
    Object.assign(plan.names, part.names);
    Object.assign(plan.values, marshall(part.values));
  });
  return plan;
}
