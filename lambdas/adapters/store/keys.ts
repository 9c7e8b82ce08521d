/**
 * API keys: the key item, its listing per project, its lifecycle writes (edit, pause, resume,
 * revoke, rotate, delete: each but delete moves the key's version) and admission — authentication and the rate-limit window in one conditional write over the lean
 * transport, the one write every authenticated call makes.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keyStatus } from '../../core/key-status';
import type { AdmitOutcome, KeyEdit, Store } from '../../core/ports';
import type { KeyRecord, Page } from '../../core/types';
import { decodeCursor, encodeCursor, strip, unlessConditionFails, type TableAccess } from './table-access';
import { itemKey, partition, sortKey, TABLE_SCHEMA } from './table';

/** Attribute values the hot-path writes use on every call, built once. */
const KEY_SK: AttributeValue = { S: sortKey.key };
const ACTIVE: AttributeValue = { S: 'active' };
const ONE: AttributeValue = { N: '1' };

export type KeyStore = Pick<
  Store,
  'getKeyWithAdmin' | 'putKey' | 'getKey' | 'listKeys' | 'keysCursorAfter' | 'updateKey' | 'revokeKey' | 'markRotated' | 'deleteKey' | 'admitKeyUse'
>;

/** A key's version as stored: absent on keys written before versions existed, which are version 1. */
const BUMP_VERSION = 'version = if_not_exists(version, :one) + :one';

export class KeyItems implements KeyStore {
  constructor(private readonly db: TableAccess) {}

  async getKeyWithAdmin(id: string, admin: { projectId: string; identity: string }): Promise<{ key?: KeyRecord; admin: boolean }> {
    const found = await this.db.batchGetAll([itemKey.key(id), itemKey.admin(admin.projectId, admin.identity)]);
    const keyItem = found.find((item) => item.sk === sortKey.key);
    return { ...(keyItem ? { key: toKey(keyItem) } : {}), admin: found.some((item) => item.sk !== sortKey.key) };
  }

  async putKey(key: KeyRecord): Promise<boolean> {
    const out = await unlessConditionFails(
      this.db.doc.send(
        new PutCommand({
          TableName: this.db.name,
          Item: {
            ...itemKey.key(key.id),
            gsi1pk: partition.projectKeys(key.projectId),
            gsi1sk: sortKey.timeline(key.createdAt, key.id),
            ...key,
            expiresAt: key.expiresAt ?? undefined,
            rlMax: key.rateLimit.limit,
            rlWindowMs: key.rateLimit.windowSeconds * 1000,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    return out !== undefined;
  }

  async getKey(id: string): Promise<KeyRecord | undefined> {
    const out = await this.db.doc.send(new GetCommand({ TableName: this.db.name, Key: itemKey.key(id), ConsistentRead: true }));
    return out.Item ? toKey(out.Item) : undefined;
  }

  async listKeys(projectId: string, options: { cursor?: string; limit: number }): Promise<Page<KeyRecord>> {
    const out = await this.db.doc.send(
      new QueryCommand({
        TableName: this.db.name,
        IndexName: TABLE_SCHEMA.gsi1.name,
        KeyConditionExpression: 'gsi1pk = :p',
        ExpressionAttributeValues: { ':p': partition.projectKeys(projectId) },
        ScanIndexForward: false,
        Limit: options.limit,
        ExclusiveStartKey: decodeCursor(options.cursor),
      }),
    );
    return { items: (out.Items ?? []).map(toKey), nextCursor: encodeCursor(out.LastEvaluatedKey) };
  }

  keysCursorAfter(key: KeyRecord): string {
    // The index's LastEvaluatedKey for this item: its table key and its gsi1 key.
    return encodeCursor({ ...itemKey.key(key.id), gsi1pk: partition.projectKeys(key.projectId), gsi1sk: sortKey.timeline(key.createdAt, key.id) })!;
  }

  async updateKey(id: string, edit: KeyEdit): Promise<KeyRecord | 'stale' | undefined> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':expected': edit.version, ':next': edit.version + 1 };
    const sets: string[] = ['#version = :next'];
    const removes: string[] = [];
    const fields: Record<string, unknown> = { ...edit.set };
    // The admission write reads the limit from these two, so a new rate limit holds from the next call.
    if (edit.set.rateLimit) Object.assign(fields, { rlMax: edit.set.rateLimit.limit, rlWindowMs: edit.set.rateLimit.windowSeconds * 1000 });
    Object.entries(fields).forEach(([field, value], i) => {
      names[`#f${i}`] = field;
      values[`:f${i}`] = value;
      sets.push(`#f${i} = :f${i}`);
    });
    Object.entries(edit.add ?? {}).forEach(([field, delta], i) => {
      names[`#a${i}`] = field;
      values[`:a${i}`] = delta;
      sets.push(`#a${i} = #a${i} + :a${i}`);
    });
    edit.remove.forEach((field, i) => {
      names[`#r${i}`] = field;
      removes.push(`#r${i}`);
    });
    names['#version'] = 'version';
    // One conditional write on the version read: a change that landed since (an edit, a pause, a
    // revocation, a rotation: each moves the version) makes this one stale instead of lost.
    const versionHolds = edit.version === 1 ? '(attribute_not_exists(#version) OR #version = :expected)' : '#version = :expected';
    const out = await unlessConditionFails(
      this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.name,
          Key: itemKey.key(id),
          UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: `attribute_exists(pk) AND ${versionHolds}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    if (out) return toKey(out.Attributes ?? {});
    return (await this.getKey(id)) ? 'stale' : undefined;
  }

  async revokeKey(id: string, at: string): Promise<KeyRecord | undefined> {
    const out = await unlessConditionFails(
      this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.name,
          Key: itemKey.key(id),
          // Idempotent: a second revoke keeps the first revocation time.
          UpdateExpression: `SET #s = :revoked, revokedAt = if_not_exists(revokedAt, :at), ${BUMP_VERSION}`,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':revoked': 'revoked', ':at': at, ':one': 1 },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return out ? toKey(out.Attributes ?? {}) : undefined;
  }

  async markRotated(id: string, replacementId: string, at: string, graceUntil: number | undefined, version?: number): Promise<boolean> {
    const revokeNow = graceUntil === undefined;
    const versionHolds = version === undefined ? '' : version === 1 ? ' AND (attribute_not_exists(version) OR version = :v)' : ' AND version = :v';
    const out = await unlessConditionFails(
      this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.name,
          Key: itemKey.key(id),
          UpdateExpression: revokeNow
            ? `SET replacedBy = :r, #s = :revoked, revokedAt = :at, ${BUMP_VERSION}`
            : `SET replacedBy = :r, graceUntil = :g, ${BUMP_VERSION}`,
          ConditionExpression: `attribute_exists(pk) AND attribute_not_exists(replacedBy)${versionHolds}`,
          ExpressionAttributeNames: revokeNow ? { '#s': 'status' } : undefined,
          ExpressionAttributeValues: {
            ...(revokeNow ? { ':r': replacementId, ':revoked': 'revoked', ':at': at } : { ':r': replacementId, ':g': graceUntil }),
            ':one': 1,
            ...(version === undefined ? {} : { ':v': version }),
          },
        }),
      ),
    );
    return out !== undefined;
  }

  async deleteKey(id: string): Promise<void> {
    await this.db.doc.send(new DeleteCommand({ TableName: this.db.name, Key: itemKey.key(id) }));
  }

  async admitKeyUse(id: string, hash: string, now: number): Promise<AdmitOutcome> {
    const validity =
      'attribute_exists(pk) AND #h = :hash AND #s = :active' +
      ' AND (attribute_not_exists(expiresAt) OR expiresAt > :now)' +
      ' AND (attribute_not_exists(graceUntil) OR graceUntil > :now)';
    const names = { '#h': 'hash', '#s': 'status' };
    // Hot path (every authenticated call): the low-level client with its attribute values built by hand.
    const values: Record<string, AttributeValue> = { ':hash': { S: hash }, ':active': ACTIVE, ':now': { N: String(now) }, ':one': ONE, ':used': { S: new Date(now).toISOString() } };
    const keyOfItem = { pk: { S: partition.key(id) }, sk: KEY_SK };
    const admit = (update: string, condition: string) =>
      unlessConditionFails(
        this.db.wire.send<{ Attributes?: Record<string, AttributeValue> }>('UpdateItem', {
          TableName: this.db.name,
          Key: keyOfItem,
          UpdateExpression: update,
          ConditionExpression: `${validity} AND ${condition}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }, 'admit'),
      );
    for (let attempt = 0; attempt < 3; attempt++) {
      const out =
        // Warm path: inside the current window and under the limit.
        (await admit('SET rlCount = rlCount + :one, lastUsedAt = :used', 'rlResetAt > :now AND rlCount < rlMax')) ??
        // First request of a new window.
        (await admit(
          'SET rlCount = :one, rlResetAt = :now + rlWindowMs, lastUsedAt = :used',
          '(attribute_not_exists(rlResetAt) OR rlResetAt <= :now) AND rlMax >= :one',
        ));
      if (out) return admitted(unmarshall(out.Attributes ?? {}));
      const refused = await this.refusedUse(id, hash, now);
      // Lost a race at a window boundary but there is room: try again.
      if (!refused.key || !refused.usable || (refused.window.resetAt > now && refused.window.count >= refused.key.rateLimit.limit)) {
        return { admitted: false, key: refused.key, window: refused.window };
      }
    }
    // Still contended after three tries: refused as rate-limited, with the window as it stands.
    const { key, window } = await this.refusedUse(id, hash, now);
    return { admitted: false, key, window: key ? { ...window, count: Math.max(window.count, key.rateLimit.limit) } : window };
  }

  /** The key item after a refused admission, read consistently: the one model of its window. */
  private async refusedUse(id: string, hash: string, now: number) {
    const { Item: item } = await this.db.doc.send(new GetCommand({ TableName: this.db.name, Key: itemKey.key(id), ConsistentRead: true }));
    const window = { count: Number(item?.rlCount ?? 0), resetAt: Number(item?.rlResetAt ?? now) };
    if (!item) return { key: undefined, usable: false, window };
    const key = toKey(item);
    return { key, usable: key.hash === hash && keyStatus(key, now) === 'active', window };
  }
}

function toKey(item: Record<string, unknown>): KeyRecord {
  const key = strip<KeyRecord>(item);
  key.expiresAt = typeof item.expiresAt === 'number' ? item.expiresAt : null;
  return key;
}

function admitted(item: Record<string, unknown>): AdmitOutcome {
  return {
    admitted: true,
    key: toKey(item),
    window: { count: Number(item.rlCount), resetAt: Number(item.rlResetAt) },
  };
}
