/**
 * Writer stamps for items many calls write at once (a key's item: its admissions and releases;
 * issue 23 point 4). A write whose answer is lost is retried by the transport, as the SDK would;
 * without more, the retry applies it twice — a rate-limit window counted twice, a budget reserved
 * twice, a second concurrency slot taken while the first is never freed.
 *
 * So each write is stamped: this process is a writer with a random id, and writes an item through
 * one of a few lanes, each with its own stamp attribute (`w_<writer>_<lane>`) holding a sequence
 * number that only grows. The write sets its stamp and asserts the old one is lower; a retry of a
 * write that landed fails that condition, and reading the stamp back says it landed. That reading
 * is sound because a lane has one write in flight at a time: no later write of the lane can have
 * moved the stamp past this one. Lanes let calls of one key run side by side (a Lambda instance
 * uses one); a write waits only when all of its item's lanes are busy here.
 *
 * Stamps cost bytes on the item, and every write pays for the item's size: a stamp unused for
 * STALE_STAMP_MS (no retry lives that long) is removed by a later write there, whoever's it is —
 * on condition that it is still that old, so a writer that just came back is never robbed of the
 * stamp its own retry needs.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { randomBase62 } from '../../core/base62';

/**
 * Lanes per item per process: this many writes of one item in flight at once here. Each lane in
 * use is a stamp on the item, and every write pays for the item's size (1 KB a write unit): 4
 * stamps are ~85 bytes; 8 pushed a busy key's item past 1 KB (1.8 WCU a call instead of 1.1–1.5).
 */
export const LANES = 4;
/** A stamp not written for this long is removed by the next write that sees it. */
export const STALE_STAMP_MS = 5 * 60_000;
/** Most stale stamps one write removes. */
const MAX_REMOVED = 4;
/** A lane's stamp attribute. */
export const LANE_STAMP = /^w_[0-9A-Za-z]{8}_\d+$/;

export interface Stamp {
  /** The lane's attribute on the item. */
  name: string;
  /** This write's sequence number: what the attribute holds once the write has landed. */
  seq: number;
  /** Other stamps to remove in this write (stale). */
  removed: string[];
}

/**
 * A stamp as parts of an update: the SET, the REMOVEs, the condition (this lane's stamp lower
 * than this write's; each removed stamp still stale), and their names and values.
 */
export function stampParts(stamp: Stamp): { set: string; remove: string[]; condition: string; names: Record<string, string>; values: Record<string, AttributeValue> } {
  const names: Record<string, string> = { '#w': stamp.name };
  const values: Record<string, AttributeValue> = { ':seq': { N: String(stamp.seq) } };
  const conditions = ['(attribute_not_exists(#w) OR #w < :seq)'];
  stamp.removed.forEach((name, i) => {
    names[`#r${i}`] = name;
    conditions.push(`(attribute_not_exists(#r${i}) OR #r${i} < :staleBefore)`);
  });
  if (stamp.removed.length) values[':staleBefore'] = { N: String((Date.now() - STALE_STAMP_MS) * 1000) };
  return { set: '#w = :seq', remove: stamp.removed.map((_, i) => `#r${i}`), condition: conditions.join(' AND '), names, values };
}

/** The stamps (attributes matching `pattern`) on `item` unused for STALE_STAMP_MS. */
export function staleStamps(item: Record<string, unknown>, pattern: RegExp): string[] {
  const cutoff = (Date.now() - STALE_STAMP_MS) * 1000;
  const stale: string[] = [];
  for (const name in item) if (pattern.test(name) && Number(item[name]) < cutoff) stale.push(name);
  return stale;
}

export class StampLanes {
  /** 8 base62 characters (47 bits): two writers of one item sharing an id is a one-in-10^9 event at a thousand writers. */
  readonly writer = `w_${randomBase62(8)}`;
  private lastSeq = 0;
  private readonly pools = new Map<string, { free: number[]; waiting: Array<(lane: number) => void> }>();
  private readonly stale = new Map<string, string[]>();

  /** Runs `write` on a free lane of item `id` (waiting for one if all are busy), with a fresh stamp. */
  async run<T>(id: string, write: (stamp: Stamp) => Promise<T>): Promise<T> {
    const lane = await this.acquire(id);
    try {
      const removed = (this.stale.get(id) ?? []).slice(0, MAX_REMOVED);
      this.stale.delete(id);
      return await write({ name: `${this.writer}_${lane}`, seq: this.nextSeq(), removed });
    } finally {
      this.release(id, lane);
    }
  }

  /** True when `item` shows `stamp`'s write landed (its lane's attribute reached the write's number). */
  landed(item: Record<string, unknown> | undefined, stamp: Stamp): boolean {
    return item !== undefined && Number(item[stamp.name] ?? 0) >= stamp.seq;
  }

  /** Notes the stale stamps `item` shows, this process's own included: the next write there removes them (if still stale). */
  noteStale(id: string, item: Record<string, unknown>): void {
    const stale = staleStamps(item, LANE_STAMP);
    if (stale.length) this.stale.set(id, stale);
    else this.stale.delete(id);
  }

  private acquire(id: string): Promise<number> {
    let pool = this.pools.get(id);
    if (!pool) {
      pool = { free: Array.from({ length: LANES }, (_, i) => i), waiting: [] };
      this.pools.set(id, pool);
    }
    // The lowest free lane: a key written one call at a time keeps one stamp.
    pool.free.sort((a, b) => a - b);
    const lane = pool.free.shift();
    if (lane !== undefined) return Promise.resolve(lane);
    return new Promise((resolve) => pool.waiting.push(resolve));
  }

  private release(id: string, lane: number): void {
    const pool = this.pools.get(id);
    if (!pool) return;
    const next = pool.waiting.shift();
    if (next) return next(lane);
    pool.free.push(lane);
    if (pool.free.length === LANES) this.pools.delete(id);
  }

  /** Grows on every call: the wall clock in µs when it is ahead of the last one, else one more. */
  private nextSeq(): number {
    this.lastSeq = Math.max(this.lastSeq + 1, Date.now() * 1000);
    return this.lastSeq;
  }
}
