/**
 * A new key that carries its change's pending event (store/keys.ts `putKey`'s `carried`): the key
 * item sits in the outbox (gsi2) and its project's list (gsi1) at the places the event's and the
 * listing's own items will take, until `unpackCarried` writes those items and takes the five
 * attributes off it. Who unpacks: the change's writer, after its answer (store/events.ts
 * `confirmEvent`); the outbox sweep, for a writer gone first; and the key's own admission, when it
 * finds the key still carrying well after its change (`CarriedKeys`) — while it carries, each of
 * its calls' writes also rewrites its two index entries, one of them on the table's one outbox
 * partition.
 */
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { StoredEvent } from '../../core/events';
import type { KeyRecord } from '../../core/types';
import { unlessConditionFails, type TableAccess } from './table-access';
import { itemKey, partition, sortKey, type ItemKey } from './table';

type Item = Record<string, unknown>;

/** The attribute of a key item holding the pending event it carries. */
export const CARRIED_EVENT = 'pev';

/**
 * How old a carried event must be before a key's admission unpacks it: its writer's confirmation
 * goes out right after the change's answer and is resent for up to 10 s (the after-answer work's
 * owed writes), so a key still carrying past this lost it (throttled, or its writer gone).
 */
export const CARRIED_UNPACK_AFTER_MS = 15_000;

/** A key's listing entry (`listKey`): small, written once, in gsi1 at the key's place in its project's list. */
export function listingItem(key: Pick<KeyRecord, 'id' | 'projectId' | 'createdAt'>): Item {
  return {
    pk: partition.key(key.id),
    sk: sortKey.keyListing,
    gsi1pk: partition.projectKeys(key.projectId),
    gsi1sk: sortKey.timeline(key.createdAt, key.id),
    id: key.id,
    projectId: key.projectId,
  };
}

/** An event as stored: its table key, its place in its owner's record and, while due, in the outbox. */
export function eventItem(stored: StoredEvent): ItemKey & Item {
  const { event } = stored;
  return {
    ...itemKey.event(event.id),
    gsi1pk: event.data.project ? partition.projectEvents(event.data.project) : partition.accountEvents(event.data.account),
    gsi1sk: sortKey.timeline(event.timestamp, event.id),
    ...(stored.due === undefined ? {} : { gsi2pk: partition.outbox, gsi2sk: sortKey.outboxDue(stored.due, event.id) }),
    ...stored,
  };
}

/** What unpacking needs of a key item that carries its event. */
export function carrierOf(item: Item): Pick<KeyRecord, 'id' | 'projectId' | 'createdAt'> {
  return { id: String(item.id), projectId: String(item.projectId), createdAt: String(item.createdAt) };
}

/**
 * Takes the event a new key carries off it: the event's own item, as `stored` says (ready from the
 * writer's confirmation, pending from the sweep or an admission), and the key's listing entry,
 * side by side; then the carried event and the key's outbox and list attributes removed from its
 * item, so its calls write no index entry. The listing is written before the key leaves the list,
 * so it is listed at every instant (twice, side by side, for a moment: listKeys shows it once).
 * The event's item is written only over nothing or a pending one (a relay that already delivered
 * it keeps its record); the removal only while the key still carries this event. Idempotent: a
 * confirmation, a sweep and an admission may each run it. `afterAnswer`: over the lean transport
 * (a call's work), else through the document client (the sweep).
 */
export async function unpackCarried(db: TableAccess, key: Pick<KeyRecord, 'id' | 'projectId' | 'createdAt'>, stored: StoredEvent, afterAnswer: boolean): Promise<void> {
  const eventPut = {
    TableName: db.name,
    Item: eventItem(stored),
    ConditionExpression: stored.state === 'ready' ? 'attribute_not_exists(pk) OR #s = :pending' : 'attribute_not_exists(pk)',
    ...(stored.state === 'ready' ? { ExpressionAttributeNames: { '#s': 'state' }, ExpressionAttributeValues: { ':pending': 'pending' } } : {}),
  };
  const listingPut = { TableName: db.name, Item: listingItem(key) };
  const removal = {
    TableName: db.name,
    Key: itemKey.key(key.id),
    UpdateExpression: `REMOVE gsi1pk, gsi1sk, gsi2pk, gsi2sk, #c`,
    ConditionExpression: '#c.event.id = :id',
    ExpressionAttributeNames: { '#c': CARRIED_EVENT },
    ExpressionAttributeValues: { ':id': stored.event.id },
  };
  if (afterAnswer) {
    const raw = <T extends { Item?: Item; Key?: Item; ExpressionAttributeValues?: Item }>(input: T) => ({
      ...input,
      ...(input.Item ? { Item: marshall(input.Item, { removeUndefinedValues: true }) } : {}),
      ...(input.Key ? { Key: marshall(input.Key) } : {}),
      ...(input.ExpressionAttributeValues ? { ExpressionAttributeValues: marshall(input.ExpressionAttributeValues) } : {}),
    });
    await Promise.all([unlessConditionFails(db.wire.send('PutItem', raw(eventPut), 'usage')), db.wire.send('PutItem', raw(listingPut), 'usage')]);
    await unlessConditionFails(db.wire.send('UpdateItem', raw(removal), 'usage'));
    return;
  }
  await Promise.all([unlessConditionFails(db.doc.send(new PutCommand(eventPut))), db.doc.send(new PutCommand(listingPut))]);
  await unlessConditionFails(db.doc.send(new UpdateCommand(removal)));
}

/**
 * The admission's part (store/key-admission.ts): a key item it wrote or read that still carries
 * an event older than CARRIED_UNPACK_AFTER_MS is unpacked, once at a time per key and at most
 * once per CARRIED_UNPACK_AFTER_MS (a throttled store is not asked again on every call), as work
 * the call's after-answer waits for (`background`).
 */
export class CarriedKeys {
  /** When this process last started unpacking each key (bounded: cleared when full). */
  private readonly tried = new Map<string, number>();

  constructor(
    private readonly db: TableAccess,
    private readonly background: (work: Promise<unknown>) => void,
  ) {}

  seen(item: Item, now: number): void {
    const stored = item[CARRIED_EVENT] as StoredEvent | undefined;
    if (!stored || now - Date.parse(stored.event.timestamp) < CARRIED_UNPACK_AFTER_MS) return;
    const key = carrierOf(item);
    const last = this.tried.get(key.id);
    if (last !== undefined && now - last < CARRIED_UNPACK_AFTER_MS) return;
    if (this.tried.size >= 1_000) this.tried.clear();
    this.tried.set(key.id, now);
    this.background(unpackCarried(this.db, key, stored, true));
  }
}
