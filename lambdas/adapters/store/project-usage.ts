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
import { partition, USAGE_SHARDS } from './table';

/** Longest sort key DynamoDB accepts (bytes). */
const MAX_SORT_KEY_BYTES = 1024;

const SortKey = z
  .string()
  .min(1)
  .refine((sk) => Buffer.byteLength(sk, 'utf8') <= MAX_SORT_KEY_BYTES);

/**
 * The store cursor of a project's usage listing: `{ after: K }`, K the last sort key served. The
 * table's own start key of the unsharded partition (`{ pk, sk }`, what this listing handed out
 * before the shards) is read as `{ after: sk }`, so a listing paged across the change goes on.
 */
const ProjectUsageCursor = z.union([z.strictObject({ after: SortKey }), z.strictObject({ pk: z.string(), sk: SortKey })]);

/** DynamoDB's order of string keys: their UTF-8 bytes (not JavaScript's UTF-16 units). */
function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Items each partition is first asked for: its share of the page and a margin of about 3 standard deviations of a hashed share. */
export function firstFetch(limit: number): number {
  return Math.min(limit, Math.ceil(limit / USAGE_SHARDS) + Math.ceil(Math.sqrt(limit)) + 1);
}

/** One partition's place in a page: what it returned and not yet served, and where it goes on. */
interface Source {
  pk: string;
  buffer: Record<string, unknown>[];
  /** The next query's start key: at first the cursor's (none: from the newest), then the partition's LastEvaluatedKey. */
  start: Record<string, unknown> | undefined;
  /** False once the partition has said it holds nothing more (no LastEvaluatedKey). */
  more: boolean;
  asked: boolean;
}

export class ProjectUsage {
  constructor(private readonly db: TableAccess) {}

  /** One page of the project's usage records from `since` on, newest first. */
  async page(query: { projectId: string; since?: string; cursor?: string; limit: number }): Promise<Page<UsageRecord>> {
    const since = query.since ?? '0';
    const after = this.openCursor(query.projectId, since, query.cursor);
    const sources: Source[] = partition.projectUsageAll(query.projectId).map((pk) => ({
      pk,
      buffer: [],
      start: after === undefined ? undefined : { pk, sk: after },
      more: true,
      asked: false,
    }));
    const items: UsageRecord[] = [];
    let last: string | undefined;
    while (items.length < query.limit) {
      // The next key is the greatest head, known only when every partition that may hold more has one.
      const missing = query.limit - items.length;
      await Promise.all(sources.filter((s) => s.buffer.length === 0 && s.more).map((s) => this.fetch(s, since, s.asked ? missing : firstFetch(query.limit))));
      let next: string | undefined;
      for (const s of sources) {
        const head = s.buffer[0]?.sk as string | undefined;
        if (head !== undefined && (next === undefined || compareKeys(head, next) > 0)) next = head;
      }
      if (next === undefined) break;
      let item: Record<string, unknown> | undefined;
      for (const s of sources) if (s.buffer[0]?.sk === next) item = s.buffer.shift();
      items.push(strip<UsageRecord>(item!));
      last = next;
    }
    const more = sources.some((s) => s.buffer.length > 0 || s.more);
    return { items, nextCursor: more && last !== undefined ? encodeCursor({ after: last }) : undefined };
  }

  private async fetch(s: Source, since: string, limit: number): Promise<void> {
    const out = await this.db.doc.send(
      new QueryCommand({
        TableName: this.db.name,
        KeyConditionExpression: 'pk = :p AND sk >= :since',
        ExpressionAttributeValues: { ':p': s.pk, ':since': since },
        ScanIndexForward: false,
        Limit: limit,
        ExclusiveStartKey: s.start,
      }),
    );
    s.asked = true;
    s.buffer.push(...(out.Items ?? []));
    s.start = out.LastEvaluatedKey;
    s.more = out.LastEvaluatedKey !== undefined;
  }

  /**
   * The key a page goes on after, from a store cursor: a cursor this listing did not hand out for
   * this project and `since` is a 400 (`invalid_request_error`), never a query DynamoDB refuses
   * (a start key outside the key condition is a ValidationException there).
   */
  private openCursor(projectId: string, since: string, cursor: string | undefined): string | undefined {
    if (cursor === undefined || cursor === '') return undefined;
    const parsed = ProjectUsageCursor.safeParse(decodeCursor(cursor));
    let after: string | undefined;
    if (parsed.success) after = 'after' in parsed.data ? parsed.data.after : parsed.data.pk === partition.projectUsageUnsharded(projectId) ? parsed.data.sk : undefined;
    if (after === undefined || compareKeys(after, since) < 0) throw new KeywardenError('invalid_request_error', 'The cursor is not valid.', { param: 'cursor' });
    return after;
  }
}
