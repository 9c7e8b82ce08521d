/**
 * Key requests (core/key-requests.ts): the request items and the one-pending-per-requester-and-name
 * slots (layouts in table.ts). Every decision is one conditional single-item write — an approval's
 * lock, its decision, a denial, the claim that hands the sealed key out once — so two approvals
 * racing end with one key, and a claim replayed finds nothing. Each is this write, not another,
 * when the store's answer to it was lost after it landed (the SDK sends it again and the resend
 * fails its own condition): the item then shows it by the write's mark (`TableAccess.putOnce`,
 * `takeSealedOnce`, a decision's `wr`) or its lock holder. Expiry is checked in code and in the
 * conditions; nothing relies on TTL.
 */
import { DeleteCommand, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ChannelCeilingRecord } from '../../core/key-request-channel';
import type { KeyRequestRecord } from '../../core/key-request-record';
import type { KeyRequestPort } from '../../core/key-request-port';
import type { Page } from '../../core/types';
import { decodeCursor, encodeCursor, strip, unlessConditionFails, type TableAccess } from './table-access';
import { itemKey, partition, sortKey, TABLE_SCHEMA } from './table';

/** A request item without the table's keys and index attributes. */
function toRequest(item: Record<string, unknown>): KeyRequestRecord {
  return strip<KeyRequestRecord>(item);
}

export class KeyRequestItems implements KeyRequestPort {
  constructor(private readonly db: TableAccess) {}

  async putKeyRequest(request: KeyRequestRecord): Promise<boolean> {
    return this.db.putOnce({
      ...itemKey.keyRequest(request.id),
      gsi1pk: partition.projectKeyRequests(request.projectId),
      gsi1sk: sortKey.timeline(request.createdAt, request.id),
      ...request,
    });
  }

  async getKeyRequest(id: string): Promise<KeyRequestRecord | undefined> {
    const out = await this.db.doc.send(new GetCommand({ TableName: this.db.name, Key: itemKey.keyRequest(id), ConsistentRead: true }));
    return out.Item ? toRequest(out.Item) : undefined;
  }

  async listKeyRequests(projectId: string, options: { cursor?: string; limit: number }): Promise<Page<KeyRequestRecord>> {
    const out = await this.db.doc.send(
      new QueryCommand({
        TableName: this.db.name,
        IndexName: TABLE_SCHEMA.gsi1.name,
        KeyConditionExpression: 'gsi1pk = :p',
        ExpressionAttributeValues: { ':p': partition.projectKeyRequests(projectId) },
        ScanIndexForward: false,
        Limit: options.limit,
        ExclusiveStartKey: decodeCursor(options.cursor),
      }),
    );
    return { items: (out.Items ?? []).map(toRequest), nextCursor: encodeCursor(out.LastEvaluatedKey) };
  }

  keyRequestsCursorAfter(request: KeyRequestRecord): string {
    // The index's LastEvaluatedKey for this item: its table key and its gsi1 key.
    return encodeCursor({
      ...itemKey.keyRequest(request.id),
      gsi1pk: partition.projectKeyRequests(request.projectId),
      gsi1sk: sortKey.timeline(request.createdAt, request.id),
    })!;
  }

  async takeKeyRequestSlot(projectId: string, slot: string, requestId: string, until: number, now: number, replacing?: string): Promise<boolean> {
    return this.db.putOnce(
      { ...itemKey.keyRequestSlot(projectId, slot), requestId, until },
      replacing === undefined
        ? { ConditionExpression: 'attribute_not_exists(pk) OR #until <= :now', ExpressionAttributeNames: { '#until': 'until' }, ExpressionAttributeValues: { ':now': now } }
        : { ConditionExpression: 'requestId = :replacing', ExpressionAttributeValues: { ':replacing': replacing } },
    );
  }

  async keyRequestSlot(projectId: string, slot: string): Promise<{ requestId: string; until: number } | undefined> {
    const out = await this.db.doc.send(new GetCommand({ TableName: this.db.name, Key: itemKey.keyRequestSlot(projectId, slot), ConsistentRead: true }));
    return out.Item ? { requestId: out.Item.requestId as string, until: out.Item.until as number } : undefined;
  }

  async releaseKeyRequestSlot(projectId: string, slot: string, requestId: string): Promise<void> {
    await unlessConditionFails(
      this.db.doc.send(
        new DeleteCommand({
          TableName: this.db.name,
          Key: itemKey.keyRequestSlot(projectId, slot),
          ConditionExpression: 'requestId = :id',
          ExpressionAttributeValues: { ':id': requestId },
        }),
      ),
    );
  }

  async lockKeyRequest(id: string, holder: string, until: number, now: number): Promise<boolean> {
    const out = await unlessConditionFails(
      this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.name,
          Key: itemKey.keyRequest(id),
          UpdateExpression: 'SET lockHolder = :holder, lockUntil = :until',
          ConditionExpression: 'attribute_exists(pk) AND #status = :pending AND expiresAt > :now AND (attribute_not_exists(lockUntil) OR lockUntil <= :now)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':holder': holder, ':until': until, ':now': now, ':pending': 'pending' },
        }),
      ),
    );
    // A holder is one approval's own (a fresh id): the lock found held by it is this lock landing.
    return out !== undefined || (await this.db.landedAs(itemKey.keyRequest(id), (item) => item.lockHolder === holder && item.lockUntil === until)) !== undefined;
  }

  async unlockKeyRequest(id: string, holder: string): Promise<void> {
    await unlessConditionFails(
      this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.name,
          Key: itemKey.keyRequest(id),
          UpdateExpression: 'REMOVE lockHolder, lockUntil',
          ConditionExpression: 'lockHolder = :holder',
          ExpressionAttributeValues: { ':holder': holder },
        }),
      ),
    );
  }

  async decideKeyRequest(id: string, decision: Parameters<KeyRequestPort['decideKeyRequest']>[1]): Promise<KeyRequestRecord | undefined> {
    const values: Record<string, unknown> = { ':pending': 'pending', ':status': decision.status, ':by': decision.decidedBy, ':at': decision.decidedAt };
    let set = '#status = :status, decidedBy = :by, decidedAt = :at';
    let condition: string;
    if (decision.status === 'approved') {
      set += ', keyId = :keyId, keyStart = :keyStart, sealedKey = :sealed, claimUntil = :claimUntil';
      Object.assign(values, { ':holder': decision.holder, ':keyId': decision.keyId, ':keyStart': decision.keyStart, ':sealed': decision.sealedKey, ':claimUntil': decision.claimUntil });
      condition = '#status = :pending AND lockHolder = :holder';
    } else {
      set += ', denyReason = :reason';
      Object.assign(values, { ':reason': decision.denyReason, ':now': decision.now });
      condition = '#status = :pending AND expiresAt > :now AND (attribute_not_exists(lockUntil) OR lockUntil <= :now)';
    }
    // A decision whose answer was lost is found by its mark (TableAccess.updateOnce).
    const decided = await this.db.updateOnce({
      Key: itemKey.keyRequest(id),
      UpdateExpression: `SET ${set} REMOVE lockHolder, lockUntil`,
      ConditionExpression: `attribute_exists(pk) AND ${condition}`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: values,
    });
    return decided ? toRequest(decided) : undefined;
  }

  async takeKeyRequestValue(id: string, claimedAt: string, now: number): Promise<KeyRequestRecord | undefined> {
    const taken = await this.db.takeSealedOnce(itemKey.keyRequest(id), {
      claimedAt,
      condition: '#status = :approved AND claimUntil > :now',
      names: { '#status': 'status' },
      values: { ':approved': 'approved', ':now': now },
    });
    return taken ? toRequest(taken) : undefined;
  }

  async dropKeyRequestValue(id: string, now: number): Promise<void> {
    await unlessConditionFails(
      this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.name,
          Key: itemKey.keyRequest(id),
          UpdateExpression: 'REMOVE sealedKey',
          ConditionExpression: 'attribute_exists(sealedKey) AND claimUntil <= :now',
          ExpressionAttributeValues: { ':now': now },
        }),
      ),
    );
  }

  async putKeyRequestCeiling(record: ChannelCeilingRecord, expectedVersion: number): Promise<boolean> {
    return this.db.putOnce(
      { ...itemKey.keyRequestCeiling(record.projectId, record.channel), ...record },
      expectedVersion === 0
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : { ConditionExpression: '#v = :v', ExpressionAttributeNames: { '#v': 'version' }, ExpressionAttributeValues: { ':v': expectedVersion } },
    );
  }

  async getKeyRequestCeiling(projectId: string, channel: string): Promise<ChannelCeilingRecord | undefined> {
    const out = await this.db.doc.send(new GetCommand({ TableName: this.db.name, Key: itemKey.keyRequestCeiling(projectId, channel), ConsistentRead: true }));
    return out.Item ? strip<ChannelCeilingRecord>(out.Item) : undefined;
  }

  async deleteKeyRequestCeiling(projectId: string, channel: string): Promise<boolean> {
    return this.db.deleteOnce(itemKey.keyRequestCeiling(projectId, channel));
  }
}
