import { Agent, createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  MAX_ITEM_BYTES,
  imageOf,
  indexWrites,
  itemBytes,
  partitionName,
  queriedHash,
  readUnits,
  shapeOf,
  valueId,
  writeUnits,
  type Image,
  type Item,
  type TableShape,
} from './dynamo-units';
import { Bucket, DYNAMODB_PARTITION_LIMITS, type DynamoThrottle, type ThrottleLimits, type Usage } from './throttle-model';

export { DYNAMODB_PARTITION_LIMITS, sustainedRate, type DynamoThrottle, type PartitionUsage, type ThrottleLimits, type Usage } from './throttle-model';

/**
 * DynamoDB's per-partition limits in front of a DynamoDB-protocol endpoint (dynalite), on
 * 127.0.0.1: what the bench and the throttling tests put between the services and the embedded
 * store (issue 23 points 2 and 6). Both transports — the SDK and the hot path's lean
 * dynamodb-wire.ts — speak the same JSON over HTTP, so the proxy sees every call.
 *
 * Units are exact: each data-plane request is forwarded with `ReturnConsumedCapacity: INDEXES`
 * (removed from the answer unless the client asked) and billed what dynalite reports; index
 * writes, which dynalite does not report, and batch items are computed with dynalite's own item
 * sizes (dynamo-units.ts) from a shadow of each item's size and index keys. A write that fails
 * its condition is billed the stored item's size, as DynamoDB bills it.
 *
 * Limits: one token bucket per partition key value (table or index partition), refilled at
 * 1,000 write units and 3,000 read units a second, holding at most `burstSeconds` of them. The
 * units a request will take are known only once it ran, so the pre-check debits what the last
 * request on that partition took and the answer corrects it: a bucket may go negative, and a
 * partition is refused while its bucket is at or below zero. That is an approximation of
 * DynamoDB's own (burst capacity, adaptive capacity, partition splits are not modelled); over a
 * run, a hot partition is held to its rate. A refused request gets DynamoDB's answer — HTTP 400,
 * `ProvisionedThroughputExceededException` (`ThrottlingException` for control-plane calls) — so
 * the SDK and the wire retry it with backoff as they would in AWS. Scans are counted, not limited.
 * A batch's items at spent partitions come back as UnprocessedItems, the others written, as
 * DynamoDB does (refused whole only when every item is). Further simplifications: a write on an index partition
 * that is spent is refused (DynamoDB's back-pressure from a throttled index, made immediate); two
 * writes racing on one item may leave its shadow a write behind, off by the index units of one.
 */
const DATA_PLANE = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);
const THROTTLED_MESSAGE = 'Throughput exceeds the current capacity for one or more global secondary indexes or partitions. DynamoDB is automatically scaling your table or index so please try again shortly.';
/** Dummy SigV4 headers for the proxy's own calls (dynalite asks for their shape, not their validity). */
const OWN_HEADERS = {
  'content-type': 'application/x-amz-json-1.0',
  authorization: 'AWS4-HMAC-SHA256 Credential=local/20200101/local/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0',
  'x-amz-date': '20200101T000000Z',
};
/** Items remembered; the oldest is forgotten beyond this (it is read again when next written). */
const SHADOW_LIMIT = 500_000;

type Json = Record<string, any>;

const emptyUsage = (): Usage => ({ calls: 0, writeUnits: 0, indexWriteUnits: 0, readUnits: 0, throttled: 0 });

export async function startDynamoThrottle(options: { target: string; limits?: ThrottleLimits | false; now?: () => number }): Promise<DynamoThrottle> {
  const target = new URL(options.target);
  const limits = options.limits === undefined ? DYNAMODB_PARTITION_LIMITS : options.limits;
  const now = options.now ?? (() => performance.now());
  const agent = new Agent({ keepAlive: true, maxSockets: 128 });
  const shapes = new Map<string, Promise<TableShape>>();
  const shadow = new Map<string, Image | null>();
  const buckets = new Map<string, Bucket>();
  /** What the last request on a partition took: the next one's pre-check estimate. */
  const lastCost = new Map<string, number>();
  const controlPlane = limits ? new Bucket(limits.controlPlanePerSecond, limits.controlPlanePerSecond, now()) : undefined;
  const proxy: DynamoThrottle = {
    url: '',
    total: emptyUsage(),
    byOperation: new Map(),
    partitions: new Map(),
    reset() {
      proxy.total = emptyUsage();
      proxy.byOperation.clear();
      proxy.partitions.clear();
    },
    close: async () => {
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
      agent.destroy();
    },
  };

  const forward = (op: string, headers: IncomingHttpHeaders | Record<string, string>, body: string) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; text: string }>((resolve, reject) => {
      const req = request(
        { agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { ...headers, host: target.host, 'x-amz-target': `DynamoDB_20120810.${op}`, 'content-length': String(Buffer.byteLength(body)) } },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const own = async (op: string, input: Json): Promise<Json> => {
    const answer = await forward(op, OWN_HEADERS, JSON.stringify(input));
    if (answer.status !== 200) throw new Error(`dynamo-throttle: ${op} answered ${answer.status}: ${answer.text.slice(0, 200)}`);
    return JSON.parse(answer.text) as Json;
  };
  const shapeFor = (table: string) => {
    let shape = shapes.get(table);
    if (!shape) {
      shape = own('DescribeTable', { TableName: table }).then((d) => shapeOf(d.Table));
      shape.catch(() => shapes.delete(table));
      shapes.set(table, shape);
    }
    return shape;
  };
  const itemId = (table: string, shape: TableShape, key: Item) => `${table}\u0000${valueId(key[shape.hashKey])}\u0000${shape.rangeKey ? valueId(key[shape.rangeKey]) : ''}`;
  const remember = (id: string, image: Image | null) => {
    shadow.delete(id);
    shadow.set(id, image);
    if (shadow.size > SHADOW_LIMIT) shadow.delete(shadow.keys().next().value!);
  };
  /** The stored item's shadow, read from the store when it was never seen. */
  const before = async (table: string, shape: TableShape, key: Item): Promise<Image | undefined> => {
    const id = itemId(table, shape, key);
    if (!shadow.has(id)) {
      const keyOnly: Item = { [shape.hashKey]: key[shape.hashKey]! };
      if (shape.rangeKey) keyOnly[shape.rangeKey] = key[shape.rangeKey]!;
      const got = await own('GetItem', { TableName: table, Key: keyOnly, ConsistentRead: true });
      if (!shadow.has(id)) remember(id, got.Item ? imageOf(shape, got.Item) : null);
    }
    return shadow.get(id) ?? undefined;
  };

  const bucket = (partition: string, kind: 'w' | 'r') => {
    if (!limits) return undefined;
    const name = `${kind}:${partition}`;
    let b = buckets.get(name);
    if (!b) {
      const rate = kind === 'w' ? limits.writeUnitsPerSecond : limits.readUnitsPerSecond;
      b = new Bucket(rate, rate * limits.burstSeconds, now());
      buckets.set(name, b);
    }
    return b;
  };
  const partitionUsage = (partition: string) => {
    let p = proxy.partitions.get(partition);
    if (!p) proxy.partitions.set(partition, (p = { writeUnits: 0, readUnits: 0, throttled: 0, unitsSinceFirstThrottle: 0, lastAt: now() }));
    return p;
  };
  const opUsage = (op: string) => {
    let u = proxy.byOperation.get(op);
    if (!u) proxy.byOperation.set(op, (u = emptyUsage()));
    return u;
  };

  /** Refuses (returns the partition) when any touched partition's bucket is spent; else debits the estimates. */
  const admit = (touched: Touch[]): { partition: string; kind: 'w' | 'r'; estimate: number }[] | string => {
    const t = now();
    for (const { partition, kind } of touched) {
      const b = bucket(partition, kind);
      if (b && b.refill(t) <= 0) return partition;
    }
    return touched.map(({ partition, kind, units }) => {
      const estimate = units ?? lastCost.get(`${kind}:${partition}`) ?? 1;
      const b = bucket(partition, kind);
      if (b) b.tokens -= estimate;
      return { partition, kind, estimate };
    });
  };
  /** The units a request really took, per partition: corrects the buckets and counts them. */
  const settle = (op: string, debited: { partition: string; kind: 'w' | 'r'; estimate: number }[], costs: { partition: string; kind: 'w' | 'r'; units: number; index?: boolean }[]) => {
    const t = now();
    for (const d of debited) {
      const b = bucket(d.partition, d.kind);
      if (b) b.tokens += d.estimate;
    }
    const usage = opUsage(op);
    const seen = new Map<string, number>();
    for (const c of costs) {
      const b = bucket(c.partition, c.kind);
      if (b) b.tokens -= c.units;
      seen.set(`${c.kind}:${c.partition}`, (seen.get(`${c.kind}:${c.partition}`) ?? 0) + c.units);
      const p = partitionUsage(c.partition);
      if (c.kind === 'w') p.writeUnits += c.units;
      else p.readUnits += c.units;
      if (p.firstThrottledAt !== undefined) p.unitsSinceFirstThrottle += c.units;
      p.lastAt = t;
      const field = c.kind === 'r' ? 'readUnits' : c.index ? 'indexWriteUnits' : 'writeUnits';
      usage[field] += c.units;
      proxy.total[field] += c.units;
    }
    for (const [name, units] of seen) lastCost.set(name, units);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const op = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
    const headers = { ...req.headers };
    delete headers['content-length'];
    const reply = (status: number, answerHeaders: IncomingHttpHeaders, text: string) => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(answerHeaders)) if (v !== undefined && k !== 'content-length' && k !== 'x-amz-crc32' && k !== 'connection' && k !== 'transfer-encoding') out[k] = v;
      res.writeHead(status, { ...out, 'content-length': String(Buffer.byteLength(text)) });
      res.end(text);
    };
    const refuse = (type: string, message: string, prefix = 'com.amazonaws.dynamodb.v20120810') =>
      reply(400, { 'content-type': 'application/x-amz-json-1.0' }, JSON.stringify({ __type: `${prefix}#${type}`, message }));

    if (!DATA_PLANE.has(op)) {
      if (controlPlane && controlPlane.refill(now()) < 1) {
        proxy.total.throttled++;
        return refuse('ThrottlingException', 'Rate of control plane requests exceeded.', 'com.amazon.coral.availability');
      }
      if (controlPlane) controlPlane.tokens -= 1;
      const answer = await forward(op, headers, raw);
      return reply(answer.status, answer.headers, answer.text);
    }

    let input = JSON.parse(raw) as Json;
    const asked = input.ReturnConsumedCapacity as string | undefined;
    // A batch's items at spent partitions are left unprocessed, the others written, as DynamoDB does;
    // refused whole only when every item is.
    // (Counting mode, no limits: nothing is ever spent, so nothing is planned for it.)
    const held = op === 'BatchWriteItem' && limits ? await heldBack(input) : undefined;
    if (held?.some) input = held.rest;
    const plan = await planOf(op, input);
    if (plan.tooLarge) return refuse('ValidationException', 'Item size has exceeded the maximum allowed size');
    const debited = admit(plan.touched);
    if (typeof debited === 'string') {
      const p = partitionUsage(debited);
      p.throttled++;
      p.firstThrottledAt ??= now();
      opUsage(op).throttled++;
      proxy.total.throttled++;
      return refuse('ProvisionedThroughputExceededException', THROTTLED_MESSAGE);
    }
    opUsage(op).calls++;
    proxy.total.calls++;
    const sent: Json = { ...input, ReturnConsumedCapacity: 'INDEXES' };
    const injectedNew = op === 'UpdateItem' && (!input.ReturnValues || input.ReturnValues === 'NONE');
    if (injectedNew) sent.ReturnValues = 'ALL_NEW';
    const injectedOld = (op === 'PutItem' || op === 'DeleteItem') && (!input.ReturnValues || input.ReturnValues === 'NONE');
    if (injectedOld) sent.ReturnValues = 'ALL_OLD';
    let answer: Awaited<ReturnType<typeof forward>>;
    try {
      answer = await forward(op, headers, JSON.stringify(sent));
    } catch (err) {
      settle(op, debited, []);
      throw err;
    }
    const body = answer.text ? (JSON.parse(answer.text) as Json) : {};
    settle(op, debited, await plan.costs(answer.status, body));
    if (held?.some && answer.status === 200) {
      const unprocessed = (body.UnprocessedItems ?? {}) as Record<string, Json[]>;
      for (const [table, requests] of Object.entries(held.unprocessed)) unprocessed[table] = [...(unprocessed[table] ?? []), ...requests];
      body.UnprocessedItems = unprocessed;
    }
    if (injectedNew || injectedOld) delete body.Attributes;
    if (!asked || asked === 'NONE') delete body.ConsumedCapacity;
    else if (asked === 'TOTAL') for (const c of [body.ConsumedCapacity].flat()) if (c) for (const k of ['Table', 'GlobalSecondaryIndexes', 'LocalSecondaryIndexes']) delete c[k];
    reply(answer.status, answer.headers, answer.status === 200 ? JSON.stringify(body) : answer.text);
  };

  /**
   * A BatchWriteItem's requests whose partitions (table or index) are spent now: held back as
   * unprocessed, the rest (`rest`) sent. `some` when any is held and not all (all held: the whole
   * batch is refused by the usual check).
   */
  const heldBack = async (input: Json): Promise<{ some: boolean; rest: Json; unprocessed: Record<string, Json[]> }> => {
    const t = now();
    const spent = (partition: string) => {
      const b = bucket(partition, 'w');
      return b !== undefined && b.refill(t) <= 0;
    };
    const rest: Record<string, Json[]> = {};
    const unprocessed: Record<string, Json[]> = {};
    for (const [table, requests] of Object.entries(input.RequestItems as Record<string, Json[]>)) {
      for (const request of requests) {
        const one = await planOf('BatchWriteItem', { RequestItems: { [table]: [request] } });
        ((one.touched.some((touch) => spent(touch.partition)) ? unprocessed : rest)[table] ??= []).push(request);
      }
    }
    return { some: Object.keys(unprocessed).length > 0 && Object.keys(rest).length > 0, rest: { ...input, RequestItems: rest }, unprocessed };
  };

  type Cost = { partition: string; kind: 'w' | 'r'; units: number; index?: boolean };
  /** A partition a request will take units from, and how many when the item's size tells (else the partition's last cost). */
  type Touch = { partition: string; kind: 'w' | 'r'; units?: number };
  /** What a request touches (for the pre-check) and, once answered, what it cost. */
  const planOf = async (op: string, input: Json): Promise<{ touched: Touch[]; tooLarge?: boolean; costs: (status: number, body: Json) => Promise<Cost[]> }> => {
    const reported = (body: Json) => [body.ConsumedCapacity].flat().reduce((sum: number, c: Json | undefined) => sum + Number(c?.Table?.CapacityUnits ?? c?.CapacityUnits ?? 0), 0);
    if (op === 'GetItem' || op === 'Query' || op === 'Scan') {
      const table = String(input.TableName);
      const shape = await shapeFor(table);
      const hash = op === 'GetItem' ? valueId(input.Key?.[shape.hashKey]) : op === 'Query' ? queriedHash(shape, input) : undefined;
      const partition = hash === undefined ? `${table}|*scan*` : partitionName(table, hash, op === 'Query' ? input.IndexName : undefined);
      return {
        touched: hash === undefined ? [] : [{ partition, kind: 'r' }],
        costs: async (status, body) => {
          if (status !== 200) return [];
          if (op === 'GetItem' && body.Item && !input.ProjectionExpression && !input.AttributesToGet) remember(itemId(table, shape, body.Item), imageOf(shape, body.Item));
          const units = [body.ConsumedCapacity].flat().reduce((s: number, c: Json | undefined) => s + Number(c?.CapacityUnits ?? 0), 0);
          return [{ partition, kind: 'r', units }];
        },
      };
    }
    if (op === 'BatchGetItem') {
      const requested: { table: string; shape: TableShape; key: Item; consistent: boolean }[] = [];
      for (const [table, spec] of Object.entries(input.RequestItems as Record<string, Json>)) {
        const shape = await shapeFor(table);
        for (const key of spec.Keys as Item[]) requested.push({ table, shape, key, consistent: Boolean(spec.ConsistentRead) });
      }
      return {
        touched: requested.map((r) => ({ partition: partitionName(r.table, valueId(r.key[r.shape.hashKey])), kind: 'r' as const })),
        costs: async (status, body) => {
          if (status !== 200) return [];
          const found = new Map<string, Item>();
          for (const [table, items] of Object.entries((body.Responses ?? {}) as Record<string, Item[]>)) {
            const shape = await shapeFor(table);
            for (const item of items) found.set(itemId(table, shape, item), item);
          }
          return requested.map((r) => ({
            partition: partitionName(r.table, valueId(r.key[r.shape.hashKey])),
            kind: 'r' as const,
            units: readUnits(itemBytes(found.get(itemId(r.table, r.shape, r.key))), r.consistent),
          }));
        },
      };
    }
    // Writes: PutItem, UpdateItem, DeleteItem, BatchWriteItem — each item from its shadow to its new image.
    const writes: { table: string; shape: TableShape; key: Item; put?: Item; old: Image | undefined; known: boolean }[] = [];
    const add = async (table: string, key: Item, put?: Item) => {
      const shape = await shapeFor(table);
      // Without indexes the old image matters only if the condition fails (read then, if unknown).
      const id = itemId(table, shape, key);
      const old = shape.indexes.length > 0 || shadow.has(id) ? await before(table, shape, key) : undefined;
      writes.push({ table, shape, key, put, old, known: shadow.has(id) });
    };
    if (op === 'BatchWriteItem') {
      for (const [table, requests] of Object.entries(input.RequestItems as Record<string, Json[]>))
        for (const r of requests) await (r.PutRequest ? add(table, r.PutRequest.Item, r.PutRequest.Item) : add(table, r.DeleteRequest.Key));
    } else await add(String(input.TableName), op === 'PutItem' ? input.Item : input.Key, op === 'PutItem' ? input.Item : undefined);
    const tooLarge = writes.some((w) => w.put && itemBytes(w.put) > MAX_ITEM_BYTES);
    // The larger of the old and the new item is known before the write for a put, and for an
    // update or delete of an item already seen (its size before; the update's growth is not).
    const touched = writes.flatMap((w): Touch[] => {
      const next = w.put ? imageOf(w.shape, w.put) : undefined;
      const known = next || w.known ? writeUnits(Math.max(next?.bytes ?? 0, w.old?.bytes ?? 0)) : undefined;
      return [
        { partition: partitionName(w.table, valueId(w.key[w.shape.hashKey])), kind: 'w', units: known },
        ...indexWrites(w.table, w.shape, w.old, next ?? w.old).map((i) => ({ partition: i.partition, kind: 'w' as const, units: i.units })),
      ];
    });
    return {
      touched,
      tooLarge,
      costs: async (status, body) => {
        const costs: Cost[] = [];
        const failedCondition = status === 400 && String(body.__type ?? '').endsWith('ConditionalCheckFailedException');
        if (status !== 200 && !failedCondition) return costs;
        for (const w of writes) {
          const id = itemId(w.table, w.shape, w.key);
          const own = partitionName(w.table, valueId(w.key[w.shape.hashKey]));
          if (failedCondition) {
            const old = w.known ? w.old : await before(w.table, w.shape, w.key);
            costs.push({ partition: own, kind: 'w', units: writeUnits(old?.bytes ?? 0) });
            continue;
          }
          let after: Image | undefined;
          if (op === 'UpdateItem') {
            const item = body.Attributes && (input.ReturnValues === 'ALL_NEW' || !input.ReturnValues || input.ReturnValues === 'NONE') ? (body.Attributes as Item) : undefined;
            if (item) after = imageOf(w.shape, item);
            else {
              shadow.delete(id);
              after = await before(w.table, w.shape, w.key);
            }
          } else if (w.put) after = imageOf(w.shape, w.put);
          const tableUnits = op === 'BatchWriteItem' ? writeUnits(Math.max(w.old?.bytes ?? 0, after?.bytes ?? 0)) : reported(body);
          costs.push({ partition: own, kind: 'w', units: tableUnits });
          for (const i of indexWrites(w.table, w.shape, w.old, after)) costs.push({ ...i, kind: 'w', index: true });
          remember(id, after ?? null);
        }
        return costs;
      },
    };
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return res.destroy();
      res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: err instanceof Error ? err.message : String(err) }));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
