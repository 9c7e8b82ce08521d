import { createRequire } from 'node:module';

/**
 * What DynamoDB bills and limits, per item: write units of 1 KB, read units of 4 KB (half for an
 * eventually consistent read), 400 KB items, and the index writes a table write causes. Sizes are
 * dynalite's own `itemSize` (attribute names plus values, as DynamoDB documents), so a figure
 * computed here agrees with the ConsumedCapacity dynalite reports for the same item.
 *
 * Index writes (dynalite reports none) follow DynamoDB's rules for a global secondary index with
 * projection ALL: an item entering an index costs a write of its size there, one leaving it a
 * delete of its old size, one staying with the same index keys an update of the larger size, one
 * whose index keys change a delete plus a write.
 */
export type AttributeValue = Record<string, unknown>;
export type Item = Record<string, AttributeValue>;

export const WRITE_UNIT_BYTES = 1024;
export const READ_UNIT_BYTES = 4096;
/** DynamoDB's item limit (400 KB, names included). */
export const MAX_ITEM_BYTES = 400 * 1024;

const dynaliteDb = createRequire(import.meta.url)('dynalite/db/index.js') as { itemSize(item: Item): number };

export function itemBytes(item: Item | undefined): number {
  return item ? dynaliteDb.itemSize(item) : 0;
}

/** Write units for an item of `bytes` (a write of nothing, e.g. deleting an absent item, costs 1). */
export function writeUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / WRITE_UNIT_BYTES));
}

/** Read units for an item of `bytes` (an absent item still costs the minimum). */
export function readUnits(bytes: number, consistent: boolean): number {
  const units = Math.max(1, Math.ceil(bytes / READ_UNIT_BYTES));
  return consistent ? units : units / 2;
}

/** A table's keys and its global secondary indexes, as DescribeTable tells them. */
export interface TableShape {
  hashKey: string;
  rangeKey?: string;
  indexes: { name: string; hashKey: string; rangeKey?: string }[];
}

export function shapeOf(table: {
  KeySchema?: { AttributeName: string; KeyType: string }[];
  GlobalSecondaryIndexes?: { IndexName: string; KeySchema: { AttributeName: string; KeyType: string }[] }[];
}): TableShape {
  const keys = (schema: { AttributeName: string; KeyType: string }[] = []) => ({
    hashKey: schema.find((k) => k.KeyType === 'HASH')?.AttributeName ?? '',
    rangeKey: schema.find((k) => k.KeyType === 'RANGE')?.AttributeName,
  });
  return { ...keys(table.KeySchema), indexes: (table.GlobalSecondaryIndexes ?? []).map((g) => ({ name: g.IndexName, ...keys(g.KeySchema) })) };
}

/** An attribute value as a stable string: one partition per distinct value. */
export function valueId(value: AttributeValue | undefined): string {
  return value === undefined ? '' : JSON.stringify(value);
}

/** The shadow of a stored item: its size and where it sits in each index (hash value, full key), or null. */
export interface Image {
  bytes: number;
  index: ({ hash: string; key: string } | null)[];
}

export function imageOf(shape: TableShape, item: Item): Image {
  return {
    bytes: itemBytes(item),
    index: shape.indexes.map((g) => {
      const hash = item[g.hashKey];
      const range = g.rangeKey ? item[g.rangeKey] : undefined;
      if (hash === undefined || (g.rangeKey && range === undefined)) return null;
      return { hash: valueId(hash), key: `${valueId(hash)}\u0000${valueId(range)}` };
    }),
  };
}

/** The partition bucket name of a table's (or an index's) partition key value. */
export function partitionName(table: string, hash: string, index?: string): string {
  return index ? `${table}#${index}|${hash}` : `${table}|${hash}`;
}

/** The index writes a table write from `before` to `after` causes (absent = no item). */
export function indexWrites(table: string, shape: TableShape, before: Image | undefined, after: Image | undefined): { partition: string; units: number }[] {
  const writes: { partition: string; units: number }[] = [];
  shape.indexes.forEach((g, i) => {
    const o = before?.index[i] ?? null;
    const n = after?.index[i] ?? null;
    if (o && n && o.key === n.key) {
      writes.push({ partition: partitionName(table, n.hash, g.name), units: writeUnits(Math.max(before!.bytes, after!.bytes)) });
      return;
    }
    if (o) writes.push({ partition: partitionName(table, o.hash, g.name), units: writeUnits(before!.bytes) });
    if (n) writes.push({ partition: partitionName(table, n.hash, g.name), units: writeUnits(after!.bytes) });
  });
  return writes;
}

/**
 * The partition key value a Query reads: the `=` condition on the (index's) hash key in its
 * KeyConditionExpression (names and values resolved), or the legacy KeyConditions' EQ.
 */
export function queriedHash(shape: TableShape, request: Record<string, any>): string | undefined {
  const hashKey = request.IndexName ? shape.indexes.find((g) => g.name === request.IndexName)?.hashKey : shape.hashKey;
  if (!hashKey) return undefined;
  if (request.KeyConditions?.[hashKey]) return valueId(request.KeyConditions[hashKey].AttributeValueList?.[0]);
  const expression = String(request.KeyConditionExpression ?? '');
  const names = (request.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const values = (request.ExpressionAttributeValues ?? {}) as Record<string, AttributeValue>;
  for (const match of expression.matchAll(/([#\w.]+)\s*=\s*(:\w+)/g)) {
    const name = match[1]!.startsWith('#') ? names[match[1]!] : match[1];
    if (name === hashKey) return valueId(values[match[2]!]);
  }
  return undefined;
}
