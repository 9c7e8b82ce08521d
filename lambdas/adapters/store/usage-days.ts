/**
 * Daily usage counters (issue 21 "aggregates, not scans"): per key and per account, per UTC day,
 * the calls made, their usage tokens and the credits charged, added to as each call's usage record
 * is written. A chart of N days reads N items at most, in one Query, whatever the traffic.
 *
 * Each addition is a single-item `ADD` (no transaction: SPEC §7): it creates the day's item at its
 * first call and never reads it. It is stamped (stamp-lanes.ts): the transport sends a write again
 * when its answer is lost, and the stamp makes an `ADD` that had landed fail instead of counting
 * twice (the item, read then, says it landed). Additions waiting on one item at once go out as one
 * write of their sums (group-commit.ts), so a burst of calls on one key makes few writes.
 *
 * A settled model call is counted in its key's day by its settlement instead (the key item's
 * `ud<day>r/t/c`, store/key-release.ts: a write the call makes anyway), and an admitted call that
 * is not a model call by its admission (key-admission.ts: the one write it makes on its key), so
 * such calls write no day item of their key. A key's days are then the sum of two places: its day
 * item (the other calls — refused, or model calls that settled no answer — and every call counted
 * before the key item counted any) and its item's counters.
 * A finished day (two days old: no settlement counts in it any more, whatever the clock skew
 * between instances) is filed: its counters are SET on its day item (`kr`, `kt`, `kc`: idempotent,
 * a repeated filing writes the same) and then removed from the key item on condition they are
 * still what was read, so the key item keeps at most a few days and never grows. A deleted key's
 * days are all filed, before and after its item goes (keys.ts `deleteKey`).
 *
 * An account's days are summed from its keys' (issue 23: write units per call, and no item every
 * call of an account writes): a key the store wrote since then (`accountDaysSummed`) adds its calls
 * to its own day only, and its day items are in gsi2 under its account (ACCOUNT#<aid>#KEYDAYS). The
 * account's day = its own day item (the calls of keys stored before, added there as then) + its
 * keys' day items in gsi2 + the days its keys' items still count (its projects' keys, read in
 * batches). An index is eventually consistent: a day item written a moment ago (a call that was not
 * a model call, a filing) may be missing from the account's day for that moment; a key's own days
 * are read consistently.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { roundCredits } from '../../core/credits';
import type { Store, UsageDay, UsageDayCounts, UsageDayOwner } from '../../core/ports';
import { GroupCommit } from './group-commit';
import { backoff } from '../../core/backoff';
import { DynamoWireError } from '../dynamodb-wire';
import { StampLanes, stampParts, type Stamp } from './stamp-lanes';
import { OWED_WAIT_MS, unlessConditionFails, type TableAccess } from './table-access';
import { itemKey, keyDayAttributes, keyDayOf, partition, sortKey, TABLE_SCHEMA } from './table';

/** Kept as long as the usage records they count (logs.ts); DynamoDB TTL deletes them in AWS. */
const USAGE_DAY_RETENTION_S = 400 * 86_400;

/** Keys whose finished days this process has filed, by the day it did (bounded: forgotten in bulk). */
const MAX_FILED_KEYS = 10_000;
const DAY_MS = 86_400_000;

export type UsageDayStore = Pick<Store, 'addUsageDay' | 'queryUsageDays'>;

export class UsageDayItems implements UsageDayStore {
  /** Additions per day item (pk and sk): those waiting on one item go out as one sum. */
  private readonly additions = new Map<string, GroupCommit<UsageDayCounts>>();
  /** Per key, the day this process last filed its finished days, and that filing while it runs. */
  private readonly filed = new Map<string, { date: string; done: Promise<void> }>();

  constructor(private readonly db: TableAccess) {}

  /**
   * Adds a call's counts to its day. Nothing to add to a key's day (its settlement counted the
   * call on the key item) is when that key's finished days are filed, once a day per process.
   */
  addUsageDay(owner: UsageDayOwner, date: string, counts: UsageDayCounts): Promise<void> {
    if (counts.requests === 0 && counts.tokens === 0 && counts.credits === 0) {
      return 'keyId' in owner ? this.fileFinishedDays(owner.keyId, date) : Promise.resolve();
    }
    const key = itemKey.usageDay(owner, date);
    const slot = `${key.pk}\u0000${key.sk}`;
    let queue = this.additions.get(slot);
    if (!queue) {
      const summed = 'keyId' in owner && owner.summedInto ? { accountId: owner.summedInto, keyId: owner.keyId } : undefined;
      queue = new GroupCommit<UsageDayCounts>({
        write: (all) => addToDay(this.db, key, date, sumOf(all), summed),
        onIdle: () => this.additions.delete(slot),
      });
      this.additions.set(slot, queue);
    }
    return queue.add(counts);
  }

  /**
   * A key's or an account's days: its day items, and for a key the counters its item still holds
   * (a day not yet filed: the item's counters, else the filed `kr`/`kt`/`kc`), read side by side.
   */
  async queryUsageDays(owner: UsageDayOwner, from: string, to: string): Promise<UsageDay[]> {
    if (!('keyId' in owner)) return this.accountDays(owner.accountId, from, to);
    const key = itemKey.usageDay(owner, from);
    const [out, keyItem] = await Promise.all([
      this.db.doc.send(
        new QueryCommand({
          TableName: this.db.name,
          KeyConditionExpression: 'pk = :p AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':p': key.pk, ':from': from, ':to': to },
          ConsistentRead: true,
        }),
      ),
      this.keyItem(owner.keyId, true),
    ]);
    const days = new Map<string, UsageDay>();
    const num = (value: unknown) => Number(value ?? 0);
    // At most one item per day, each a few numbers: a range of days is far below a page (1 MB).
    for (const item of out.Items ?? []) {
      const date = String(item.sk);
      const onKey = keyItem && keyItem[keyDayAttributes(date).requests] !== undefined;
      const counted = onKey ? keyCounts(keyItem, date) : { requests: num(item.kr), tokens: num(item.kt), credits: num(item.kc) };
      days.set(date, { date, requests: num(item.requests) + counted.requests, tokens: num(item.tokens) + counted.tokens, credits: roundCredits(num(item.credits) + counted.credits) });
    }
    for (const date of keyItem ? countedDays(keyItem) : []) {
      if (date < from || date > to || days.has(date)) continue;
      const counted = keyCounts(keyItem!, date);
      days.set(date, { date, ...counted, credits: roundCredits(counted.credits) });
    }
    return [...days.values()].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  }

  /**
   * Files the key's finished days (older than yesterday): each day's counters SET on its day item,
   * then removed from the key item if still what was read. Once per key, day and process; a
   * filing in flight is joined. A failure is left for the next day's (or process's) filing.
   */
  private fileFinishedDays(keyId: string, date: string): Promise<void> {
    const known = this.filed.get(keyId);
    if (known && known.date >= date) return known.done;
    if (this.filed.size >= MAX_FILED_KEYS) this.filed.clear();
    const entry = { date, done: Promise.resolve() };
    // A filing that failed is tried again by the key's next call, not remembered as done.
    entry.done = this.file(keyId, date).catch((err: unknown) => {
      if (this.filed.get(keyId) === entry) this.filed.delete(keyId);
      throw err;
    });
    this.filed.set(keyId, entry);
    return entry.done;
  }

  private async file(keyId: string, date: string): Promise<void> {
    const yesterday = new Date(Date.parse(`${date}T00:00:00Z`) - DAY_MS).toISOString().slice(0, 10);
    // Finished days change no more: an eventually consistent read sees them as they stay.
    const item = await this.keyItem(keyId, false);
    const finished = item ? countedDays(item).filter((day) => day < yesterday) : [];
    if (finished.length === 0) return;
    await fileDays(this.db, item!, finished);
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const conditions = ['attribute_exists(pk)'];
    const removes: string[] = [];
    for (const [i, day] of finished.entries()) {
      const a = keyDayAttributes(day);
      for (const [j, name] of [a.requests, a.tokens, a.credits].entries()) {
        names[`#d${i}_${j}`] = name;
        values[`:d${i}_${j}`] = item![name];
        conditions.push(`#d${i}_${j} = :d${i}_${j}`);
        removes.push(`#d${i}_${j}`);
      }
    }
    await unlessConditionFails(
      this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.name,
          Key: itemKey.key(keyId),
          UpdateExpression: `REMOVE ${removes.join(', ')}`,
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  /**
   * An account's days: its own day items, its keys' day items in gsi2, and the days its keys'
   * items still count — for each key and day, the key item's counters while it holds that day's,
   * else what was filed from them (`kr`/`kt`/`kc`), as a key's own days are read.
   */
  private async accountDays(accountId: string, from: string, to: string): Promise<UsageDay[]> {
    const [own, keyDays, keys] = await Promise.all([
      this.db.queryAll({
        KeyConditionExpression: 'pk = :p AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':p': partition.accountUsageDays(accountId), ':from': from, ':to': to },
        ConsistentRead: true,
      }),
      this.db.queryAll({
        IndexName: TABLE_SCHEMA.gsi2.name,
        KeyConditionExpression: 'gsi2pk = :p AND gsi2sk BETWEEN :from AND :to',
        // `<day>#<keyId>`: every key's entry of the last day sorts below `<day>#~`.
        ExpressionAttributeValues: { ':p': partition.accountKeyDays(accountId), ':from': from, ':to': `${to}#~` },
      }),
      this.summedKeys(accountId),
    ]);
    const days = new Map<string, UsageDayCounts>();
    const add = (date: string, c: UsageDayCounts) => {
      const day = days.get(date) ?? { requests: 0, tokens: 0, credits: 0 };
      days.set(date, { requests: day.requests + c.requests, tokens: day.tokens + c.tokens, credits: day.credits + c.credits });
    };
    const num = (value: unknown) => Number(value ?? 0);
    const direct = (item: Record<string, unknown>): UsageDayCounts => ({ requests: num(item.requests), tokens: num(item.tokens), credits: num(item.credits) });
    for (const item of own) add(String(item.sk), direct(item));
    const onKey = new Map(keys.map((item) => [String(item.id), item]));
    const filed = new Set<string>();
    for (const item of keyDays) {
      const date = String(item.sk);
      const keyId = String(item.gsi2sk).slice(date.length + 1);
      const keyItem = onKey.get(keyId);
      const counted = keyItem && keyItem[keyDayAttributes(date).requests] !== undefined ? keyCounts(keyItem, date) : { requests: num(item.kr), tokens: num(item.kt), credits: num(item.kc) };
      const d = direct(item);
      add(date, { requests: d.requests + counted.requests, tokens: d.tokens + counted.tokens, credits: d.credits + counted.credits });
      filed.add(`${keyId}#${date}`);
    }
    for (const [keyId, item] of onKey) {
      for (const date of countedDays(item)) if (date >= from && date <= to && !filed.has(`${keyId}#${date}`)) add(date, keyCounts(item, date));
    }
    return [...days]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([date, c]) => ({ date, requests: c.requests, tokens: c.tokens, credits: roundCredits(c.credits) }));
  }

  /** The items of an account's keys whose days are summed into its own: its projects' keys, read in batches. */
  private async summedKeys(accountId: string): Promise<Record<string, unknown>[]> {
    const listed = (gsi1pk: string) =>
      this.db.queryAll({ IndexName: TABLE_SCHEMA.gsi1.name, KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': gsi1pk }, ProjectionExpression: '#id', ExpressionAttributeNames: { '#id': 'id' } });
    const projects = await listed(partition.accountProjects(accountId));
    const ids = new Set<string>();
    // A project's list holds its keys' listing entries (and a new key's own item for a moment): each names the key.
    for (const entries of await Promise.all(projects.map((p) => listed(partition.projectKeys(String(p.id)))))) for (const e of entries) ids.add(String(e.id));
    const items = ids.size ? await this.db.batchGetAll([...ids].map((id) => itemKey.key(id))) : [];
    return items.filter((item) => item.accountDaysSummed === true && item.accountId === accountId);
  }

  private async keyItem(keyId: string, consistent: boolean): Promise<Record<string, unknown> | undefined> {
    const out = await this.db.doc.send(new GetCommand({ TableName: this.db.name, Key: itemKey.key(keyId), ConsistentRead: consistent }));
    return out.Item;
  }
}

/**
 * Files `days` of a key item's counters on their day items (`kr`, `kt`, `kc`: SET, so a repeated
 * filing writes the same), in gsi2 under its account when its days are summed into the account's.
 */
async function fileDays(db: TableAccess, item: Record<string, unknown>, days: string[]): Promise<void> {
  const keyId = String(item.id);
  const summed = item.accountDaysSummed === true ? String(item.accountId) : undefined;
  for (const day of days) {
    const counted = keyCounts(item, day);
    await db.doc.send(
      new UpdateCommand({
        TableName: db.name,
        Key: itemKey.usageDay({ keyId }, day),
        UpdateExpression: `SET #ttl = :ttl, kr = :r, kt = :t, kc = :c${summed ? ', gsi2pk = :gp, gsi2sk = :gs' : ''}`,
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: {
          ':ttl': dayTtl(day),
          ':r': counted.requests,
          ':t': counted.tokens,
          ':c': roundCredits(counted.credits),
          ...(summed ? { ':gp': partition.accountKeyDays(summed), ':gs': sortKey.accountKeyDay(day, keyId) } : {}),
        },
      }),
    );
  }
}

/**
 * Every day a key item counts, filed (a key being deleted: before its item goes, then from the
 * item it was deleted as). Only a key whose days are summed into its account's: another's are in
 * its account's day items already, and a deleted key's own days are read by no one.
 */
export async function fileKeyDays(db: TableAccess, item: Record<string, unknown> | undefined): Promise<void> {
  if (item?.accountDaysSummed === true) await fileDays(db, item, countedDays(item));
}

/** Counts added up: one write for all the additions that waited on one day item. */
function sumOf(all: UsageDayCounts[]): UsageDayCounts {
  const sum = { requests: 0, tokens: 0, credits: 0 };
  for (const c of all) {
    sum.requests += c.requests;
    sum.tokens += c.tokens;
    sum.credits += c.credits;
  }
  return sum;
}

/**
 * One write adding `counts` to the day item at `key` (after the answer: over the lean transport,
 * like the usage record). `summed`: the day item of a key whose days are summed into its
 * account's, put in gsi2 under the account.
 */
export async function addToDay(db: TableAccess, key: { pk: string; sk: string }, date: string, counts: UsageDayCounts, summed?: { accountId: string; keyId: string }): Promise<void> {
  const n = (value: number): AttributeValue => ({ N: String(value) });
  const slot = `${db.name}\u0000${key.pk}\u0000${key.sk}`;
  // Stamped (stamp-lanes.ts): the transport sends a write again when its answer is lost, and an
  // ADD sent again after it landed would count twice; this one fails on its own stamp instead.
  await dayLanes.run(slot, async (first) => {
    const requestFor = (stamp: Stamp) => {
      const st = stampParts(stamp);
      return {
        TableName: db.name,
        Key: { pk: { S: key.pk }, sk: { S: key.sk } },
        // `ttl` is a DynamoDB reserved word.
        UpdateExpression: `SET #ttl = :ttl, ${st.set}${summed ? ', gsi2pk = :gp, gsi2sk = :gs' : ''} ADD requests :r, tokens :t, credits :c${st.remove.length ? ` REMOVE ${st.remove.join(', ')}` : ''}`,
        ConditionExpression: st.condition,
        ExpressionAttributeNames: { '#ttl': 'ttl', ...st.names },
        // Credits are kept to 10⁻⁶ (credits.ts); DynamoDB adds decimals exactly from there.
        ExpressionAttributeValues: {
          ':ttl': n(dayTtl(date)),
          ':r': n(counts.requests),
          ':t': n(counts.tokens),
          ':c': n(roundCredits(counts.credits)),
          ...(summed ? { ':gp': { S: partition.accountKeyDays(summed.accountId) }, ':gs': { S: sortKey.accountKeyDay(date, summed.keyId) } } : {}),
          ...st.values,
        },
        ReturnValues: 'ALL_NEW',
      };
    };
    let stamp = first;
    // A failure the transport calls retryable (throttled, no connection, a timeout or a 5xx, which
    // may have landed) is sent again for as long as a usage record would be (table-access.ts
    // OWED_WAIT_MS): the stamp makes a write that had landed fail, and the item then says so.
    const deadline = Date.now() + OWED_WAIT_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        const out = await unlessConditionFails(db.wire.send<{ Attributes?: Record<string, AttributeValue> }>('UpdateItem', requestFor(stamp), 'usage'));
        if (out) {
          if (out.Attributes) dayLanes.noteStale(slot, unmarshall(out.Attributes));
          return;
        }
        // Refused by its condition: a retry of this very write that had landed, or a stale stamp it
        // was removing written again meanwhile. The item says which; the latter goes again, removing nothing.
        const { Item: item } = await db.doc.send(new GetCommand({ TableName: db.name, Key: key, ConsistentRead: true }));
        if (dayLanes.landed(item, stamp)) return;
        stamp = { ...stamp, removed: [] };
        continue;
      } catch (err) {
        if (!(err instanceof DynamoWireError && err.retryable) || Date.now() >= deadline) throw err;
      }
      await backoff(attempt);
    }
  });
}

/** This process's stamps on day items (one writer, a lane per write in flight on an item). */
const dayLanes = new StampLanes();

/** The days a key item holds counters of. */
function countedDays(item: Record<string, unknown>): string[] {
  return Object.keys(item).flatMap((name) => keyDayOf(name) ?? []);
}

/** One day's counters on a key item (zeros where absent). */
function keyCounts(item: Record<string, unknown>, date: string): UsageDayCounts {
  const a = keyDayAttributes(date);
  return { requests: Number(item[a.requests] ?? 0), tokens: Number(item[a.tokens] ?? 0), credits: Number(item[a.credits] ?? 0) };
}

/** A day item's expiry: kept as long as the usage records it counts (epoch s). */
function dayTtl(date: string): number {
  return Math.floor(Date.parse(`${date}T00:00:00Z`) / 1000) + 86_400 + USAGE_DAY_RETENTION_S;
}
