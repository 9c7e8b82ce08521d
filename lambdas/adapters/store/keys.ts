/**
 * API keys: the key item, its listing per project, its lifecycle writes (edit, pause, resume,
 * revoke, rotate, delete: each but delete moves the key's version), and admission — the one
 * write every authenticated call makes, with a model call's budget, token window and concurrency
 * slot (store/key-admission.ts).
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AdmitOutcome, KeyEdit, KeyHoldRelease, ModelCallAdmission, Store } from '../../core/ports';
import { KeywardenError } from '../../core/errors';
import { CARRIED_EVENT, listingItem } from './carried-event';
import { KeyAdmission, toKey } from './key-admission';
import { KeyLeases, RETURN } from './key-lease';
import { emptyLease } from './lease-sweep';
import { renewSlot } from './slot-claims';
import type { ExposureRecord } from '../../core/exposure';
import type { StoredEvent } from '../../core/events';
import type { Account, KeyRecord, Page } from '../../core/types';
import { decodeCursor, encodeCursor, strip, unlessConditionFails, type TableAccess } from './table-access';
import { fileKeyDays } from './usage-days';
import { itemKey, partition, sortKey, TABLE_SCHEMA, type ItemKey } from './table';

export type KeyStore = Pick<
  Store,
  | 'getKeyWithAdmin'
  | 'putKey'
  | 'listKey'
  | 'getKey'
  | 'listKeys'
  | 'keysCursorAfter'
  | 'updateKey'
  | 'revokeKey'
  | 'markRotated'
  | 'undoRotation'
  | 'deleteKey'
  | 'markExposed'
  | 'admitKeyUse'
  | 'releaseKeyUse'
  | 'renewKeySlot'
>;

/**
 * The marker a key change leaves for the event announcing it (core/events.ts `StoredEvent`): the
 * event's id added to the key's `evts` set by the change's own write, so the relay can tell the
 * change landed even if its writer died before confirming. Adds `:evt` to `values`.
 */
function withMarker(event: string | undefined, values: Record<string, unknown>): string {
  if (!event) return '';
  values[':evt'] = new Set([event]);
  return ' ADD evts :evt';
}

/** A key item as the store hands it out: without the event it may still carry. */
function asKey(item: Record<string, unknown>): KeyRecord {
  const { [CARRIED_EVENT]: _carried, ...rest } = item;
  return toKey(rest);
}

/** A key's version as stored: absent on keys written before versions existed, which are version 1. */
const BUMP_VERSION = 'version = if_not_exists(version, :one) + :one';

export class KeyItems implements KeyStore {
  private readonly admission: KeyAdmission;
  private readonly leases: KeyLeases;

  constructor(private readonly db: TableAccess) {
    this.admission = new KeyAdmission(db);
    this.leases = KeyLeases.of(db);
  }

  /**
   * One consistent BatchGetItem: the key, the person's admin entry and, for a rotation (whose
   * account policy bounds the replacement), the account — so checking who asks and what the
   * policy allows adds no round trip to reading the key.
   */
  async getKeyWithAdmin(
    id: string,
    admin: { projectId: string; identity: string },
    options: { accountId?: string } = {},
  ): Promise<{ key?: KeyRecord; admin: boolean; account?: Account }> {
    const adminKey = itemKey.admin(admin.projectId, admin.identity);
    const accountKey = options.accountId === undefined ? undefined : itemKey.account(options.accountId);
    const found = await this.db.batchGetAll([itemKey.key(id), adminKey, ...(accountKey ? [accountKey] : [])]);
    const keyItem = found.find((item) => isAt(item, itemKey.key(id)));
    const accountItem = accountKey && found.find((item) => isAt(item, accountKey));
    return {
      ...(keyItem ? { key: asKey(keyItem) } : {}),
      admin: found.some((item) => isAt(item, adminKey)),
      ...(accountItem ? { account: strip<Account>(accountItem) } : {}),
    };
  }

  /**
   * A new key's item. It is in no index: every authenticated call writes it (admission), and an
   * item in an index with every attribute projected has its index entry rewritten by each of
   * those writes (a second write unit, all of a project's keys on one index partition). What
   * lists it is its listing entry (`listKey`), written before it — or, with `carried`, the item
   * itself for a moment: it carries the change's pending event and sits in the outbox and its
   * project's list, at the places their own items will take, until store/carried-event.ts `unpackCarried`
   * (the change's after-answer confirmation, or the outbox sweep) writes those items and takes the
   * five attributes off it. So it is never unlisted, and its change never unannounced, while its
   * creation writes one item instead of three.
   */
  async putKey(key: KeyRecord, event?: string, carried?: StoredEvent): Promise<boolean> {
    const listed = carried ? listingItem(key) : undefined;
    const out = await unlessConditionFails(
      this.db.doc.send(
        new PutCommand({
          TableName: this.db.name,
          Item: {
            ...itemKey.key(key.id),
            ...key,
            // Its calls add to its own days only: its account's days are summed from its keys' (usage-days.ts).
            accountDaysSummed: true,
            expiresAt: key.expiresAt ?? undefined,
            rlMax: key.rateLimit.limit,
            rlWindowMs: key.rateLimit.windowSeconds * 1000,
            ...(event ? { evts: new Set([event]) } : {}),
            ...(carried && listed
              ? {
                  gsi1pk: listed.gsi1pk,
                  gsi1sk: listed.gsi1sk,
                  gsi2pk: partition.outbox,
                  gsi2sk: sortKey.outboxDue(carried.due ?? 0, carried.event.id),
                  [CARRIED_EVENT]: carried,
                }
              : {}),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    // A resend after the answer was lost finds the key this put wrote: its hash (one per secret).
    return out !== undefined || (await this.landed(key.id, (item) => item.hash === key.hash)) !== undefined;
  }

  /**
   * The key's listing entry: small, written once, in gsi1 (the project's keys, newest first),
   * sharing its round trip with any plain put started beside it (`putTogether`). A key change's
   * new key carries it on its own put instead (`putKey`'s `carried`).
   */
  async listKey(key: KeyRecord): Promise<void> {
    await this.db.putTogether(listingItem(key));
  }

  async getKey(id: string): Promise<KeyRecord | undefined> {
    const out = await this.db.doc.send(new GetCommand({ TableName: this.db.name, Key: itemKey.key(id), ConsistentRead: true }));
    return out.Item ? asKey(out.Item) : undefined;
  }

  /**
   * A page of a project's keys, newest first: the listing entries (gsi1), then their key items in
   * one consistent BatchGetItem. Keys written before listing entries existed are in gsi1
   * themselves and come back whole. An entry without its key item (deleted, never written) is
   * skipped, so a page may hold fewer keys than `limit`; the cursor still moves past it.
   */
  async listKeys(projectId: string, options: { cursor?: string; limit: number; admin?: string }): Promise<Page<KeyRecord> & { admin?: boolean }> {
    // A cursor is a position in the list: the gsi1 sort key of the last key shown (unique: it
    // ends with the key's id), whichever item listed it — an entry or, written before entries
    // existed, the key item itself. The page continues below it.
    const before = positionOf(options.cursor);
    const out = await this.db.doc.send(
      new QueryCommand({
        TableName: this.db.name,
        IndexName: TABLE_SCHEMA.gsi1.name,
        KeyConditionExpression: before === undefined ? 'gsi1pk = :p' : 'gsi1pk = :p AND gsi1sk < :before',
        ExpressionAttributeValues: { ':p': partition.projectKeys(projectId), ...(before === undefined ? {} : { ':before': before }) },
        ScanIndexForward: false,
        Limit: options.limit,
      }),
    );
    const found = out.Items ?? [];
    const listed = found.filter((item) => item.sk === sortKey.keyListing).map((item) => itemKey.key(String(item.id)));
    // A person's admin entry rides with the page's keys (the bot's "is this person an admin, and
    // which keys match": one BatchGetItem after the query instead of a GetItem beside it).
    const adminKey = options.admin === undefined ? undefined : itemKey.admin(projectId, options.admin);
    const toRead = adminKey ? [...listed, adminKey] : listed;
    const read = toRead.length ? await this.db.batchGetAll(toRead) : [];
    const items = new Map(read.filter((item) => item.sk === sortKey.key).map((item) => [String(item.pk), item]));
    const seen = new Set<string>();
    const keys = found.flatMap((item) => {
      const whole = item.sk === sortKey.keyListing ? items.get(partition.key(String(item.id))) : item;
      // A key being moved to its listing entry is briefly in the index twice, side by side.
      if (!whole || whole.projectId !== projectId || seen.has(String(whole.id))) return [];
      seen.add(String(whole.id));
      return [asKey(whole)];
    });
    // Keys written before listing entries existed are moved to one as they are listed. A new key
    // still carrying its listing (`putKey`'s `carried`) is listed by its item alone until its
    // change's own work (or the outbox sweep) unpacks it.
    const legacy = found.filter((item) => item.sk === sortKey.key && item[CARRIED_EVENT] === undefined);
    if (legacy.length) await Promise.all(legacy.map((item) => this.moveToListing(asKey(item))));
    return { items: keys, nextCursor: encodeCursor(out.LastEvaluatedKey), ...(adminKey ? { admin: read.some((item) => isAt(item, adminKey)) } : {}) };
  }

  /**
   * A key written before listing entries existed, out of gsi1: its entry first (never unlisted),
   * then the index attributes removed from its item — if it still exists (a deleted key is not
   * written back). Idempotent; a failure leaves it listed as before, to be moved next time.
   */
  private async moveToListing(key: KeyRecord): Promise<void> {
    try {
      await this.listKey(key);
      await unlessConditionFails(
        this.db.doc.send(
          new UpdateCommand({ TableName: this.db.name, Key: itemKey.key(key.id), UpdateExpression: 'REMOVE gsi1pk, gsi1sk', ConditionExpression: 'attribute_exists(pk)' }),
        ),
      );
    } catch {
      // Listed as before; the next listing tries again.
    }
  }

  keysCursorAfter(key: KeyRecord): string {
    return encodeCursor({ gsi1sk: sortKey.timeline(key.createdAt, key.id) })!;
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
    const marked = withMarker(edit.event, values);
    // One conditional write on the version read: a change that landed since (an edit, a pause, a
    // revocation, a rotation: each moves the version) makes this one stale instead of lost.
    const versionHolds = edit.version === 1 ? '(attribute_not_exists(#version) OR #version = :expected)' : '#version = :expected';
    const out = await unlessConditionFails(
      this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.name,
          Key: itemKey.key(id),
          UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}${marked}`,
          ConditionExpression: `attribute_exists(pk) AND ${versionHolds}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    if (out) return asKey(out.Attributes ?? {});
    const mine = edit.event ? await this.landed(id, (item) => (item.evts as Set<string> | undefined)?.has(edit.event!) === true) : undefined;
    if (mine) return asKey(mine);
    return (await this.getKey(id)) ? 'stale' : undefined;
  }

  /** The key item, if it shows a refused write of it landed after all (TableAccess.landedAs). */
  private landed(id: string, shows: (item: Record<string, unknown>) => boolean): Promise<Record<string, unknown> | undefined> {
    return this.db.landedAs(itemKey.key(id), shows);
  }

  async revokeKey(id: string, at: string, event?: string): Promise<KeyRecord | undefined> {
    const values: Record<string, unknown> = { ':revoked': 'revoked', ':at': at, ':one': 1 };
    const marked = withMarker(event, values);
    const out = await unlessConditionFails(
      this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.name,
          Key: itemKey.key(id),
          // Idempotent: a second revoke keeps the first revocation time.
          UpdateExpression: `SET #s = :revoked, revokedAt = if_not_exists(revokedAt, :at), ${BUMP_VERSION}${marked}`,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    // Its lease goes back to the account now (what calls in flight settle into it later, the sweep returns).
    if (out && Number(out.Attributes?.lease ?? 0) !== 0) await this.leases.giveBack(id).catch(() => 0);
    return out ? asKey(out.Attributes ?? {}) : undefined;
  }

  async markRotated(id: string, replacementId: string, at: string, graceUntil: number | undefined, version?: number, event?: string): Promise<boolean> {
    const revokeNow = graceUntil === undefined;
    const values: Record<string, unknown> = {
      ...(revokeNow ? { ':r': replacementId, ':revoked': 'revoked', ':at': at } : { ':r': replacementId, ':g': graceUntil }),
      ':one': 1,
      ...(version === undefined ? {} : { ':v': version }),
    };
    const marked = withMarker(event, values);
    const versionHolds = version === undefined ? '' : version === 1 ? ' AND (attribute_not_exists(version) OR version = :v)' : ' AND version = :v';
    const out = await unlessConditionFails(
      this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.name,
          Key: itemKey.key(id),
          UpdateExpression: (revokeNow
            ? `SET replacedBy = :r, #s = :revoked, revokedAt = :at, ${BUMP_VERSION}`
            : `SET replacedBy = :r, graceUntil = :g, ${BUMP_VERSION}`) + marked,
          ConditionExpression: `attribute_exists(pk) AND attribute_not_exists(replacedBy)${versionHolds}`,
          ExpressionAttributeNames: revokeNow ? { '#s': 'status' } : undefined,
          ExpressionAttributeValues: values,
        }),
      ),
    );
    return out !== undefined || (await this.landed(id, (item) => item.replacedBy === replacementId)) !== undefined;
  }

  async undoRotation(id: string, replacementId: string, failure: { at: string; reason: string }): Promise<KeyRecord | undefined> {
    // An undo whose answer was lost is found by its mark (TableAccess.updateOnce).
    const undone = await this.db.updateOnce({
      Key: itemKey.key(id),
      UpdateExpression: `SET rotationFailure = :f, ${BUMP_VERSION} REMOVE replacedBy, graceUntil`,
      // Only the rotation being undone, and never a key revoked meanwhile (that stays revoked).
      ConditionExpression: 'attribute_exists(pk) AND replacedBy = :r AND #s <> :revoked',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':r': replacementId, ':f': failure, ':revoked': 'revoked', ':one': 1 },
    });
    return undone ? asKey(undone) : undefined;
  }

  async markExposed(id: string, exposure: ExposureRecord, event?: string): Promise<boolean> {
    const values: Record<string, unknown> = { ':e': exposure };
    const marked = withMarker(event, values);
    const out = await unlessConditionFails(
      this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.name,
          Key: itemKey.key(id),
          UpdateExpression: `SET exposure = :e${marked}`,
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(exposure)',
          ExpressionAttributeValues: values,
        }),
      ),
    );
    const same = (e: ExposureRecord | undefined) => e?.at === exposure.at && e.source === exposure.source && e.location === exposure.location;
    return out !== undefined || (await this.landed(id, (item) => same(item.exposure as ExposureRecord | undefined))) !== undefined;
  }

  /**
   * Its lease first goes back to the account (lease-sweep.ts `emptyLease`), and the key is deleted
   * on condition it holds none; calls still in flight settle into the account itself once it is
   * gone (key-admission.ts). Admissions racing the delete past a few tries: deleted as it stands,
   * what its lease held credited to the account from the deleted item.
   */
  async deleteKey(id: string): Promise<void> {
    let account: string | undefined;
    // Its days stay its account's: filed from the item as it is, then from the item as it went (usage-days.ts).
    await fileKeyDays(this.db, await this.leases.readKey(id));
    for (let attempt = 0; ; attempt++) {
      const accountId = (account = await emptyLease(this.db, this.leases, id));
      if (accountId === undefined) break;
      const empty = await unlessConditionFails(
        this.db.doc.send(
          new DeleteCommand({
            TableName: this.db.name,
            Key: itemKey.key(id),
            ConditionExpression: 'attribute_not_exists(lease) OR lease = :zero',
            ExpressionAttributeValues: { ':zero': 0 },
            ReturnValues: 'ALL_OLD',
          }),
        ),
      );
      if (empty) {
        await fileKeyDays(this.db, empty.Attributes);
        break;
      }
      if (attempt < 2) continue;
      const out = await this.db.doc.send(new DeleteCommand({ TableName: this.db.name, Key: itemKey.key(id), ReturnValues: 'ALL_OLD' }));
      const old = out.Attributes ?? {};
      await fileKeyDays(this.db, old);
      if (Number(old.lease ?? 0) !== 0) await this.leases.credit(accountId, Number(old.lease));
      // Returns it noted and the account may not have credited yet: credited once, under their own ids.
      for (const [name, value] of Object.entries(old)) {
        const r = RETURN.exec(name)?.[1];
        if (r) await this.leases.credit(accountId, Number(value), r);
      }
      break;
    }
    // Then its listing entries (left behind, they would list nothing: listKeys and the lease sweep skip them).
    await this.db.doc.send(new DeleteCommand({ TableName: this.db.name, Key: { pk: partition.key(id), sk: sortKey.keyListing } }));
    if (account) await this.db.doc.send(new DeleteCommand({ TableName: this.db.name, Key: itemKey.leaseListing(account, id) }));
  }

  admitKeyUse(id: string, hash: string, now: number, call?: ModelCallAdmission, countIn?: string): Promise<AdmitOutcome> {
    // A call admitted owes records after its answer: none is while this process holds as many as it may (table-access.ts).
    if (this.db.tooManyOwed()) return Promise.reject(new KeywardenError('service_unavailable', 'The service is catching up on its writes; retry shortly.', { retryAfterSeconds: 1 }));
    return this.admission.admit(id, hash, now, call, countIn);
  }

  releaseKeyUse(id: string, release: KeyHoldRelease, now: number): Promise<void> {
    return this.admission.release(id, release, now);
  }

  renewKeySlot(id: string, slot: { index: number; holder: string }, until: number): Promise<boolean> {
    return renewSlot(this.db, id, slot, until);
  }
}

/** Whether a stored item is the one at `key`. */
function isAt(item: Record<string, unknown>, key: ItemKey): boolean {
  return item.pk === key.pk && item.sk === key.sk;
}

/** The list position a keys cursor holds (its gsi1 sort key; an index LastEvaluatedKey carries one too). */
function positionOf(cursor: string | undefined): string | undefined {
  const decoded = decodeCursor(cursor);
  if (decoded === undefined) return undefined;
  if (typeof decoded.gsi1sk !== 'string' || decoded.gsi1sk.length === 0) {
    throw new KeywardenError('invalid_request_error', 'The cursor is not valid.', { param: 'cursor' });
  }
  return decoded.gsi1sk;
}
