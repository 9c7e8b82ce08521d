/**
 * What every item family reads and writes the table with: the SDK's document client, the hot
 * path's lean transport, the table's name, and the reads several families share (whole queries,
 * pages newest first, batched gets); with them, the helpers that turn stored items and failed
 * conditions into what the `Store` port returns.
 */
import { ConditionalCheckFailedException, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { BatchGetCommand, BatchWriteCommand, DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { backoff } from '../../core/backoff';
import { KeywardenError } from '../../core/errors';
import type { Page } from '../../core/types';
import { DynamoWire, DynamoWireError } from '../dynamodb-wire';

/** Attributes the store keeps for itself: never handed out with an item. */
const INTERNAL_ATTRIBUTES = ['pk', 'sk', 'wr', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'ttl', 'rlResetAt', 'rlCount', 'rlMax', 'rlWindowMs', 'keyCounter', 'evts', 'lease', 'leaseIn', 'leaseDead', 'returnsIn', 'lv', 'pev'];
/** Leased credits' bookkeeping (store/key-lease.ts): grants, listed keys, returns. */
const LEASE_BOOKKEEPING = /^l[gkr]_/;

/** A key's concurrency slot leases (store/key-admission.ts): the store's own, like the rate-limit window. */
const CONCURRENCY_SLOT = /^slot\d+$/;
/** Writers' stamps: a key's lanes (store/stamp-lanes.ts); the account money writers' (gone with leased credits) on items written before, kept hidden. */
const WRITER_STAMP = /^w_([0-9A-Za-z]{12}|[0-9A-Za-z]{8}_\d+)$/;
/** A key item's day counters (`ud<day><r|t|c>`, table.ts keyDayAttributes): read raw by store/usage-days.ts only. */
const KEY_DAY_COUNTER = /^ud[0-9a-z]{3,4}[rtc]$/;

/** Most keys one BatchGetItem takes (DynamoDB's limit). */
const MAX_BATCH_GET = 100;
/** Sends of one batch's keys (the first included) before the caller is told the store is busy. */
const BATCH_GET_ATTEMPTS = 8;
/** Most puts one BatchWriteItem takes (DynamoDB's limit). */
const MAX_BATCH_WRITE = 25;
/** Sends of one batch's puts (the first included) before their callers are told the store is busy. */
const BATCH_WRITE_ATTEMPTS = 8;

/** A put asked for with `putTogether` (a document item) or `putOwed` (attribute values), and its caller's promise. */
interface TogetherPut<T = Record<string, unknown>> {
  item: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Where an item is (its table key), as one string. */
const placeOf = (item: Record<string, unknown>) => `${String(item.pk)}\u0000${String(item.sk)}`;
/** Where a marshalled item is. */
const placeOfMarshalled = (item: Record<string, AttributeValue>) => `${item.pk?.S}\u0000${item.sk?.S}`;

/** A batch refused whole for one item's sake (too large, malformed): sent again item by item. */
const refusedWhole = (err: unknown) => (err as { name?: string })?.name === 'ValidationException';

/**
 * How long a put owed after the answer (a usage record, an owner record) is sent again while
 * DynamoDB throttles it or leaves it unprocessed: the record is what explains the call's charge,
 * so it is not given up after a few tries. Below the buffered API function's 15-s timeout
 * (lib/stage-config.ts), which writes a call's record before it returns the answer.
 */
export const OWED_WAIT_MS = 10_000;
/**
 * Puts owed after the answer a process holds at most, waiting or in flight, by default (config
 * MAX_PENDING_RECORDS): past it, the store refuses new calls before their admission (503) until
 * they drain, so a store that throttles them makes calls wait, never memory grow.
 */
export const MAX_PENDING_RECORDS = 5_000;
/**
 * Batches of owed puts in flight at once (each filled to 25 before the next is opened, so a quiet
 * server still sends one). One at a time, a busy server's owed puts (two a model call) arrive
 * faster than one BatchWriteItem after another carries them, and the queue — every answered
 * call's records — grows without bound (measured: `npm start`'s memory after a 60-s soak at c=64
 * went from 258 to 578 MiB). With 4, one key at c=64 on this machine's two saturated cores still
 * outran them (rounds of 100 records took 0.3–0.9 s against ≈ 550 records a second): the queue
 * reached MAX_PENDING_RECORDS within 15 s and calls were answered 503; with 12 it peaked near 1,750.
 */
export const OWED_BATCHES_IN_FLIGHT = 12;

/**
 * Up to `most` batches of `puts` to send side by side, each one BatchWriteItem's worth, no item in
 * two of them (so two puts of one item still land in the order asked), and the rest.
 */
function nextBatches<T>(puts: TogetherPut<T>[], place: (item: T) => string, most: number): { batches: TogetherPut<T>[][]; later: TogetherPut<T>[] } {
  const batches: TogetherPut<T>[][] = [];
  const later: TogetherPut<T>[] = [];
  const places = new Set<string>();
  for (const put of puts) {
    const at = place(put.item);
    let current = batches[batches.length - 1];
    if (!places.has(at) && (!current || current.length >= MAX_BATCH_WRITE) && batches.length < most) batches.push((current = []));
    if (current && current.length < MAX_BATCH_WRITE && !places.has(at)) {
      places.add(at);
      current.push(put);
    } else later.push(put);
  }
  return { batches, later };
}

/** An item without the store's own attributes. */
export function strip<T>(item: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const name in item) if (!isInternal(name)) out[name] = item[name];
  return out as T;
}

/** Whether each attribute name seen is the store's own, kept (names are a few shapes; bounded all the same). */
const internal = new Map<string, boolean>();
function isInternal(name: string): boolean {
  let known = internal.get(name);
  if (known === undefined) {
    known = INTERNAL_ATTRIBUTES.includes(name) || CONCURRENCY_SLOT.test(name) || WRITER_STAMP.test(name) || LEASE_BOOKKEEPING.test(name) || KEY_DAY_COUNTER.test(name);
    if (internal.size >= 10_000) internal.clear();
    internal.set(name, known);
  }
  return known;
}

function isConditionFailure(err: unknown): boolean {
  return err instanceof ConditionalCheckFailedException || (err as { name?: string })?.name === 'ConditionalCheckFailedException';
}

/** Runs a conditional write; `undefined` when its condition did not hold, any other failure thrown. */
export async function unlessConditionFails<T>(write: Promise<T>): Promise<T | undefined> {
  try {
    return await write;
  } catch (err) {
    if (isConditionFailure(err)) return undefined;
    throw err;
  }
}

export function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined;
}

export function decodeCursor(cursor: string | undefined): Record<string, unknown> | undefined {
  if (!cursor) return undefined;
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new KeywardenError('invalid_request_error', 'The cursor is not valid.', { param: 'cursor' });
}

export function createDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export class TableAccess {
  readonly doc: DynamoDBDocumentClient;
  /**
   * The writes every gateway call makes (admission, reservation, settlement, usage record) go over
   * the lean transport with attribute values built by hand; everything else uses the SDK.
   */
  readonly wire: DynamoWire;

  /** Puts asked for in this turn of the event loop, not yet sent (`putTogether`). */
  private turn: TogetherPut[] | undefined;
  /** Puts owed after the answer, not yet sent (`putOwed`), and whether a send of them is due or running. */
  private owed: TogetherPut<Record<string, AttributeValue>>[] = [];
  private owedRunning = false;
  /** Owed puts sent and not yet answered. */
  private owedInFlight = 0;

  constructor(
    readonly name: string,
    client: DynamoDBClient,
    wire?: DynamoWire,
    /**
     * Puts owed after the answer: how many are held at most before new calls are refused
     * (`tooManyOwed`, default MAX_PENDING_RECORDS), how long each is sent again (default OWED_WAIT_MS).
     */
    private readonly owedLimits: { maxPendingRecords?: number; owedWaitMs?: number } = {},
  ) {
    this.doc = createDocumentClient(client);
    this.wire = wire ?? new DynamoWire(client);
  }

  /** Whether this process holds as many puts owed after the answer as it may: a new call must wait until they drain. */
  tooManyOwed(): boolean {
    return this.owed.length + this.owedInFlight >= (this.owedLimits.maxPendingRecords ?? MAX_PENDING_RECORDS);
  }

  /** Every item a query finds, page after page. */
  /**
   * After a conditional write was refused: the item at `key`, read consistently, if it `shows` that
   * write landed. The SDK and the transport send a write again when its answer is lost, and the
   * resend of one that had landed fails the very condition the first one moved.
   */
  async landedAs(key: { pk: string; sk: string }, shows: (item: Record<string, unknown>) => boolean): Promise<Record<string, unknown> | undefined> {
    const { Item: item } = await this.doc.send(new GetCommand({ TableName: this.name, Key: key, ConsistentRead: true }));
    return item && shows(item) ? item : undefined;
  }

  /**
   * A conditional put (`attribute_not_exists(pk)` unless `condition` says otherwise) that carries
   * a mark of itself (`wr`): the SDK sends a put again when its answer is lost, and a resend of
   * one that had landed fails its own condition; the item, read then, says whether it was this
   * put. True when this put is the item's.
   */
  async putOnce(
    item: { pk: string; sk: string } & Record<string, unknown>,
    condition: { ConditionExpression: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, unknown> } = {
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  ): Promise<boolean> {
    const mark = randomUUID();
    const out = await unlessConditionFails(this.doc.send(new PutCommand({ TableName: this.name, Item: { ...item, wr: mark }, ...condition })));
    return out !== undefined || (await this.landedAs({ pk: item.pk, sk: item.sk }, (landed) => landed.wr === mark)) !== undefined;
  }

  /**
   * A value held sealed in an item (`sealedKey`) handed out once, even when the store's answer is
   * lost after the write landed: the take stamps the item claimed (`claimedAt`, and its own mark)
   * under `condition` and answers the item with the value still in it — read back by its mark when
   * the answer was lost, where a take that also removed the value would have lost it for good —
   * and only then removes the value, on that mark (a retry of the removal changes nothing). A
   * removal that fails leaves the value sealed, claimed, until the item's window drops it.
   */
  async takeSealedOnce(
    key: { pk: string; sk: string },
    take: { claimedAt: string; condition: string; names?: Record<string, string>; values: Record<string, unknown> },
  ): Promise<Record<string, unknown> | undefined> {
    const taken = await this.updateOnce({
      Key: key,
      UpdateExpression: 'SET claimedAt = :claimedAt',
      ConditionExpression: `attribute_exists(sealedKey) AND attribute_not_exists(claimedAt) AND ${take.condition}`,
      ...(take.names ? { ExpressionAttributeNames: take.names } : {}),
      ExpressionAttributeValues: { ...take.values, ':claimedAt': take.claimedAt },
    });
    if (!taken) return undefined;
    await unlessConditionFails(
      this.doc.send(
        new UpdateCommand({ TableName: this.name, Key: key, UpdateExpression: 'REMOVE sealedKey', ConditionExpression: 'wr = :mark', ExpressionAttributeValues: { ':mark': taken.wr } }),
      ),
    ).catch(() => undefined);
    return taken;
  }

  /**
   * Deletes the item at `key`, once, answering whether this call deleted it — true also when the
   * delete's answer was lost and the SDK's resend found nothing (a plain `DeleteItem` with
   * `ALL_OLD` then answers "not found" for an item it deleted). Two writes: the item marked
   * (`updateOnce`: present, ALL_NEW, read back by its mark when lost), then deleted while it still
   * carries that mark — a write in between (the item put again) wins, and the item stays as that
   * write left it. For deletions a person asks for and is told the outcome of (an admin removed, a
   * ceiling or webhook cleared), where the second write costs nothing that matters.
   */
  async deleteOnce(key: { pk: string; sk: string }): Promise<boolean> {
    const marked = await this.updateOnce({ Key: key, UpdateExpression: 'SET deletedAt = :at', ConditionExpression: 'attribute_exists(pk)', ExpressionAttributeValues: { ':at': new Date().toISOString() } });
    if (!marked) return false;
    await unlessConditionFails(this.doc.send(new DeleteCommand({ TableName: this.name, Key: key, ConditionExpression: 'wr = :mark', ExpressionAttributeValues: { ':mark': marked.wr } })));
    return true;
  }

  /**
   * A conditional `SET` update that carries a mark of itself (`wr`), answering the item as it left
   * it (`ALL_NEW`) — or, when its resend failed its own condition after a lost answer, as read back
   * showing the mark. Undefined when the condition refused this update.
   */
  async updateOnce(input: {
    Key: { pk: string; sk: string };
    UpdateExpression: string;
    ConditionExpression: string;
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues: Record<string, unknown>;
  }): Promise<Record<string, unknown> | undefined> {
    if (!input.UpdateExpression.startsWith('SET ')) throw new Error('updateOnce: the update must begin with SET');
    const mark = randomUUID();
    const out = await unlessConditionFails(
      this.doc.send(
        new UpdateCommand({
          TableName: this.name,
          ...input,
          UpdateExpression: `SET wr = :mark, ${input.UpdateExpression.slice('SET '.length)}`,
          ExpressionAttributeValues: { ...input.ExpressionAttributeValues, ':mark': mark },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return out?.Attributes ?? (await this.landedAs(input.Key, (item) => item.wr === mark));
  }

  async queryAll(input: Omit<QueryCommandInput, 'TableName'>): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(new QueryCommand({ TableName: this.name, ...input, ExclusiveStartKey: start }));
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** One page of a log (audit, usage), newest first, with the store cursor to the next. */
  async newestFirst<T>(input: Omit<QueryCommandInput, 'TableName'>, page: { limit: number; cursor?: string }): Promise<Page<T>> {
    const out = await this.doc.send(
      new QueryCommand({ TableName: this.name, ...input, ScanIndexForward: false, Limit: page.limit, ExclusiveStartKey: decodeCursor(page.cursor) }),
    );
    return { items: (out.Items ?? []).map((i) => strip<T>(i)), nextCursor: encodeCursor(out.LastEvaluatedKey) };
  }

  /**
   * An unconditional put that shares one BatchWriteItem with the others asked for in the same turn
   * of the event loop: a key change's pending event and its new key's listing entry, started side
   * by side, cost one round trip instead of two. A put asked for alone goes out as a PutItem. Each
   * caller's promise settles with its own item (written, or the failure that kept it out); what
   * DynamoDB leaves unprocessed is sent again with backoff. Two puts of one item in a turn go out
   * one after the other, in the order asked (a batch may not name an item twice).
   */
  putTogether(item: Record<string, unknown>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (!this.turn) {
        this.turn = [];
        // After the microtasks of this turn: puts started side by side behind a few awaits still ride along.
        setImmediate(() => void this.sendTurn());
      }
      this.turn.push({ item, resolve, reject });
    });
  }

  private async sendTurn(): Promise<void> {
    let rest = this.turn ?? [];
    this.turn = undefined;
    while (rest.length > 0) {
      const { batches, later } = nextBatches(rest, placeOf, 1);
      for (const batch of batches) await this.answerEach(batch, (puts) => this.writeTogether(puts));
      rest = later;
    }
  }

  /**
   * Writes `batch` with `write`, then answers each put's caller; never throws. A batch refused
   * whole for one item's sake (too large, malformed) is written again put by put, so only that
   * item's caller is refused. A caller `write` already answered keeps its answer (a settled
   * promise ignores a second one).
   */
  private async answerEach<T>(batch: TogetherPut<T>[], write: (batch: TogetherPut<T>[]) => Promise<void>): Promise<void> {
    try {
      await write(batch);
      for (const put of batch) put.resolve();
    } catch (err) {
      if (batch.length > 1 && refusedWhole(err)) {
        await Promise.all(batch.map((put) => this.answerEach([put], write)));
        return;
      }
      for (const put of batch) put.reject(err);
    }
  }

  /** One batch of `putTogether`'s puts, no item twice: a PutItem alone, else BatchWriteItem until none is left unprocessed. */
  private async writeTogether(batch: TogetherPut[]): Promise<void> {
    if (batch.length === 1) {
      await this.doc.send(new PutCommand({ TableName: this.name, Item: batch[0]!.item }));
      return;
    }
    let pending = batch;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt === BATCH_WRITE_ATTEMPTS) throw new KeywardenError('service_unavailable', 'The key store is busy; try again.');
      if (attempt > 0) await backoff(attempt - 1);
      const out = await this.doc.send(new BatchWriteCommand({ RequestItems: { [this.name]: pending.map((put) => ({ PutRequest: { Item: put.item } })) } }));
      const left = new Set((out.UnprocessedItems?.[this.name] ?? []).map((request) => placeOf(request.PutRequest?.Item ?? {})));
      for (const put of pending) if (!left.has(placeOf(put.item))) put.resolve();
      pending = pending.filter((put) => left.has(placeOf(put.item)));
    }
  }

  /**
   * A plain put owed after the answer (a usage record, an owner record: each under its own key, so
   * sending it again never makes two), sent over the lean transport in one BatchWriteItem with the
   * others asked for in the same turn of the event loop — a model call's usage record and the
   * owner record of the response it stored go out as one call, not two — and with those asked
   * for while batches are in flight (group commit: a busy server sends few batches, up to
   * OWED_BATCHES_IN_FLIGHT side by side; one call at a time, as in Lambda, waits for nothing but
   * the turn). Each caller's promise settles with its
   * own item: written, or the failure that kept it out once OWED_WAIT_MS ran out.
   */
  putOwed(item: Record<string, AttributeValue>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.owed.push({ item, resolve, reject });
      if (this.owedRunning) return;
      this.owedRunning = true;
      // After the microtasks of this turn: the after-answer work asks for its puts a few awaits apart.
      setImmediate(() => void this.sendOwed());
    });
  }

  private async sendOwed(): Promise<void> {
    while (this.owed.length > 0) {
      const { batches, later } = nextBatches(this.owed, placeOfMarshalled, OWED_BATCHES_IN_FLIGHT);
      this.owed = later;
      const sent = batches.reduce((n, batch) => n + batch.length, 0);
      this.owedInFlight += sent;
      try {
        await Promise.all(batches.map((batch) => this.answerEach(batch, (puts) => this.batchPutAll(puts.map((put) => put.item), this.owedLimits.owedWaitMs ?? OWED_WAIT_MS, 'records owed after the answer'))));
      } finally {
        this.owedInFlight -= sent;
      }
    }
    this.owedRunning = false;
  }

  /**
   * Puts `items` in one BatchWriteItem over the lean transport, for writes owed after the answer
   * (usage records, owner records): what DynamoDB leaves unprocessed, or refuses whole (throttled),
   * is sent again with backoff until `waitMs` has passed. Each item is a plain put under its own
   * key, so sending it again never makes two. `what` names them in the error when the time runs out.
   */
  async batchPutAll(items: Record<string, AttributeValue>[], waitMs: number, what: string): Promise<void> {
    let requests: unknown[] = items.map((Item) => ({ PutRequest: { Item } }));
    const deadline = Date.now() + waitMs;
    for (let round = 1; ; round++) {
      try {
        const out = await this.wire.send<{ UnprocessedItems?: Record<string, unknown[]> }>('BatchWriteItem', { RequestItems: { [this.name]: requests } }, 'usage');
        requests = out.UnprocessedItems?.[this.name] ?? [];
        if (requests.length === 0) return;
        if (Date.now() >= deadline) throw new Error(`${requests.length} ${what} were left unprocessed by DynamoDB.`);
      } catch (err) {
        if (Date.now() >= deadline || !(err instanceof DynamoWireError && err.retryable)) throw err;
      }
      await backoff(round);
    }
  }

  /** The items at `keys` that exist (consistent reads, 100 to a call, in no particular order). */
  async batchGetAll(keys: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
    const found: Record<string, unknown>[] = [];
    for (let from = 0; from < keys.length; from += MAX_BATCH_GET) {
      let pending = keys.slice(from, from + MAX_BATCH_GET);
      // BatchGetItem may hand some keys back unprocessed under throttling: ask again for those only.
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt === BATCH_GET_ATTEMPTS) throw new KeywardenError('service_unavailable', 'The key store is busy; try again.');
        if (attempt > 0) await backoff(attempt - 1);
        const out = await this.doc.send(new BatchGetCommand({ RequestItems: { [this.name]: { Keys: pending, ConsistentRead: true } } }));
        found.push(...(out.Responses?.[this.name] ?? []));
        pending = out.UnprocessedKeys?.[this.name]?.Keys ?? [];
      }
    }
    return found;
  }
}
