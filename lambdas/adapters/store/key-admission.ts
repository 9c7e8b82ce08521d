/**
 * Key admission: the one conditional write every authenticated call makes on its key's item —
 * the key checked (hash, status, expiry, overlap) and the call counted in its rate-limit window —
 * and, for a model call, in the same write: the call's reservation taken from the key's budget,
 * its token window checked, and a concurrency slot leased (issue 21); for any other call, its
 * count in its key's UTC day (key-release.ts `withDayCounts`: it has no settlement to ride on).
 * One write, so every limit is exact under any concurrency: a call is admitted only if all hold
 * at once, and a refused call changes nothing (nor counts).
 *
 * DynamoDB's update expressions cannot branch, so the write is planned from the last state this
 * instance saw of the item (a new window or period, or the current one; which slot looks free;
 * key-admission-plan.ts) and its condition asserts that state. When it does not hold, the item is
 * read consistently, the refusal found or the plan made again from what it holds (three tries,
 * then a refusal with the state as it stands). Warm, the plan is right and the call costs one
 * round trip.
 *
 * A call this instance last saw refused (a full window) is decided by a consistent read, not a
 * failing write: the same answer, but a flood beyond a key's limit spends read units (a partition
 * has three times as many) and leaves its write units to admissions (`lookIfRefused`).
 *
 * A key item takes about 1,000 write units a second (one partition), and every admission is at
 * least one: a key this busy would top out near 1,000 calls a second, below its own rate limit
 * (issue 23 point 2). So admissions group-commit: while LANES writes of a key are in flight here,
 * the calls that arrive wait and go out together in the next write (up to MAX_BATCH), which
 * counts them all and takes all their reservations and slots, or none. Nothing waits for company:
 * a call that finds a lane free is written at once, alone, as before.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { AdmitOutcome, KeyHoldRelease, ModelCallAdmission } from '../../core/ports';
import { admitted, leaseShort, planFor, refusalOf, refusedBy, toKey, unknownKey, windowOf, windowRoom, type Item, type Plan } from './key-admission-plan';
import { backoff } from '../../core/backoff';
import { DynamoWireError } from '../dynamodb-wire';
import { roundCredits } from '../../core/credits';
import { KeyedBatches } from './keyed-batches';
import { SlotClaims } from './slot-claims';
import { CarriedKeys } from './carried-event';
import { KeyLeases, type TakeOutcome } from './key-lease';
import { releaseParts, settleOrphans, withDayCounts, type ReleasePart } from './key-release';
import { credited } from './key-admission-credits';
import { LANES, stampParts, StampLanes, type Stamp } from './stamp-lanes';
import { unlessConditionFails, type TableAccess } from './table-access';
import { itemKey, partition, sortKey } from './table';

export { SLOT_ATTRIBUTE, slotAttribute, toKey } from './key-admission-plan';

/** Items remembered for planning (a bound, so a flood of keys cannot grow it). */
const MAX_REMEMBERED = 10_000;
const TRIES = 3;
/** Most calls one admission write carries (its expression grows with each slot it leases). */
const MAX_BATCH = 25;
/** Leases one admission takes at most (each raced away by the key's other calls) before it is refused for credits. */
const MAX_TAKES = 6;
/** Release writes (with no slot) of a key in flight here: at c=32 on one key, 4 made 0.31 a model call, 1 makes 0.12. */
const RELEASE_LANES = 1;
/** How long a release (owed: it carries the settlement) keeps trying for a definite answer. */
const SETTLE_WAIT_MS = 60_000;
/** How long an admission keeps reading to learn whether its write landed. */
const READ_WAIT_MS = 5_000;

const KEY_SK: AttributeValue = { S: sortKey.key };
const ACTIVE: AttributeValue = { S: 'active' };

/** A release waiting for its key's next release write. */
type PendingRelease = { release: KeyHoldRelease; now: number; done: () => void; fail: (err: unknown) => void };

/** A call waiting for its key's next admission write. */
interface Waiting {
  hash: string;
  now: number;
  call: ModelCallAdmission | undefined;
  /** The UTC day a call that is not a model call is counted in by its admission (Store.admitKeyUse). */
  countIn: string | undefined;
  done: (outcome: AdmitOutcome) => void;
  fail: (err: unknown) => void;
}

export class KeyAdmission {
  /** The last state seen of each key item this instance admitted: what the next write is planned on. */
  private readonly seen = new Map<string, Item>();
  /** Slots this instance is claiming or holds, per key: never planned twice here. */
  private readonly mine = new SlotClaims();
  /**
   * Admissions waiting per key while LANES of them are in flight. A batch shares the first call's
   * hash (a wrong secret never rides with the right one) and needs the item seen: its window's
   * room is asserted against the limit seen.
   */
  private readonly admissions = new KeyedBatches<Waiting>({
    inFlight: LANES,
    take: (id, queue) => (this.seen.has(id) ? queue.filter((w) => w.hash === queue[0]!.hash).slice(0, MAX_BATCH) : [queue[0]!]),
    send: (id, batch) => this.send(id, batch),
  });
  /**
   * Releases waiting per key: after the answer, so one in flight while the rest gather, leaving the
   * lanes to admissions; one that frees a slot (the key's next call may wait for it) has LANES.
   */
  private readonly releases = this.releaseBatches(RELEASE_LANES);
  private readonly slotReleases = this.releaseBatches(LANES);

  /** Admissions and releases are stamped (stamp-lanes.ts): a write whose answer was lost lands once. */
  private readonly lanes = new StampLanes();
  /** The credits each key holds as a lease from its account: reservations are taken from it (key-lease.ts). */
  private readonly leases: KeyLeases;
  private readonly taking = new Map<string, Promise<TakeOutcome>>();

  /** Keys found still carrying their change's event long after it: unpacked beside the call (carried-event.ts). */
  private readonly carried: CarriedKeys;

  constructor(private readonly db: TableAccess) {
    this.leases = KeyLeases.of(db);
    this.carried = new CarriedKeys(db, (work) => this.leases.track(work));
  }

  admit(id: string, hash: string, now: number, call?: ModelCallAdmission, countIn?: string): Promise<AdmitOutcome> {
    // A model call is counted in its key's day by its settlement, never by its admission.
    return new Promise((done, fail) => this.admissions.add(id, { hash, now, call, countIn: call ? undefined : countIn, done, fail }));
  }

  /** One write for `batch` (answering each of its calls), or one each when they cannot share one. */
  private async send(id: string, batch: Waiting[]): Promise<void> {
    try {
      const alone = batch.length === 1 ? batch : await this.together(id, batch);
      for (const w of alone) w.done(await this.admitOne(id, w.hash, w.now, w.call, w.countIn));
    } catch (err) {
      for (const w of batch) w.fail(err);
    }
  }

  /**
   * Admits `batch` in one write. A refusal that holds for every call (the key, a full window) is
   * answered to all; a window with room for fewer is tried with as many, the rest answered once
   * it lands (refused if it filled the window, else waiting again). Returns the calls that must
   * go one at a time (a budget, token window or concurrency cap that does not take them all).
   */
  private async together(id: string, batch: Waiting[]): Promise<Waiting[]> {
    const hash = batch[0]!.hash;
    let calls = batch;
    const seen = this.seen.get(id);
    let state = seen ?? (await this.read(id));
    if (!state) return batch;
    if (seen) {
      const now = Math.max(...calls.map((w) => w.now));
      const looked = await this.lookIfRefused(id, seen, hash, now);
      if ('refused' in looked) return (calls.forEach((w) => w.done(looked.refused)), []);
      state = looked.state;
    }
    const models = batch.flatMap((w) => (w.call ? [w.call.reserve] : []));
    if (models.length && state.hash === hash && leaseShort(state, roundCredits(models.reduce((a, b) => a + b, 0))) > 0) {
      // The lease does not cover the batch: one lease for all of it (a refusal: each call on its own).
      const taken = await this.takeLease(id, state, leaseShort(state, roundCredits(models.reduce((a, b) => a + b, 0))), Math.max(...models));
      if (!taken.ok) return batch;
      state = taken.item;
    }
    let later: Waiting[] = [];
    for (let attempt = 0; attempt < TRIES && calls.length > 1; attempt++) {
      const now = Math.max(...calls.map((w) => w.now));
      const planned = planFor(state, now, calls.map((w) => w.call), this.mine.of(id));
      if (planned === 'concurrency') break;
      const plan = withDayCounts(planned, calls.map((w) => w.countIn));
      const slots = plan.holds.flatMap((h) => (h.slot ? [h.slot.index] : []));
      for (const slot of slots) this.mine.claim(id, slot);
      const out = await this.write(id, hash, now, plan);
      if (out.landed && out.item) {
        this.remember(id, out.item);
        this.carried.seen(out.item, now);
        for (const [i, w] of calls.entries()) w.done(await credited(this.leases, admitted(out.item, plan, i)));
        this.after(id, out.item, later);
        return [];
      }
      for (const slot of slots) this.mine.release(id, slot);
      state = out.item;
      if (!state) {
        for (const w of [...calls, ...later]) w.done(unknownKey(now));
        return [];
      }
      if (refusalOf(state, hash, now, undefined)) {
        for (const w of [...calls, ...later]) w.done(refusedBy(state, hash, now, 'rate'));
        return [];
      }
      // A budget, token window, cap or the lease refused it (or raced): each call on its own finds which.
      if (calls.some((w) => w.call)) break;
      const room = windowRoom(state, now);
      if (room < calls.length) {
        later = [...calls.slice(room), ...later];
        calls = calls.slice(0, room);
      }
    }
    return [...calls, ...later];
  }

  /** The calls a batch left out for want of room in the window: refused if it is now full, else they wait again. */
  private after(id: string, item: Item, later: Waiting[]): void {
    if (later.length === 0) return;
    const now = Math.max(...later.map((w) => w.now));
    if (windowRoom(item, now) <= 0) {
      for (const w of later) w.done(refusedBy(item, w.hash, now, 'rate'));
      return;
    }
    this.admissions.requeue(id, later);
  }

  /** One call's admission: its own write, planned again from what the store says until it lands or is refused. */
  private async admitOne(id: string, hash: string, now: number, call: ModelCallAdmission | undefined, countIn: string | undefined): Promise<AdmitOutcome> {
    let state = this.seen.get(id);
    let fresh = false;
    // Set when no lease could be taken: the call is admitted (counted) with nothing reserved, and refused by the core.
    let noCredits: Extract<TakeOutcome, { ok: false }> | undefined;
    for (let attempt = 0, takes = 0; attempt < TRIES; attempt++) {
      if (!fresh && state) {
        const looked = await this.lookIfRefused(id, state, hash, now);
        if ('refused' in looked) return looked.refused;
        fresh = looked.state !== state;
        state = looked.state;
      }
      const short = call && !noCredits && state?.hash === hash ? leaseShort(state, call.reserve) : 0;
      if (short > 0) {
        // Leases raced away by the key's other calls do not count as tries; past MAX_TAKES, refused.
        const taken = takes++ < MAX_TAKES ? await this.takeLease(id, state!, short, call!.reserve) : { ok: false as const, reason: 'insufficient' as const, unleased: 0 };
        if (taken.ok) state = taken.item;
        else noCredits = taken;
        if (taken.ok && attempt > 0) attempt--;
      }
      let plan = planFor(state, now, [call], this.mine.of(id), !noCredits);
      if (plan === 'concurrency' && !fresh) {
        // Every slot looked taken in what this instance last saw: look again before refusing.
        state = await this.read(id);
        fresh = true;
        if (!state) return unknownKey(now);
        plan = planFor(state, now, [call], this.mine.of(id), !noCredits);
      }
      if (plan === 'concurrency') return refusedBy(state!, hash, now, 'concurrency');
      withDayCounts(plan, [countIn]);
      const slot = plan.holds[0]!.slot?.index;
      if (slot !== undefined) this.mine.claim(id, slot);
      const out = await this.write(id, hash, now, plan);
      // An admission's answer carries the item (ALL_NEW), as does the read that found it landed.
      if (out.landed && out.item) {
        this.remember(id, out.item);
        this.carried.seen(out.item, now);
        return await credited(this.leases, admitted(out.item, plan, 0), noCredits, out.item);
      }
      if (slot !== undefined) this.mine.release(id, slot);
      state = out.item;
      fresh = true;
      if (!state) return unknownKey(now);
      const refusal = refusalOf(state, hash, now, call, !noCredits);
      if (refusal === 'lease') continue; // a lease is taken at the top of the loop
      if (refusal) return refusedBy(state, hash, now, refusal);
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
  release(id: string, release: KeyHoldRelease, now: number): Promise<void> {
    const { hold } = release;
    if (hold.slot) this.mine.release(id, hold.slot.index);
    if (releaseParts([{ release, now }]).length === 0) return Promise.resolve();
    // Group-committed per key (RELEASE_LANES in flight, LANES for a slot's): what arrives meanwhile shares the next write.
    return new Promise((done, fail) => (hold.slot ? this.slotReleases : this.releases).add(id, { release, now, done, fail }));
  }

  private releaseBatches(inFlight: number): KeyedBatches<PendingRelease> {
    return new KeyedBatches<PendingRelease>({
      inFlight,
      take: (_id, queue) => queue.slice(0, MAX_BATCH),
      send: (id, batch) =>
        this.releaseAll(id, batch).then(
          () => batch.forEach((r) => r.done()),
          (err: unknown) => batch.forEach((r) => r.fail(err)),
        ),
    });
  }

  /**
   * The releases of `batch` in one write: what a part's condition refuses (the period rolled, the
   * slot's lease ran out and was taken) is dropped alone, the others still applied. Two parts on
   * one attribute (budgets of two periods, a slot released twice) never share a write.
   */
  private async releaseAll(id: string, batch: Array<{ release: KeyHoldRelease; now: number }>): Promise<void> {
    const parts = releaseParts(batch);
    const paths = new Set<string>();
    const first = parts.filter((p) => !paths.has(p.path) && paths.add(p.path));
    const rest = parts.filter((p) => !first.includes(p));
    const sent = first.length > 0 && (await this.sendRelease(id, first));
    await Promise.all([...(sent || first.length === 1 ? [] : first), ...rest].map((p) => this.sendRelease(id, [p])));
  }

  /** One stamped release write of `parts`: whether it landed. */
  private sendRelease(id: string, parts: ReleasePart[]): Promise<boolean> {
    // After the answer, over the hot path's transport (like the settlement it goes out beside).
    return this.lanes.run(id, async (stamp) => {
      const st = stampParts(stamp);
      const sets = [...parts.filter((p) => !p.remove).map((p) => p.update), st.set];
      const removes = [...parts.filter((p) => p.remove).map((p) => p.update), ...st.remove];
      const names: Record<string, string> = Object.assign({}, st.names, ...parts.map((p) => p.names));
      // Grant ids the key no longer needs in `leaseIn` (their account listing is gone) ride along.
      const trim = this.leases.trimFor(id);
      const values = Object.assign({}, ...parts.map((p) => p.values), trim.length ? { ':trim': new Set(trim) } : {});
      const request = () => this.db.wire.send(
        'UpdateItem',
        {
          TableName: this.db.name,
          Key: { pk: { S: partition.key(id) }, sk: KEY_SK },
          UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}${trim.length ? ' DELETE leaseIn :trim' : ''}`,
          ConditionExpression: ['attribute_exists(pk)', ...parts.map((p) => p.condition), st.condition].join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ...marshall(values), ...st.values },
        },
        'settle',
      );
      // Owed money (the lease's settlement): the same stamped write again until a definite answer.
      const deadline = Date.now() + SETTLE_WAIT_MS;
      let out: { landed: boolean; item: Item | undefined } | undefined;
      for (let attempt = 0; !out; attempt++) {
        out = await this.landedOnce(id, stamp, request()).catch(async (err: unknown) => {
          if (Date.now() > deadline) throw err;
          await backoff(attempt);
          return undefined;
        });
      }
      // The key is gone (deleted while the call ran): what its lease would have got goes to the account, once.
      if (!out.landed && !out.item) await settleOrphans(this.db, this.leases, id, parts);
      return out.landed;
    });
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
      // No attempt can have landed (refused, or no connection): nothing to read back.
      if (err instanceof DynamoWireError && err.notApplied) throw err;
      failure = err;
    }
    const item = await this.readSurely(id, failure);
    if (this.lanes.landed(item, stamp)) return { landed: true, item };
    if (failure !== undefined) throw failure;
    if (item) this.lanes.noteStale(id, item);
    return { landed: false, item };
  }

  /**
   * The item read to learn whether a write landed: a failed read (throttled) is tried again for
   * READ_WAIT_MS, since a write that landed unseen would hold a reservation nobody gives back.
   */
  private async readSurely(id: string, failure: unknown): Promise<Item | undefined> {
    const deadline = Date.now() + READ_WAIT_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.read(id);
      } catch (err) {
        if (Date.now() > deadline) throw failure ?? err;
        await backoff(attempt);
      }
    }
  }

  /** A call `seen` (this instance's last sight) refuses is decided by a consistent read: its refusal, else the item read. */
  private async lookIfRefused(id: string, seen: Item, hash: string, now: number): Promise<{ refused: AdmitOutcome } | { state: Item }> {
    if (!refusalOf(seen, hash, now, undefined)) return { state: seen };
    const state = await this.read(id);
    if (!state) return { refused: unknownKey(now) };
    return refusalOf(state, hash, now, undefined) ? { refused: refusedBy(state, hash, now, 'rate') } : { state };
  }

  /** The key item read consistently: the one model of its windows and slots. */
  private async read(id: string): Promise<Item | undefined> {
    const { Item: item } = await this.db.doc.send(new GetCommand({ TableName: this.db.name, Key: itemKey.key(id), ConsistentRead: true }));
    if (item) this.remember(id, item);
    else this.seen.delete(id);
    return item;
  }

  /** Takes a lease for the key (its account from `item`), remembering the key as the lease's write left it. */
  private takeLease(id: string, item: Item, need: number, unit: number): Promise<TakeOutcome> {
    // One take per key at a time here: the calls that find the lease short meanwhile share it.
    let taking = this.taking.get(id);
    if (!taking) {
      taking = this.leases.take(id, String(item.accountId), need, unit).finally(() => this.taking.delete(id));
      this.taking.set(id, taking);
    }
    return taking.then((taken) => (taken.ok && this.remember(id, taken.item), taken));
  }

  private remember(id: string, item: Item): void {
    if (this.seen.size >= MAX_REMEMBERED) this.seen.clear();
    this.seen.set(id, item);
  }
}
