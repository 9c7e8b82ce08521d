/**
 * Daily usage counters (issue 21 "aggregates, not scans"): per key and per account, per UTC day,
 * the calls made, their usage tokens and the credits charged, added to as each call's usage record
 * is written. A chart of N days reads N items at most, in one Query, whatever the traffic.
 *
 * Each addition is an unconditional single-item `ADD` (no transaction: SPEC §7): it creates the
 * day's item at its first call and never reads it. Additions waiting on one item at once go out
 * as one write of their sums (group-commit.ts), so a burst of calls on one key makes few writes.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { roundCredits } from '../../core/credits';
import type { Store, UsageDay, UsageDayCounts, UsageDayOwner } from '../../core/ports';
import { GroupCommit } from './group-commit';
import type { TableAccess } from './table-access';
import { itemKey } from './table';

/** Kept as long as the usage records they count (logs.ts); DynamoDB TTL deletes them in AWS. */
const USAGE_DAY_RETENTION_S = 400 * 86_400;

export type UsageDayStore = Pick<Store, 'addUsageDay' | 'queryUsageDays'>;

export class UsageDayItems implements UsageDayStore {
  /** Additions per day item (pk and sk): those waiting on one item go out as one sum. */
  private readonly additions = new Map<string, GroupCommit<UsageDayCounts>>();

  constructor(private readonly db: TableAccess) {}

  addUsageDay(owner: UsageDayOwner, date: string, counts: UsageDayCounts): Promise<void> {
    const key = itemKey.usageDay(owner, date);
    const slot = `${key.pk}\u0000${key.sk}`;
    let queue = this.additions.get(slot);
    if (!queue) {
      queue = new GroupCommit<UsageDayCounts>({
        maxBatch: Number.MAX_SAFE_INTEGER,
        write: (all) => this.add(key, date, all),
        onIdle: () => this.additions.delete(slot),
      });
      this.additions.set(slot, queue);
    }
    return queue.add(counts);
  }

  /** One write of the summed counts (after the answer: over the lean transport, like the usage record). */
  private async add(key: { pk: string; sk: string }, date: string, all: UsageDayCounts[]): Promise<void> {
    let requests = 0;
    let tokens = 0;
    let credits = 0;
    for (const c of all) {
      requests += c.requests;
      tokens += c.tokens;
      credits += c.credits;
    }
    const ttl = Math.floor(Date.parse(`${date}T00:00:00Z`) / 1000) + 86_400 + USAGE_DAY_RETENTION_S;
    const n = (value: number): AttributeValue => ({ N: String(value) });
    await this.db.wire.send('UpdateItem', {
      TableName: this.db.name,
      Key: { pk: { S: key.pk }, sk: { S: key.sk } },
      // `ttl` is a DynamoDB reserved word.
      UpdateExpression: 'SET #ttl = :ttl ADD requests :r, tokens :t, credits :c',
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      // Credits are kept to 10⁻⁶ (credits.ts); DynamoDB adds decimals exactly from there.
      ExpressionAttributeValues: { ':ttl': n(ttl), ':r': n(requests), ':t': n(tokens), ':c': n(roundCredits(credits)) },
    }, 'usage');
  }

  async queryUsageDays(owner: UsageDayOwner, from: string, to: string): Promise<UsageDay[]> {
    const key = itemKey.usageDay(owner, from);
    const out = await this.db.doc.send(
      new QueryCommand({
        TableName: this.db.name,
        KeyConditionExpression: 'pk = :p AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':p': key.pk, ':from': from, ':to': to },
        ConsistentRead: true,
      }),
    );
    // At most one item per day, each a few numbers: a range of days is far below a page (1 MB).
    return (out.Items ?? []).map((item) => ({
      date: String(item.sk),
      requests: Number(item.requests ?? 0),
      tokens: Number(item.tokens ?? 0),
      credits: roundCredits(Number(item.credits ?? 0)),
    }));
  }
}
