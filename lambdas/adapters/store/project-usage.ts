/**
 * A project's usage log read across its partitions: the USAGE_SHARDS shards records are written to
 * (by request id, table.ts) and the unsharded partition records were written to before the shards
 * — so nothing needs moving. One page is a merge, newest first, of one query per partition sent
 * side by side.
 *
 * Why the pages are exact: the sort key `<at>#<requestId>` is unique to a record, so the merged
 * log has one total order (DynamoDB's: UTF-8 bytes) and a page is the next `limit` keys of it
 * below the previous page's last. When a page ends at key K, every partition has served all it
 * holds above K and nothing below it, so each partition's position is "after K": the cursor holds
 * K once, not nine times (which also keeps it inside the API's 2,000-character cursor for any
 * request id). A partition holding K's record too (a record written both before and after the
 * change, by a retry) gives it once: equal keys are taken together.
 *
 * Reads: each partition is first asked for its share of the page and a margin
 * (`firstFetch`); a partition that runs out before the page is full is asked again for what is
 * still missing, so a page reads about `limit` + 9·√limit items, not 9 × limit.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { KeywardenError } from '../../core/errors';
import type { Page, UsageRecord } from '../../core/types';
import { decodeCursor, encodeCursor, strip, type TableAccess } from './table-access';
import { partition, TABLE_SCHEMA, USAGE_SHARDS } from './table';

/** Longest sort key DynamoDB accepts (bytes). */
const MAX_SORT_KEY_BYTES = 1024;

const SortKey = z
  .string()
  .min(1)
  .refine((sk) => Buffer.byteLength(sk, 'utf8') <= MAX_SORT_KEY_BYTES);

/**
 * The store cursor of a project's or a key's usage listing: `{ after: K }`, K the last sort key
 * served. The start key of the unsharded partition (the table's `{ pk, sk }` for a project, gsi1's
 * `{ pk, sk, gsi1pk, gsi1sk }` for a key: what these listings handed out before the shards) is
 * read as `{ after: K }`, so a listing paged across the change goes on.
 */
const UsageCursor = z.union([
  z.strictObject({ after: SortKey }),
  z.strictObject({ pk: z.string(), sk: SortKey }),
  z.strictObject({ pk: z.string(), sk: SortKey, gsi1pk: z.string(), gsi1sk: SortKey }),
]);

/** DynamoDB's order of string keys: their UTF-8 bytes (not JavaScript's UTF-16 units). */
function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Items each partition is first asked for: its share of the page and a margin of about 3 standard deviations of a hashed share. */
export function firstFetch(limit: number, shards = USAGE_SHARDS): number {
  return Math.min(limit, Math.ceil(limit / shards) + Math.ceil(Math.sqrt(limit)) + 1);
}

/** One partition's place in a page: what it returned and not yet served, and where it goes on. */
interface Source {
  pk: string;
  buffer: Record<string, unknown>[];
  /** Where the next query goes on: the partition's LastEvaluatedKey (none: from the page's start). */
  start: Record<string, unknown> | undefined;
  /** False once the partition has said it holds nothing more (no LastEvaluatedKey). */
  more: boolean;
  asked: boolean;
}

/**
 * Where a merged log lives: the table's `pk`/`sk` (a project's records) or gsi1's (a key's), its
 * partitions, the partition its old unsharded cursors name, and a filter its items must pass.
 */
interface Layout {
  index?: string;
  pkName: 'pk' | 'gsi1pk';
  skName: 'sk' | 'gsi1sk';
  partitions: string[];
  unsharded: string;
  filter?: { expression: string; values: Record<string, unknown> };
}

export class ProjectUsage {
  constructor(private readonly db: TableAccess) {}

  /** One page of the project's usage records from `since` on, newest first. */
  page(query: { projectId: string; since?: string; cursor?: string; limit: number }): Promise<Page<UsageRecord>> {
    const { projectId } = query;
    return this.merged({ pkName: 'pk', skName: 'sk', partitions: partition.projectUsageAll(projectId), unsharded: partition.projectUsageUnsharded(projectId) }, query);
  }

  /** One page of a key's usage records in its project (gsi1: its KEY_USAGE_SHARDS partitions and the unsharded one), newest first. */
  keyPage(query: { projectId: string; keyId: string; since?: string; cursor?: string; limit: number }): Promise<Page<UsageRecord>> {
    return this.merged(
      {
        index: TABLE_SCHEMA.gsi1.name,
        pkName: 'gsi1pk',
        skName: 'gsi1sk',
        partitions: partition.keyUsageAll(query.keyId),
        unsharded: partition.keyUsageUnsharded(query.keyId),
        filter: { expression: 'projectId = :proj', values: { ':proj': query.projectId } },
      },
      query,
    );
  }

  private async merged(layout: Layout, query: { since?: string; cursor?: string; limit: number }): Promise<Page<UsageRecord>> {
    const since = query.since ?? '0';
    const after = this.openCursor(layout, since, query.cursor);
    const sources: Source[] = layout.partitions.map((pk) => ({ pk, buffer: [], start: undefined, more: true, asked: false }));
    const sk = (item: Record<string, unknown> | undefined) => item?.[layout.skName] as string | undefined;
    const items: UsageRecord[] = [];
    let last: string | undefined;
    while (items.length < query.limit) {
      // The next key is the greatest head, known only when every partition that may hold more has one
      // (a partition's answer can be empty and still say more: the filter dropped what it read).
      const missing = query.limit - items.length;
      for (let empty = sources.filter((s) => s.buffer.length === 0 && s.more); empty.length; empty = sources.filter((s) => s.buffer.length === 0 && s.more)) {
        await Promise.all(empty.map((s) => this.fetch(layout, s, since, after, s.asked ? missing : firstFetch(query.limit, layout.partitions.length - 1))));
      }
      let next: string | undefined;
      for (const s of sources) {
        const head = sk(s.buffer[0]);
        if (head !== undefined && (next === undefined || compareKeys(head, next) > 0)) next = head;
      }
      if (next === undefined) break;
      let item: Record<string, unknown> | undefined;
      for (const s of sources) if (sk(s.buffer[0]) === next) item = s.buffer.shift();
      items.push(strip<UsageRecord>(item!));
      last = next;
    }
    const more = sources.some((s) => s.buffer.length > 0 || s.more);
    return { items, nextCursor: more && last !== undefined ? encodeCursor({ after: last }) : undefined };
  }

  /**
   * The partition's next items below `after` (exclusive) down to `since`: a key condition, not a
   * start key — an index's start key names the table's keys too, which a cursor does not hold.
   */
  private async fetch(layout: Layout, s: Source, since: string, after: string | undefined, limit: number): Promise<void> {
    const out = await this.db.doc.send(
      new QueryCommand({
        TableName: this.db.name,
        IndexName: layout.index,
        KeyConditionExpression: after === undefined ? '#p = :p AND #s >= :since' : '#p = :p AND #s BETWEEN :since AND :after',
        ...(layout.filter ? { FilterExpression: layout.filter.expression } : {}),
        ExpressionAttributeNames: { '#p': layout.pkName, '#s': layout.skName },
        ExpressionAttributeValues: { ':p': s.pk, ':since': since, ...(after === undefined ? {} : { ':after': after }), ...layout.filter?.values },
        ScanIndexForward: false,
        Limit: limit,
        ExclusiveStartKey: s.start,
      }),
    );
    s.asked = true;
    s.buffer.push(...(out.Items ?? []).filter((item) => item[layout.skName] !== after));
    s.start = out.LastEvaluatedKey;
    s.more = out.LastEvaluatedKey !== undefined;
  }

  /**
   * The key a page goes on after, from a store cursor: a cursor this listing did not hand out for
   * these partitions and `since` is a 400 (`invalid_request_error`), never a query DynamoDB refuses.
   * A start key the listing handed out before the shards (its unsharded partition's) is read as
   * the key it names.
   */
  private openCursor(layout: Layout, since: string, cursor: string | undefined): string | undefined {
    if (cursor === undefined || cursor === '') return undefined;
    const parsed = UsageCursor.safeParse(decodeCursor(cursor));
    let after: string | undefined;
    if (parsed.success) {
      const c = parsed.data;
      if ('after' in c) after = c.after;
      else if (!('gsi1pk' in c)) after = layout.pkName === 'pk' && c.pk === layout.unsharded ? c.sk : undefined;
      else if (layout.pkName === 'gsi1pk' && c.gsi1pk === layout.unsharded) after = c.gsi1sk;
    }
    if (after === undefined || compareKeys(after, since) < 0) throw new KeywardenError('invalid_request_error', 'The cursor is not valid.', { param: 'cursor' });
    return after;
  }
}
