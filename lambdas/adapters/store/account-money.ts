/**
 * Exactly-once money writes on an account's balance item (issue 23 point 4): reservations,
 * settlement charges and refunds. A write whose answer is lost (a dropped connection, a timeout
 * after it landed) is retried by the transport, as the SDK would; without more, the retry applies
 * the same amount twice.
 *
 * So every write carries its writer's stamp: each process (a Lambda instance, the local server)
 * is a writer with a random id, and stamps its writes on an account with a sequence number that
 * only grows (`w_<writer> = <seq>`), in the write itself and in its condition (`w_<writer> <
 * seq`). A retry of a write that landed finds its own stamp and fails its condition; reading the
 * stamp back then says it landed, and it is reported done — applied once. For that reading to be
 * sound, a writer has one write in flight per account at a time (a later stamp landing first
 * would make an earlier write look landed): what arrives meanwhile waits and shares the next
 * write (group commit), which also cuts the writes on a hot balance item. The stamp costs a few
 * bytes per writer on the item, and every write pays for the item's size: a writer's stamp unused
 * for STALE_STAMP_MS (no retry lives that long; in Lambda every instance is a writer, so a day's
 * worth would grow the item by thousands of stamps) is removed by a later write, while still stale.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { randomBase62 } from '../../core/base62';
import { backoff } from '../../core/backoff';
import { roundCredits } from '../../core/credits';
import { KeywardenError } from '../../core/errors';
import type { ReserveOutcome } from '../../core/ports';
import { GroupCommit } from './group-commit';
import { staleStamps, stampParts } from './stamp-lanes';
import { unlessConditionFails, type TableAccess } from './table-access';
import { itemKey, partition, sortKey } from './table';

/** One money movement waiting for its account's next write. */
type Op =
  | { kind: 'reserve'; amount: number; done: (outcome: ReserveOutcome) => void; fail: (err: unknown) => void }
  | { kind: 'charge'; amount: number; done: (balance: number) => void; fail: (err: unknown) => void }
  | { kind: 'return'; amount: number; done: (balance: number) => void; fail: (err: unknown) => void };

/** How long a reservation (on the call's critical path) keeps trying for a definite answer. */
const RESERVE_WAIT_MS = 5_000;
/** How long a charge or refund (after the answer: owed, never dropped) keeps trying. */
const SETTLE_WAIT_MS = 60_000;
/** Most stale stamps one write removes. */
const MAX_REMOVED = 8;
export const WRITER_STAMP = /^w_[0-9A-Za-z]{12}$/;

export class AccountMoney {
  /** This process's writer id (the attribute `w_<id>` on each account it writes). */
  readonly writer = `w_${randomBase62(12)}`;
  private lastSeq = 0;
  private readonly queues = new Map<string, GroupCommit<Op>>();
  /** Stamps of other writers seen stale on each account, removed by the next write there. */
  private readonly stale = new Map<string, string[]>();

  constructor(private readonly db: TableAccess) {}

  reserve(id: string, amount: number): Promise<ReserveOutcome> {
    return new Promise((done, fail) => this.enqueue(id, { kind: 'reserve', amount, done, fail }));
  }

  charge(id: string, amount: number): Promise<number> {
    return new Promise((done, fail) => this.enqueue(id, { kind: 'charge', amount, done, fail }));
  }

  give(id: string, amount: number): Promise<number> {
    return new Promise((done, fail) => this.enqueue(id, { kind: 'return', amount, done, fail }));
  }

  private enqueue(id: string, op: Op): void {
    let queue = this.queues.get(id);
    if (!queue) {
      // One write in flight per account: what waits goes out together in the next (group commit).
      // Each op is answered by `write` itself (its own outcome), which never throws.
      queue = new GroupCommit<Op>({ maxBatch: Number.MAX_SAFE_INTEGER, write: (ops) => this.write(id, ops), onIdle: () => this.queues.delete(id) });
      this.queues.set(id, queue);
    }
    void queue.add(op);
  }

  /**
   * One stamped write of `ops`' net amount. Reservations are conditional on the balance covering
   * all of them (and on the account's gate); refused together, they are tried one at a time so
   * each gets its own answer. Charges and refunds are not conditional on the balance.
   */
  private async write(id: string, ops: Op[]): Promise<void> {
    const reservations = ops.filter((o) => o.kind === 'reserve');
    const others = ops.filter((o) => o.kind !== 'reserve');
    const outcome = await this.stamped(id, ops).catch((err: unknown) => ({ error: err }));
    if ('error' in outcome) {
      for (const op of ops) op.fail(outcome.error);
      return;
    }
    if (outcome.applied) {
      for (const op of ops) {
        if (op.kind === 'reserve') op.done({ ok: true, balance: outcome.balance });
        else op.done(outcome.balance);
      }
      return;
    }
    // Refused: the account is gone, gated, or its balance does not cover the reservations.
    if (reservations.length > 1 || (reservations.length === 1 && others.length > 0)) {
      if (others.length > 0) await this.write(id, others);
      for (const op of reservations) await this.write(id, [op]);
      return;
    }
    for (const op of ops) {
      if (op.kind === 'reserve') op.done({ ok: false, reason: outcome.reason, balance: outcome.balance });
      // A charge or refund is refused only when the account is gone: its callers are told.
      else op.fail(new KeywardenError('not_found', `No account ${id}.`));
    }
  }

  /** The write itself; a lost answer is settled by reading the writer's stamp back. */
  private async stamped(
    id: string,
    ops: Op[],
  ): Promise<{ applied: true; balance: number } | { applied: false; reason: 'not_found' | 'disabled' | 'insufficient'; balance: number }> {
    const seq = this.nextSeq();
    const delta = roundCredits(ops.reduce((sum, o) => sum + (o.kind === 'return' ? o.amount : -o.amount), 0));
    const need = roundCredits(ops.reduce((sum, o) => sum + (o.kind === 'reserve' ? o.amount : 0), 0));
    const removed = (this.stale.get(id) ?? []).slice(0, MAX_REMOVED);
    this.stale.delete(id);
    // The stamp, as the key item's lanes write theirs (stamp-lanes.ts): a stale stamp is removed
    // only while it is still stale, so a writer that has just come back keeps the stamp its own
    // retry needs (the race, if it happens, refuses this write; it is sent again).
    const stamp = stampParts({ name: this.writer, seq, removed });
    const names = stamp.names;
    const values: Record<string, AttributeValue> = { ':d': { N: String(delta) }, ...stamp.values };
    let condition = `attribute_exists(pk) AND ${stamp.condition}`;
    if (need > 0) {
      condition += ' AND apiAccess = :on AND credits >= :need';
      values[':on'] = { BOOL: true };
      values[':need'] = { N: String(need) };
    }
    const key = { pk: { S: partition.account(id) }, sk: { S: sortKey.account } };
    const landed = async () => {
      const out = await this.db.wire.send<{ Attributes?: Record<string, AttributeValue> }>(
        'UpdateItem',
        {
          TableName: this.db.name,
          Key: key,
          UpdateExpression: `SET credits = credits + :d, ${stamp.set}${stamp.remove.length ? ` REMOVE ${stamp.remove.join(', ')}` : ''}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          // The whole item (what comes back costs no write units): the other writers' stamps on it
          // are seen, so stale ones are removed by the next write here.
          ReturnValues: 'ALL_NEW',
        },
        need > 0 ? 'reserve' : 'settle',
      );
      const stamps = Object.entries(out.Attributes ?? {}).filter(([name]) => WRITER_STAMP.test(name));
      if (stamps.length > 1) this.noteStale(id, Object.fromEntries(stamps.map(([name, v]) => [name, Number(v.N)])));
      return Number(out.Attributes?.credits?.N);
    };
    // Until the store gives a definite answer, the same write (same stamp) is sent again: it can
    // land once at most. A reservation waits for that at most RESERVE_WAIT_MS (the call then
    // answers 503), a charge or refund — owed, never dropped — SETTLE_WAIT_MS.
    const deadline = Date.now() + (need > 0 ? RESERVE_WAIT_MS : SETTLE_WAIT_MS);
    for (let attempt = 0; ; attempt++) {
      let failure: unknown;
      try {
        const balance = await unlessConditionFails(landed());
        if (balance !== undefined) return { applied: true, balance };
      } catch (err) {
        // Every attempt of the transport failed (answers lost, or throttled): the item will say.
        failure = err;
      }
      let item: Record<string, unknown> | undefined;
      try {
        item = await this.read(id);
      } catch (err) {
        failure ??= err;
        if (Date.now() > deadline) throw failure;
        await backoff(attempt);
        continue;
      }
      if (item && Number(item[this.writer] ?? 0) >= seq) return { applied: true, balance: Number(item.credits) };
      // Not applied. Refused, or never heard: the item says which condition fails.
      if (!item) return { applied: false, reason: 'not_found', balance: 0 };
      this.noteStale(id, item);
      const now = Number(item.credits);
      if (need > 0 && item.apiAccess !== true) return { applied: false, reason: 'disabled', balance: now };
      if (need > 0 && now < need) return { applied: false, reason: 'insufficient', balance: now };
      // Refused although the balance covers it: a stamp this write would remove was written again meanwhile.
      if (failure === undefined && removed.length) return this.stamped(id, ops);
      if (failure === undefined) return { applied: false, reason: 'insufficient', balance: now };
      if (Date.now() > deadline) throw failure;
      await backoff(attempt);
    }
  }

  private async read(id: string): Promise<Record<string, unknown> | undefined> {
    const out = await this.db.doc.send(new GetCommand({ TableName: this.db.name, Key: itemKey.account(id), ConsistentRead: true }));
    return out.Item;
  }

  /** Other writers' stamps unused for STALE_STAMP_MS: the next write here removes them. */
  private noteStale(id: string, item: Record<string, unknown>): void {
    const stale = staleStamps(item, WRITER_STAMP).filter((name) => name !== this.writer);
    if (stale.length) this.stale.set(id, stale);
  }

  /** Grows on every call: the wall clock in µs when it is ahead of the last one, else one more. */
  private nextSeq(): number {
    this.lastSeq = Math.max(this.lastSeq + 1, Date.now() * 1000);
    return this.lastSeq;
  }
}
