/**
 * The logs: audit records (who did what, by project, key and actor) and usage records (one per
 * model call, by project, key and request), read newest first, kept `AUDIT_RETENTION_S` in AWS.
 * Usage records are written after the answer over the lean transport, in one BatchWriteItem with
 * the other puts owed then (the owner record of a response the call stored, other calls' records
 * waiting: table-access.ts `putOwed`), each in its request's shard of the project's usage (table.ts `usageShard`: no
 * project's calls are bound by one partition's write units); a project's listing merges the
 * shards (project-usage.ts). A record of a request id that carries its time (table.ts
 * `requestTime`) is keyed by that time, so the id alone names it: one item and its key listing's
 * index entry, no request index entry (a write unit less per call); others keep the request index.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import { GetCommand, PutCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { AuditQuery, Store, UsageQuery } from '../../core/ports';
import type { AuditRecord, Page, UsageRecord } from '../../core/types';
import { strip, type TableAccess } from './table-access';
import { ProjectUsage } from './project-usage';
import { requestTime } from '../../core/ids';
import { KEY_USAGE_SHARDS, partition, sortKey, TABLE_SCHEMA, usageShard } from './table';

const AUDIT_RETENTION_S = 400 * 86_400;

export type LogStore = Pick<Store, 'putAudit' | 'queryAudit' | 'putUsage' | 'queryUsage'>;

export class LogItems implements LogStore {
  /** A project's usage records, across its shards. */
  private readonly projectUsage: ProjectUsage;

  constructor(private readonly db: TableAccess) {
    this.projectUsage = new ProjectUsage(db);
  }

  // ── audit ─────────────────────────────────────────────────────────────────

  /**
   * A unique record (`unique`: keyed by a person's one-time assertion) is put only where none is.
   * It carries a mark of this put (`wr`): a resend of the put after its answer was lost (the SDK
   * sends it again) finds its own record there, which is this put landing, not a replay.
   */
  async putAudit(record: AuditRecord, options: { unique?: boolean } = {}): Promise<boolean> {
    const order = sortKey.timeline(record.at, record.id);
    const key = { pk: partition.projectAudit(record.projectId), sk: order };
    const item = {
      ...key,
      ...(record.keyId ? { gsi1pk: partition.keyAudit(record.keyId), gsi1sk: order } : {}),
      gsi2pk: partition.actorAudit(record.projectId, record.actor),
      gsi2sk: order,
      ttl: Math.floor(Date.parse(record.at) / 1000) + AUDIT_RETENTION_S,
      ...record,
    };
    if (options.unique) return this.db.putOnce(item);
    await this.db.doc.send(new PutCommand({ TableName: this.db.name, Item: item }));
    return true;
  }

  async queryAudit(query: AuditQuery): Promise<Page<AuditRecord>> {
    const since = query.since ?? '0';
    const input: Omit<QueryCommandInput, 'TableName'> = query.keyId
      ? {
          IndexName: TABLE_SCHEMA.gsi1.name,
          KeyConditionExpression: 'gsi1pk = :p AND gsi1sk >= :since',
          FilterExpression: query.actor ? 'projectId = :proj AND actor = :actor' : 'projectId = :proj',
          ExpressionAttributeValues: { ':p': partition.keyAudit(query.keyId), ':since': since, ':proj': query.projectId, ...(query.actor ? { ':actor': query.actor } : {}) },
        }
      : query.actor
        ? {
            IndexName: TABLE_SCHEMA.gsi2.name,
            KeyConditionExpression: 'gsi2pk = :p AND gsi2sk >= :since',
            ExpressionAttributeValues: { ':p': partition.actorAudit(query.projectId, query.actor), ':since': since },
          }
        : {
            KeyConditionExpression: 'pk = :p AND sk >= :since',
            ExpressionAttributeValues: { ':p': partition.projectAudit(query.projectId), ':since': since },
          };
    return this.db.newestFirst<AuditRecord>(input, query);
  }

  // ── usage ─────────────────────────────────────────────────────────────────

  putUsage(record: UsageRecord): Promise<void> {
    const timed = requestTime(record.requestId);
    const order = sortKey.timeline(timed ?? record.at, record.requestId);
    const item = marshall(
      {
        pk: partition.projectUsage(record.projectId, usageShard(record.requestId)),
        sk: order,
        gsi1pk: partition.keyUsage(record.keyId, usageShard(record.requestId) % KEY_USAGE_SHARDS),
        gsi1sk: order,
        // Found by its key when its id carries the time; else by the request index.
        ...(timed ? {} : { gsi2pk: partition.requestUsage(record.projectId, record.requestId), gsi2sk: sortKey.requestUsage }),
        ttl: Math.floor(Date.parse(record.at) / 1000) + AUDIT_RETENTION_S,
        ...record,
      },
      { removeUndefinedValues: true },
    );
    // Owed (the record of a call already served and charged): a put under its request id, sent
    // again while the store throttles it or leaves it unprocessed, never two records.
    return this.db.putOwed(item);
  }

  /**
   * By request: its record's own key when the id carries its time (a consistent read), else (and
   * for a record written before) the request index (gsi2); by key (gsi1) or the whole project:
   * its shards merged.
   */
  async queryUsage(query: UsageQuery): Promise<Page<UsageRecord>> {
    if (query.requestId) {
      const timed = query.cursor ? undefined : requestTime(query.requestId);
      if (timed) {
        const out = await this.db.doc.send(
          new GetCommand({
            TableName: this.db.name,
            Key: { pk: partition.projectUsage(query.projectId, usageShard(query.requestId)), sk: sortKey.timeline(timed, query.requestId) },
            ConsistentRead: true,
          }),
        );
        if (out.Item) return { items: [strip<UsageRecord>(out.Item)], nextCursor: undefined };
      }
      return this.db.newestFirst<UsageRecord>(
        {
          IndexName: TABLE_SCHEMA.gsi2.name,
          KeyConditionExpression: 'gsi2pk = :p',
          ExpressionAttributeValues: { ':p': partition.requestUsage(query.projectId, query.requestId) },
        },
        query,
      );
    }
    if (query.keyId) return this.projectUsage.keyPage({ ...query, keyId: query.keyId });
    return this.projectUsage.page(query);
  }
}
