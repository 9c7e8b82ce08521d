/**
 * Lifecycle events (core/events.ts): the event items that are the outbox while undelivered (a
 * sparse index, gsi2 `OUTBOX`, by when each is due) and the project's event record after; the
 * key marker a change's own write leaves; webhooks and their delivery log.
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DeliveryRecord, StoredEvent, WebhookRecord } from '../../core/events';
import type { Store } from '../../core/ports';
import type { KeyRecord, Page } from '../../core/types';
import { CARRIED_EVENT, carrierOf, eventItem, unpackCarried } from './carried-event';
import { strip, unlessConditionFails, type TableAccess } from './table-access';
import { itemKey, partition, sortKey, TABLE_SCHEMA } from './table';

export type EventStore = Pick<
  Store,
  | 'putEvent'
  | 'getEvent'
  | 'dueEvents'
  | 'claimEvent'
  | 'saveEvent'
  | 'confirmEvent'
  | 'dropPendingEvent'
  | 'unmarkKeyEvent'
  | 'keyEventMarker'
  | 'listEvents'
  | 'putWebhook'
  | 'getWebhook'
  | 'listWebhooks'
  | 'deleteWebhook'
  | 'putDelivery'
  | 'listDeliveries'
>;

type Item = Record<string, unknown>;

const toEvent = (item: Item) => strip<StoredEvent>(item);

export class EventItems implements EventStore {
  constructor(private readonly db: TableAccess) {}

  /**
   * A plain put (a change's pending event) shares its round trip with the other puts started in
   * the same turn (the new key's listing entry: `TableAccess.putTogether`); a unique one is a
   * conditional create of its own.
   */
  async putEvent(stored: StoredEvent, options: { unique?: boolean } = {}): Promise<boolean> {
    if (!options.unique) {
      await this.db.putTogether(eventItem(stored));
      return true;
    }
    return this.db.putOnce(eventItem(stored));
  }

  async getEvent(id: string): Promise<StoredEvent | undefined> {
    const out = await this.db.doc.send(new GetCommand({ TableName: this.db.name, Key: itemKey.event(id), ConsistentRead: true }));
    return out.Item ? toEvent(out.Item) : undefined;
  }

  /**
   * Due events, oldest first. A new key whose change's writer died before its after-answer work
   * is found here too (it carries its pending event in the outbox: store/keys.ts `putKey`'s
   * `carried`), once the grace period is over: it is unpacked first, so the relay finds the
   * event's own item, pending, and checks the change's marker as for any other.
   */
  async dueEvents(now: number, limit: number): Promise<StoredEvent[]> {
    const out = await this.db.doc.send(
      new QueryCommand({
        TableName: this.db.name,
        IndexName: TABLE_SCHEMA.gsi2.name,
        KeyConditionExpression: 'gsi2pk = :o AND gsi2sk <= :upTo',
        ExpressionAttributeValues: { ':o': partition.outbox, ':upTo': `${sortKey.outboxDue(now, '')}~` },
        Limit: limit,
      }),
    );
    const items = out.Items ?? [];
    await Promise.all(items.filter((item) => item.sk === sortKey.key).map((item) => unpackCarried(this.db, carrierOf(item), item[CARRIED_EVENT] as StoredEvent, false)));
    return items.map((item) => (item.sk === sortKey.key ? (item[CARRIED_EVENT] as StoredEvent) : toEvent(item)));
  }

  /** A claim whose answer was lost is found landed: the event due at this claim's own end. */
  async claimEvent(id: string, seenDue: number, until: number): Promise<boolean> {
    const key = itemKey.event(id);
    const sk = sortKey.outboxDue(until, id);
    const out = await unlessConditionFails(
      this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.name,
          Key: key,
          UpdateExpression: 'SET due = :until, gsi2sk = :sk',
          ConditionExpression: 'attribute_exists(gsi2pk) AND due = :seen',
          ExpressionAttributeValues: { ':until': until, ':sk': sk, ':seen': seenDue },
        }),
      ),
    );
    return out !== undefined || (await this.db.landedAs(key, (item) => item.due === until && item.gsi2sk === sk)) !== undefined;
  }

  /** A pass's save whose answer was lost is found landed by its mark (TableAccess.putOnce). */
  async saveEvent(stored: StoredEvent, claimedDue: number): Promise<boolean> {
    return this.db.putOnce(eventItem(stored), { ConditionExpression: 'due = :claimed', ExpressionAttributeValues: { ':claimed': claimedDue } });
  }

  /**
   * Written from a call's after-answer work (event-outbox.ts), so over the lean transport like the
   * usage record (purpose `usage`: the transport's name for the writes a call owes after its answer).
   * An event a new key's put carried (`carrier`) is unpacked instead, written ready.
   */
  async confirmEvent(id: string, now: number, carrier?: { stored: StoredEvent; key: KeyRecord }): Promise<void> {
    if (carrier) return unpackCarried(this.db, carrier.key, { ...carrier.stored, state: 'ready', due: now }, true);
    const key = itemKey.event(id);
    await unlessConditionFails(
      this.db.wire.send(
        'UpdateItem',
        {
          TableName: this.db.name,
          Key: { pk: { S: key.pk }, sk: { S: key.sk } },
          UpdateExpression: 'SET #s = :ready, due = :now, gsi2pk = :o, gsi2sk = :sk',
          ConditionExpression: '#s = :pending',
          ExpressionAttributeNames: { '#s': 'state' },
          ExpressionAttributeValues: {
            ':ready': { S: 'ready' },
            ':pending': { S: 'pending' },
            ':now': { N: String(now) },
            ':o': { S: partition.outbox },
            ':sk': { S: sortKey.outboxDue(now, id) },
          },
        },
        'usage',
      ),
    );
  }

  async dropPendingEvent(id: string): Promise<void> {
    await unlessConditionFails(
      this.db.doc.send(
        new DeleteCommand({
          TableName: this.db.name,
          Key: itemKey.event(id),
          ConditionExpression: '#s = :pending',
          ExpressionAttributeNames: { '#s': 'state' },
          ExpressionAttributeValues: { ':pending': 'pending' },
        }),
      ),
    );
  }

  async keyEventMarker(keyId: string, eventId: string): Promise<'marked' | 'unmarked' | 'absent'> {
    const out = await this.db.doc.send(
      new GetCommand({ TableName: this.db.name, Key: itemKey.key(keyId), ConsistentRead: true, ProjectionExpression: 'pk, evts' }),
    );
    if (!out.Item) return 'absent';
    const markers = out.Item.evts as Set<string> | undefined;
    return markers?.has(eventId) ? 'marked' : 'unmarked';
  }

  async unmarkKeyEvent(keyId: string, eventId: string): Promise<void> {
    await unlessConditionFails(
      this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.name,
          Key: itemKey.key(keyId),
          UpdateExpression: 'DELETE evts :e',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':e': new Set([eventId]) },
        }),
      ),
    );
  }

  listEvents(projectId: string, options: { cursor?: string; limit: number }): Promise<Page<StoredEvent>> {
    return this.db.newestFirst<StoredEvent>(
      { IndexName: TABLE_SCHEMA.gsi1.name, KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': partition.projectEvents(projectId) } },
      options,
    );
  }

  async putWebhook(webhook: WebhookRecord, options: { ifSealed?: string } = {}): Promise<void> {
    await unlessConditionFails(
      this.db.doc.send(
        new PutCommand({
          TableName: this.db.name,
          Item: { ...itemKey.webhook(webhook.projectId, webhook.id), ...webhook },
          ...(options.ifSealed === undefined ? {} : { ConditionExpression: 'sealedSecret = :s', ExpressionAttributeValues: { ':s': options.ifSealed } }),
        }),
      ),
    );
  }

  async getWebhook(projectId: string, id: string): Promise<WebhookRecord | undefined> {
    const out = await this.db.doc.send(new GetCommand({ TableName: this.db.name, Key: itemKey.webhook(projectId, id), ConsistentRead: true }));
    return out.Item ? strip<WebhookRecord>(out.Item) : undefined;
  }

  async listWebhooks(projectId: string): Promise<WebhookRecord[]> {
    const items = await this.db.queryAll({
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :w)',
      ExpressionAttributeValues: { ':p': partition.project(projectId), ':w': sortKey.webhooks },
      ConsistentRead: true,
    });
    return items.map((i) => strip<WebhookRecord>(i)).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async deleteWebhook(projectId: string, id: string): Promise<boolean> {
    return this.db.deleteOnce(itemKey.webhook(projectId, id));
  }

  async putDelivery(record: DeliveryRecord): Promise<void> {
    await this.db.doc.send(
      new PutCommand({
        TableName: this.db.name,
        Item: { pk: partition.webhookDeliveries(record.webhookId), sk: sortKey.timeline(record.eventAt, record.eventId), ...record },
      }),
    );
  }

  listDeliveries(webhookId: string, options: { cursor?: string; limit: number }): Promise<Page<DeliveryRecord>> {
    return this.db.newestFirst<DeliveryRecord>(
      { KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': partition.webhookDeliveries(webhookId) } },
      options,
    );
  }
}
