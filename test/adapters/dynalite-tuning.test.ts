import {
  CreateTableCommand,
  DeleteTableCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynalite, type DynaliteServer } from '../../lambdas/adapters/dynalite-server';
import { createDynamoClient } from '../../lambdas/adapters/dynamodb-client';
import { tuneDynalite } from '../../lambdas/adapters/dynalite-tuning.mjs';

/**
 * The embedded store's speed-ups (dynalite-tuning.mjs) change how fast dynalite answers, never what:
 * a kept parse handed out again equals a fresh parse of the same request, with that request's
 * values in it; a table's description kept in memory is forgotten when the table changes.
 */
type Parser = { parse: ((str: string, options: { context: Record<string, unknown> }) => unknown) & { unmemoized?: Parser['parse'] } };
const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
tuneDynalite();
const parsers = {
  condition: fromDynalite('./db/conditionParser') as Parser,
  update: fromDynalite('./db/updateParser') as Parser,
};

/** A request's parse context as dynalite's validations build it. */
function contextOf(names: Record<string, string>, values: Record<string, AttributeValue>, isKeyCondition = false) {
  const context: Record<string, unknown> = {
    attrNames: names,
    attrVals: values,
    unusedAttrNames: Object.fromEntries(Object.keys(names).map((k) => [k, true])),
    unusedAttrVals: Object.fromEntries(Object.keys(values).map((k) => [k, true])),
    isReserved: () => false,
    compare: () => false,
  };
  if (isKeyCondition) context.isKeyCondition = true;
  return context;
}

function outcome(parser: Parser['parse'], str: string, context: Record<string, unknown>) {
  try {
    return { result: parser(str, { context }), unusedNames: Object.keys(context.unusedAttrNames as object), unusedValues: Object.keys(context.unusedAttrVals as object) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

const number = fc.integer({ min: -1e6, max: 1e6 }).map((n): AttributeValue => ({ N: String(n) }));
const string = fc.string({ maxLength: 12 }).map((s): AttributeValue => ({ S: s }));
const boolean = fc.boolean().map((b): AttributeValue => ({ BOOL: b }));
const nil = fc.constant<AttributeValue>({ NULL: true });
/** Draws of seven values whose types are fixed per run: the second draw on is a kept parse's. */
const sameTypes = fc
  .tuple(...Array.from({ length: 7 }, () => fc.constantFrom(number, string, boolean, nil)))
  .chain((types) => fc.array(fc.tuple(...types), { minLength: 2, maxLength: 4 }));

// Shapes like the store's own (key admission, release, leases), and ones dynalite refuses.
const conditions = [
  'attribute_exists(pk) AND #w = :w AND #n < :limit',
  '(attribute_not_exists(#s) OR #s.h = :holder) AND lease >= :need',
  'begins_with(#p, :prefix) OR size(#l) > :n',
  '#a IN (:x, :y, :z)',
  '#a BETWEEN :x AND :y',
  'attribute_type(#a, :x)',
  '#a = :x AND #a = :undefinedValue',
  'NOT #a <> :x',
];
const updates = [
  'SET #n = if_not_exists(#n, :zero) + :one, lease = lease - :need',
  'SET #l = list_append(#l, :x) REMOVE #gone',
  'ADD #c :one SET #a = :x',
];

describe('a kept parse', () => {
  it('equals a fresh parse of the same request, values included, for every draw', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...conditions.map((c) => ['condition', c] as const), ...updates.map((u) => ['update', u] as const)),
        sameTypes,
        fc.boolean(),
        ([kind, str], draws, extraName) => {
          const parser = parsers[kind].parse;
          const original = parser.unmemoized!;
          for (const draw of draws) {
            const [a, b, c, d, e, f, g] = draw as AttributeValue[] as [AttributeValue, AttributeValue, AttributeValue, AttributeValue, AttributeValue, AttributeValue, AttributeValue];
            const names: Record<string, string> = { '#w': 'window', '#n': 'count', '#s': 'slot1', '#p': 'prefixed', '#l': 'list', '#a': 'a', '#gone': 'old', '#c': 'c' };
            if (extraName) names['#unused'] = 'unused';
            const values: Record<string, AttributeValue> = { ':w': a, ':limit': b, ':holder': c, ':need': d, ':prefix': e, ':n': f, ':x': g, ':y': a, ':z': b, ':zero': { N: '0' }, ':one': { N: '1' } };
            // The same request parsed by the memoized parser (a hit from the second draw on) and by dynalite's own.
            const memo = outcome(parser, str, contextOf(names, values));
            const fresh = outcome(original, str, contextOf(names, values));
            expect(memo).toEqual(fresh);
            // The values in the result are this request's objects, not an earlier request's.
            if ('result' in memo && str.includes(':x') && kind === 'update' && typeof memo.result === 'object') expect(JSON.stringify(memo.result)).toContain(JSON.stringify(g));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('through the store', () => {
  let db: DynaliteServer;
  const client = () => createDynamoClient(db.endpoint);
  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(async () => {
    await db.close();
  });

  it('the same condition with other values decides by those values', async () => {
    const c = client();
    await c.send(new CreateTableCommand({ TableName: 'tuning-one', BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] }));
    const add = (limit: number) =>
      c
        .send(
          new UpdateItemCommand({
            TableName: 'tuning-one',
            Key: { pk: { S: 'k' } },
            UpdateExpression: 'SET #n = if_not_exists(#n, :zero) + :one',
            ConditionExpression: 'attribute_not_exists(#n) OR #n < :limit',
            ExpressionAttributeNames: { '#n': 'n' },
            ExpressionAttributeValues: { ':zero': { N: '0' }, ':one': { N: '1' }, ':limit': { N: String(limit) } },
            ReturnValues: 'ALL_NEW',
          }),
        )
        .then((r) => Number(r.Attributes?.n?.N), (err: Error) => err.name);
    expect(await add(3)).toBe(1);
    expect(await add(3)).toBe(2);
    expect(await add(3)).toBe(3);
    expect(await add(3)).toBe('ConditionalCheckFailedException');
    expect(await add(10)).toBe(4);
    c.destroy();
  });

  it('a table deleted and made again with another schema is used with the new one', async () => {
    const c = client();
    const make = (index: string) =>
      c.send(
        new CreateTableCommand({
          TableName: 'tuning-two',
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: index, AttributeType: 'S' },
          ],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          GlobalSecondaryIndexes: [{ IndexName: 'byOther', KeySchema: [{ AttributeName: index, KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } }],
        }),
      );
    await make('alpha');
    await c.send(new PutItemCommand({ TableName: 'tuning-two', Item: { pk: { S: 'a' }, alpha: { S: 'x' }, beta: { S: 'y' } } }));
    await c.send(new DeleteTableCommand({ TableName: 'tuning-two' }));
    await make('beta');
    await c.send(new PutItemCommand({ TableName: 'tuning-two', Item: { pk: { S: 'b' }, alpha: { S: 'x' }, beta: { S: 'y' } } }));
    const found = await c.send(new QueryCommand({ TableName: 'tuning-two', IndexName: 'byOther', KeyConditionExpression: 'beta = :v', ExpressionAttributeValues: { ':v': { S: 'y' } } }));
    expect(found.Items?.map((i) => i.pk?.S)).toEqual(['b']);
    c.destroy();
  });
});
