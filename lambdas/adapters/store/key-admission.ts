/**
 * Key admission: the one conditional write every authenticated call makes on its key's item —
 * the key checked (hash, status, expiry, overlap) and the call counted in its rate-limit window —
 * and, for a model call, in the same write: the call's reservation taken from the key's budget,
 * its token window checked, and a concurrency slot leased (issue 21). One write, so every limit
 * is exact under any concurrency: a call is admitted only if all hold at once, and a refused
 * call changes nothing (nor counts).
 *
 * DynamoDB's update expressions cannot branch, so the write is planned from the last state this
 * instance saw of the item (a new window or period, or the current one; which slot looks free)
 * and its condition asserts that state. When it does not hold, the item is read consistently, the
 * refusal found or the plan made again from what it holds (three tries, then a refusal with the
 * state as it stands). Warm, the plan is right and the call costs one round trip.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { periodEnd } from '../../core/budget';
import { keyStatus } from '../../core/key-status';
import { SLOT_LEASE_MS, type AdmitOutcome, type KeyHold, type KeyHoldRelease, type ModelCallAdmission } from '../../core/ports';
import type { KeyRecord } from '../../core/types';
import { stampParts, StampLanes, type Stamp } from './stamp-lanes';
import { strip, unlessConditionFails, type TableAccess } from './table-access';
import { itemKey, partition, sortKey } from './table';

/** Items remembered for planning (a bound, so a flood of keys cannot grow it). */
const MAX_REMEMBERED = 10_000;
const TRIES = 3;

const KEY_SK: AttributeValue = { S: sortKey.key };
const ACTIVE: AttributeValue = { S: 'active' };
const ONE: AttributeValue = { N: '1' };
const ZERO: AttributeValue = { N: '0' };

/** A slot's attribute: `slot0` … `slot999` (maxConcurrent ≤ 1000). */
export const slotAttribute = (index: number) => `slot${index}`;
export const SLOT_ATTRIBUTE = /^slot\d+$/;

type Item = Record<string, unknown>;

interface Plan {
  update: string[];
  condition: string[];
  names: Record<string, string>;
  values: Record<string, AttributeValue>;
  /** What the write holds once it lands. */
  hold: Omit<KeyHold, 'budget' | 'tokens'> & { budgetEnd?: number; reserve?: number };
}

export class KeyAdmission {
  /** The last state seen of each key item this instance admitted: what the next write is planned on. */
  private readonly seen = new Map<string, Item>();
  /** Slots this instance is claiming or holds, per key: never planned twice here. */
  private readonly mine = new Map<string, Set<number>>();

  /** Admissions and releases are stamped (stamp-lanes.ts): a write whose answer was lost lands once. */
  private readonly lanes = new StampLanes();

  constructor(private readonly db: TableAccess) {}

  async admit(id: string, hash: string, now: number, call?: ModelCallAdmission): Promise<AdmitOutcome> {
    let state = this.seen.get(id);
    let fresh = false;
    for (let attempt = 0; attempt < TRIES; attempt++) {
      let plan = planFor(state, now, call, this.mine.get(id));
      if (plan === 'concurrency' && !fresh) {
        // Every slot looked taken in what this instance last saw: look again before refusing.
        state = await this.read(id);
        fresh = true;
        if (!state) return unknownKey(now);
        plan = planFor(state, now, call, this.mine.get(id));
      }
      if (plan === 'concurrency') return this.refused(state!, hash, now, 'concurrency');
      const slot = plan.hold.slot?.index;
      if (slot !== undefined) this.claimSlot(id, slot);
      const out = await this.write(id, hash, now, plan);
      // An admission's answer carries the item (ALL_NEW), as does the read that found it landed.
      if (out.landed && out.item) {
        this.remember(id, out.item);
        return admitted(out.item, plan);
      }
      if (slot !== undefined) this.releaseSlot(id, slot);
      state = out.item;
      fresh = true;
      if (!state) return unknownKey(now);
      const refusal = refusalOf(state, hash, now, call);
      if (refusal) return this.refused(state, hash, now, refusal);
    }
    // Still contended after every try (a window or period boundary raced by many): refused as
    // rate-limited, with the window as it stands.
    const item = state ?? {};
    const key = item.pk ? toKey(item) : undefined;
    const window = windowOf(item, now);
    return { admitted: false, key, window: key ? { ...window, count: Math.max(window.count, key.rateLimit.limit) } : window };
  }

  /**
   * Gives back what an admission held, after the call: the budget's reservation less the price
   * charged (`charge`, 0 when nothing is), the tokens the call used, and the slot. Into the
   * period the reservation was taken in only: once a new period has begun, the old one's
   * accounting is closed. One write; a part whose condition no longer holds is dropped alone.
   */
  async release(id: string, release: KeyHoldRelease, now: number): Promise<void> {
    const { hold } = release;
    const parts: Array<{ update: string; condition?: string; names: Record<string, string>; values: Record<string, unknown>; remove?: boolean }> = [];
    if (hold.budget && hold.budget.periodEnd > now) {
      parts.push({
        update: 'budgetLeft = budgetLeft + :giveBack',
        condition: 'budgetResetAt = :periodEnd',
        names: {},
        values: { ':giveBack': hold.budget.reserved - release.charge, ':periodEnd': hold.budget.periodEnd },
      });
    }
    if (hold.tokens && release.tokens > 0) {
      parts.push({ update: 'tokensUsed = tokensUsed + :tokens', condition: 'attribute_exists(tokensUsed)', names: {}, values: { ':tokens': release.tokens } });
    }
    if (hold.slot) {
      this.releaseSlot(id, hold.slot.index);
      parts.push({ update: '#slot', condition: '#slot.h = :holder', names: { '#slot': slotAttribute(hold.slot.index) }, values: { ':holder': hold.slot.holder }, remove: true });
    }
    if (parts.length === 0) return;
    // After the answer, over the hot path's transport (like the settlement it goes out beside).
    const send = (some: typeof parts) =>
      this.lanes.run(id, async (stamp) => {
        const st = stampParts(stamp);
        const sets = [...some.filter((p) => !p.remove).map((p) => p.update), st.set];
        const removes = [...some.filter((p) => p.remove).map((p) => p.update), ...st.remove];
        const names: Record<string, string> = Object.assign({}, st.names, ...some.map((p) => p.names));
        const request = this.db.wire.send(
          'UpdateItem',
          {
            TableName: this.db.name,
            Key: { pk: { S: partition.key(id) }, sk: KEY_SK },
            UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
            ConditionExpression: ['attribute_exists(pk)', ...some.map((p) => p.condition).filter(Boolean), st.condition].join(' AND '),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: { ...marshall(Object.assign({}, ...some.map((p) => p.values))), ...st.values },
          },
          'settle',
        );
        return (await this.landedOnce(id, stamp, request)).landed;
      });
    if ((await send(parts)) || parts.length === 1) return;
    // A part's condition failed (the period rolled, the slot's lease ran out and was taken): the others still apply.
    await Promise.all(parts.map((p) => send([p])));
  }

  /** Extends a held slot's lease (a long stream): `false` when the slot is no longer this holder's. */
  async renew(id: string, slot: { index: number; holder: string }, until: number): Promise<boolean> {
    const out = await unlessConditionFails(
      this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.name,
          Key: itemKey.key(id),
          UpdateExpression: 'SET #slot.u = :until',
          ConditionExpression: '#slot.h = :holder',
          ExpressionAttributeNames: { '#slot': slotAttribute(slot.index) },
          ExpressionAttributeValues: { ':until': until, ':holder': slot.holder },
        }),
      ),
    );
    return out !== undefined;
  }

  /** Forgets what this instance saw of a key (it changed): the next admission plans from storage. */
  forget(id: string): void {
    this.seen.delete(id);
  }

  private write(id: string, hash: string, now: number, plan: Plan): Promise<{ landed: boolean; item: Item | undefined }> {
    return this.lanes.run(id, (stamp) => {
      const st = stampParts(stamp);
      const request = this.db.wire.send<{ Attributes?: Record<string, AttributeValue> }>(
        'UpdateItem',
        {
          TableName: this.db.name,
          Key: { pk: { S: partition.key(id) }, sk: KEY_SK },
          UpdateExpression: `SET ${[...plan.update, st.set].join(', ')}${st.remove.length ? ` REMOVE ${st.remove.join(', ')}` : ''}`,
          ConditionExpression: [...plan.condition, st.condition].join(' AND '),
          ExpressionAttributeNames: { '#h': 'hash', '#s': 'status', ...plan.names, ...st.names },
          ExpressionAttributeValues: {
            ':hash': { S: hash },
            ':active': ACTIVE,
            ':now': { N: String(now) },
            ':one': ONE,
            ':used': { S: new Date(now).toISOString() },
            ...plan.values,
            ...st.values,
          },
          ReturnValues: 'ALL_NEW',
        },
        'admit',
      );
      return this.landedOnce(id, stamp, request);
    });
  }

  /**
   * A stamped write's outcome, definite: landed (with the item after it), or refused by its
   * condition (with the item as it stands, read consistently). When the store gave no definite
   * answer (every attempt's answer lost) or refused it, the item says which: a retry of a write
   * that landed fails on its own stamp. Not landed and no answer: the failure is thrown.
   */
  private async landedOnce(
    id: string,
    stamp: Stamp,
    request: Promise<{ Attributes?: Record<string, AttributeValue> }>,
  ): Promise<{ landed: boolean; item: Item | undefined }> {
    let failure: unknown;
    try {
      const out = await unlessConditionFails(request);
      if (out) {
        const item = out.Attributes ? unmarshall(out.Attributes) : undefined;
        if (item) this.lanes.noteStale(id, item);
        return { landed: true, item };
      }
    } catch (err) {
      failure = err;
    }
    const item = await this.read(id);
    if (this.lanes.landed(item, stamp)) return { landed: true, item };
    if (failure !== undefined) throw failure;
    if (item) this.lanes.noteStale(id, item);
    return { landed: false, item };
  }

  /** The key item read consistently: the one model of its windows and slots. */
  private async read(id: string): Promise<Item | undefined> {
    const { Item: item } = await this.db.doc.send(new GetCommand({ TableName: this.db.name, Key: itemKey.key(id), ConsistentRead: true }));
    if (item) this.remember(id, item);
    else this.seen.delete(id);
    return item;
  }

  private refused(item: Item, hash: string, now: number, refusal: 'budget' | 'tokens' | 'concurrency' | 'rate'): AdmitOutcome {
    const key = toKey(item);
    if (item.hash !== hash) return { admitted: false, key: undefined, window: windowOf(item, now) };
    return { admitted: false, key, window: windowOf(item, now), ...(refusal === 'rate' ? {} : { refusal, hold: holdState(item, now) }) };
  }

  private remember(id: string, item: Item): void {
    if (this.seen.size >= MAX_REMEMBERED) this.seen.clear();
    this.seen.set(id, item);
  }

  private claimSlot(id: string, index: number): void {
    const set = this.mine.get(id) ?? new Set<number>();
    set.add(index);
    this.mine.set(id, set);
  }

  private releaseSlot(id: string, index: number): void {
    const set = this.mine.get(id);
    set?.delete(index);
    if (set?.size === 0) this.mine.delete(id);
  }
}

/**
 * The write for a call, planned on `item` (what this instance last saw; undefined: nothing yet,
 * so the common case — a current window, no model-call limits — is assumed and asserted).
 * `'concurrency'`: every slot the cap allows is taken as far as `item` shows.
 */
function planFor(item: Item | undefined, now: number, call: ModelCallAdmission | undefined, mine: Set<number> | undefined): Plan | 'concurrency' {
  const plan: Plan = {
    update: ['lastUsedAt = :used'],
    condition: [
      'attribute_exists(pk) AND #h = :hash AND #s = :active',
      '(attribute_not_exists(expiresAt) OR expiresAt > :now)',
      '(attribute_not_exists(graceUntil) OR graceUntil > :now)',
    ],
    names: {},
    values: {},
    hold: {},
  };
  // The rate-limit window: the current one, or a new one from now.
  if (item === undefined || Number(item.rlResetAt ?? 0) > now) {
    plan.update.push('rlCount = rlCount + :one');
    plan.condition.push('rlResetAt > :now AND rlCount < rlMax');
  } else {
    plan.update.push('rlCount = :one', 'rlResetAt = :now + rlWindowMs');
    plan.condition.push('(attribute_not_exists(rlResetAt) OR rlResetAt <= :now) AND rlMax >= :one');
  }
  if (!call) return plan;
  const budget = item?.budget as KeyRecord['budget'];
  if (!budget) plan.condition.push('attribute_not_exists(budget)');
  else {
    // A budget smaller than one reservation reserves all of itself.
    const reserve = Math.min(call.reserve, budget.credits);
    plan.values[':reserve'] = { N: String(reserve) };
    plan.hold.reserve = reserve;
    const running = runningPeriod(item!, now);
    if (running) {
      plan.update.push('budgetLeft = budgetLeft - :reserve');
      plan.condition.push('budgetResetAt = :budgetEnd AND budgetLeft >= :reserve');
      plan.values[':budgetEnd'] = { N: String(running.end) };
      plan.hold.budgetEnd = running.end;
    } else {
      // A new period: all of the budget, less this call's reservation.
      const next = periodEnd(budget.period, now);
      plan.update.push('budgetLeft = budget.credits - :reserve', 'budgetResetAt = :budgetEnd');
      plan.condition.push('(attribute_not_exists(budgetResetAt) OR budgetResetAt <= :now) AND budget.#period = :period AND budget.credits >= :reserve');
      plan.names['#period'] = 'period';
      Object.assign(plan.values, { ':budgetEnd': { N: String(next) }, ':period': { S: budget.period } });
      plan.hold.budgetEnd = next;
    }
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
    const index = freeSlot(item!, cap, now, mine);
    if (index === undefined) return 'concurrency';
    const holder = crypto.randomUUID();
    plan.update.push('#slot = :lease');
    plan.condition.push('maxConcurrent > :slotIndex AND (attribute_not_exists(#slot) OR #slot.u < :now)');
    plan.names['#slot'] = slotAttribute(index);
    Object.assign(plan.values, {
      ':slotIndex': { N: String(index) },
      ':lease': { M: { u: { N: String(now + SLOT_LEASE_MS) }, h: { S: holder } } },
    });
    plan.hold.slot = { index, holder };
  }
  return plan;
}

/** The budget period `item` is in at `now`, if one is running (else the next call starts one): credits left and its end. */
function runningPeriod(item: Item, now: number): { left: number; end: number } | undefined {
  const end = Number(item.budgetResetAt ?? 0);
  return end > now && item.budgetLeft !== undefined ? { left: Number(item.budgetLeft), end } : undefined;
}

/** The token window `item` is in at `now`, if one is running: tokens settled in it and its end. */
function runningTokenWindow(item: Item, now: number): { used: number; end: number } | undefined {
  const end = Number(item.tokensResetAt ?? 0);
  return end > now && item.tokensUsed !== undefined ? { used: Number(item.tokensUsed), end } : undefined;
}

/** A key that is not there: refused, nothing counted. */
function unknownKey(now: number): AdmitOutcome {
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
function refusalOf(item: Item, hash: string, now: number, call: ModelCallAdmission | undefined): 'rate' | 'budget' | 'tokens' | 'concurrency' | undefined {
  const key = toKey(item);
  if (item.hash !== hash || keyStatus(key, now) !== 'active') return 'rate';
  const window = windowOf(item, now);
  if (window.resetAt > now && window.count >= key.rateLimit.limit) return 'rate';
  if (!call) return undefined;
  if (key.budget && (runningPeriod(item, now)?.left ?? key.budget.credits) < Math.min(call.reserve, key.budget.credits)) return 'budget';
  const tokens = runningTokenWindow(item, now);
  if (key.tokenLimit && tokens && tokens.used >= key.tokenLimit.tokens) return 'tokens';
  if (key.maxConcurrent !== undefined && freeSlot(item, key.maxConcurrent, now, undefined) === undefined) return 'concurrency';
  return undefined;
}

/** The budget and token windows as `item` shows them (what a refusal reports in its headers). */
function holdState(item: Item, now: number): KeyHold {
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

function admitted(item: Item, plan: Plan): AdmitOutcome {
  const key = toKey(item);
  const hold: KeyHold = { ...(plan.hold.slot ? { slot: plan.hold.slot } : {}) };
  if (key.budget && plan.hold.budgetEnd !== undefined) {
    hold.budget = { reserved: plan.hold.reserve!, credits: key.budget.credits, left: Number(item.budgetLeft), periodEnd: plan.hold.budgetEnd };
  }
  if (key.tokenLimit) hold.tokens = { limit: key.tokenLimit.tokens, used: Number(item.tokensUsed ?? 0), resetAt: Number(item.tokensResetAt) };
  return { admitted: true, key, window: { count: Number(item.rlCount), resetAt: Number(item.rlResetAt) }, hold };
}

function windowOf(item: Item, now: number): { count: number; resetAt: number } {
  return { count: Number(item.rlCount ?? 0), resetAt: Number(item.rlResetAt ?? now) };
}

export function toKey(item: Item): KeyRecord {
  const key = strip<KeyRecord>(item);
  key.expiresAt = typeof item.expiresAt === 'number' ? item.expiresAt : null;
  return key;
}
