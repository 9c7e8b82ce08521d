import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { MAX_SAMPLE_VALUES, sampleFromSchema } from '../../lambdas/adapters/schema-sample';

/**
 * The local model's structured answers (schema-sample.ts): for any schema a client's zod schema
 * turns into (what the openai SDK, the AI SDK and LangChain send), the answer is accepted by that
 * very zod schema; and a hostile schema cannot make the answer unbounded or the walk throw.
 */
const TEXT = '[Keywarden local model] You asked: what fits?';

const { schema } = fc.letrec<{ schema: z.ZodType; leaf: z.ZodType; array: z.ZodType; object: z.ZodType; nullable: z.ZodType; union: z.ZodType }>((tie) => ({
  schema: fc.oneof({ maxDepth: 5, depthSize: 'small' }, tie('leaf'), tie('array'), tie('object'), tie('nullable'), tie('union')),
  leaf: fc.oneof(
    fc.constant(z.string()),
    fc.record({ min: fc.nat(60), extra: fc.nat(30) }).map(({ min, extra }) => z.string().min(min).max(min + extra)),
    fc.record({ min: fc.integer({ min: -50, max: 50 }), span: fc.nat(100) }).map(({ min, span }) => z.int().min(min).max(min + span)),
    fc.record({ min: fc.double({ min: -1e6, max: 1e6, noNaN: true }), span: fc.double({ min: 0, max: 1e6, noNaN: true }) }).map(({ min, span }) => z.number().min(min).max(min + span)),
    fc.constant(z.boolean()),
    fc.uniqueArray(fc.string({ minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 4 }).map((values) => z.enum(values as [string, ...string[]])),
    fc.constantFrom<z.ZodType>(z.literal('x'), z.literal(3), z.null(), z.iso.datetime(), z.iso.date(), z.email(), z.url(), z.uuid()),
  ),
  array: fc.record({ item: tie('schema'), min: fc.nat(3) }).map(({ item, min }) => z.array(item).min(min)),
  object: fc
    .dictionary(fc.string({ minLength: 1, maxLength: 10 }).filter((name) => name !== '__proto__'), tie('schema'), { maxKeys: 5 })
    .map((shape) => z.object(shape)),
  nullable: tie('schema').map((inner) => inner.nullable()),
  union: fc.tuple(tie('schema'), tie('schema')).map(([a, b]) => z.union([a, b])),
}));

describe('sampleFromSchema', () => {
  it('answers what the client\'s own zod schema accepts, for any schema it sends', () => {
    fc.assert(
      fc.property(schema, (zodSchema) => {
        const sample = sampleFromSchema(z.toJSONSchema(zodSchema), TEXT);
        const parsed = zodSchema.safeParse(JSON.parse(JSON.stringify(sample)));
        expect(parsed.success, JSON.stringify({ schema: z.toJSONSchema(zodSchema), sample, issues: parsed.error?.issues })).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('says what it is: its strings carry the labelled text, cut to their maxLength', () => {
    const sample = sampleFromSchema(z.toJSONSchema(z.object({ answer: z.string(), short: z.string().max(10) })), TEXT) as Record<string, string>;
    expect(sample.answer).toBe(TEXT);
    expect(sample.short).toBe(TEXT.slice(0, 10));
  });

  it('follows $refs and $defs, and a schema that refers to itself stays bounded', () => {
    const node: z.ZodType = z.lazy(() => z.object({ name: z.string(), children: z.array(node) }));
    const tree = sampleFromSchema(z.toJSONSchema(node), TEXT) as { name: string; children: unknown[] };
    expect(tree.name).toBe(TEXT);
    expect(Array.isArray(tree.children)).toBe(true);
    // Hostile: 100 properties, each the whole schema again — exponential if unbounded.
    const wide = { $defs: { n: { type: 'object', properties: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`p${i}`, { $ref: '#/$defs/n' }])) } }, $ref: '#/$defs/n' };
    const started = performance.now();
    const out = JSON.stringify(sampleFromSchema(wide, TEXT));
    expect(performance.now() - started).toBeLessThan(2_000);
    expect((out.match(/\{/g) ?? []).length).toBeLessThanOrEqual(MAX_SAMPLE_VALUES);
  });

  it('never throws and stays small whatever the schema holds', () => {
    const deep: Record<string, unknown> = {};
    let cursor = deep;
    for (let i = 0; i < 10_000; i++) cursor = (cursor.items = { type: 'array' }) as Record<string, unknown>;
    const hostile: unknown[] = [
      null,
      42,
      'string',
      [],
      { type: 'array', minItems: 1e9, items: { type: 'string', minLength: 1e9 } },
      { type: 'string', minLength: 1e9 },
      // As a request body parses it: `__proto__` a property name, not the prototype.
      JSON.parse('{"type":"object","properties":{"__proto__":{"type":"string"},"constructor":{"type":"number"}}}'),
      { $ref: 'https://example.com/elsewhere.json' },
      { $ref: '#/$defs/__proto__', $defs: {} },
      { anyOf: [] , type: 'number', minimum: Infinity },
      deep,
      { type: 'object', properties: Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`p${i}`, { type: 'string' }])) },
    ];
    for (const schema of hostile) {
      const out = JSON.stringify(sampleFromSchema(schema, TEXT));
      expect(out.length).toBeLessThan(100_000);
    }
    const proto = sampleFromSchema(hostile[6], TEXT) as Record<string, unknown>;
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.keys(proto)).toEqual(['__proto__', 'constructor']);
  });
});
