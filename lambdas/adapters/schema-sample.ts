/**
 * A value that fits a JSON Schema, for the local model (local-model.ts): what it answers when a
 * request asks for structured output (`response_format` / `text.format` `json_schema`) or forces a
 * tool call, so clients that parse the answer (the openai SDK's `.parse()`, the AI SDK's
 * `generateObject`, LangChain's `withStructuredOutput`) work offline too. Every string carries the
 * model's labelled text, so the answer still says what produced it.
 *
 * The schema is request input: hostile until proven otherwise. The walk is bounded in depth (past
 * it, a value of the simplest kind the node allows), in properties, in array items and in string
 * length; local `$ref`s are followed through the same depth bound (a cycle just ends there), and
 * nothing in the schema is ever evaluated. It covers the subset OpenAI's structured outputs accept
 * (type, properties/required, items, enum/const, anyOf, $ref/$defs, string formats, numeric
 * bounds), plus oneOf/allOf/default; what it cannot satisfy (a `pattern`) it answers as best it
 * can.
 */
type Schema = Record<string, unknown>;

/** Deepest nesting the walk follows ($refs included). */
export const MAX_SAMPLE_DEPTH = 12;
const MAX_PROPERTIES = 100;
const MAX_ITEMS = 3;
const MAX_STRING = 2_000;
/** Most values one answer holds: a schema whose properties refer back to itself would otherwise grow it exponentially. */
export const MAX_SAMPLE_VALUES = 2_000;
/** Most characters of text the strings of one answer hold together. */
const MAX_TEXT = 20_000;

/** How much of the answer is left to build. */
interface Budget {
  values: number;
  chars: number;
}

export function sampleFromSchema(schema: unknown, text: string): unknown {
  const root = isSchema(schema) ? schema : {};
  return sample(root, root, text, 0, { values: MAX_SAMPLE_VALUES, chars: MAX_TEXT });
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sample(node: Schema, root: Schema, text: string, depth: number, budget: Budget): unknown {
  budget.values -= 1;
  // Values the schema itself gives are answered as they are, when shallow enough to serialize.
  if ('const' in node && shallow(node.const)) return node.const;
  if (Array.isArray(node.enum) && node.enum.length > 0 && shallow(node.enum[0])) return node.enum[0];
  if ('default' in node && node.default !== undefined && shallow(node.default)) return node.default;
  const deeper = depth < MAX_SAMPLE_DEPTH && budget.values > 0;
  if (typeof node.$ref === 'string') {
    const target = deeper ? resolve(node.$ref, root) : undefined;
    return target ? sample(target, root, text, depth + 1, budget) : null;
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = node[key];
    if (Array.isArray(options) && options.length > 0) {
      // A non-null option first: `nullable` fields are the common case, and null says nothing.
      const chosen = options.find((o) => isSchema(o) && o.type !== 'null') ?? options[0];
      return deeper && isSchema(chosen) ? sample(chosen, root, text, depth + 1, budget) : null;
    }
  }
  if (Array.isArray(node.allOf) && node.allOf.length > 0) {
    const parts = deeper ? node.allOf.filter(isSchema).map((part) => sample(part, root, text, depth + 1, budget)) : [];
    if (parts.length > 0 && parts.every(isSchema)) return Object.assign({}, ...parts);
    return parts[0] ?? null;
  }
  const type = Array.isArray(node.type) ? (node.type.find((t) => t !== 'null') ?? node.type[0]) : node.type;
  switch (type) {
    case 'object':
      return deeper ? objectSample(node, root, text, depth, budget) : {};
    case 'array':
      return deeper ? arraySample(node, root, text, depth, budget) : [];
    case 'string':
      return stringSample(node, text, budget);
    case 'integer':
      return numberSample(node, true);
    case 'number':
      return numberSample(node, false);
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      // No type: an object when it has properties, else the text.
      return isSchema(node.properties) && deeper ? objectSample(node, root, text, depth, budget) : stringSample(node, text, budget);
  }
}

/** True when `value` nests at most `max` levels, checked with an explicit stack (no recursion). */
export function withinDepth(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= max) return false;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return true;
}

function shallow(value: unknown): boolean {
  return withinDepth(value, MAX_SAMPLE_DEPTH);
}

/** `#/$defs/Name`, `#/definitions/Name` or `#` (the root), within the same schema only. */
function resolve(ref: string, root: Schema): Schema | undefined {
  if (ref === '#') return root;
  const match = /^#\/(\$defs|definitions)\/([^/]+)$/.exec(ref);
  if (!match) return undefined;
  const defs = root[match[1]!];
  const name = match[2]!.replace(/~1/g, '/').replace(/~0/g, '~');
  return isSchema(defs) && Object.hasOwn(defs, name) && isSchema(defs[name]) ? defs[name] : undefined;
}

function objectSample(node: Schema, root: Schema, text: string, depth: number, budget: Budget): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const properties = isSchema(node.properties) ? node.properties : {};
  for (const name of Object.keys(properties).slice(0, MAX_PROPERTIES)) {
    const property = properties[name];
    // defineProperty: a property named `__proto__` is data, not the object's prototype.
    Object.defineProperty(out, name, { value: isSchema(property) ? sample(property, root, text, depth + 1, budget) : text, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function arraySample(node: Schema, root: Schema, text: string, depth: number, budget: Budget): unknown[] {
  const min = typeof node.minItems === 'number' && node.minItems > 0 ? Math.min(Math.ceil(node.minItems), MAX_ITEMS) : 1;
  const count = typeof node.maxItems === 'number' ? Math.max(0, Math.min(min, Math.floor(node.maxItems))) : min;
  if (Array.isArray(node.prefixItems)) {
    return node.prefixItems.slice(0, MAX_ITEMS).map((item) => (isSchema(item) ? sample(item, root, text, depth + 1, budget) : null));
  }
  const items = isSchema(node.items) ? node.items : {};
  return Array.from({ length: count }, () => sample(items, root, text, depth + 1, budget));
}

function stringSample(node: Schema, text: string, budget: Budget): string {
  switch (node.format) {
    case 'date-time':
      return new Date(0).toISOString();
    case 'date':
      return '1970-01-01';
    case 'time':
      return '00:00:00Z';
    case 'email':
      return 'local-model@example.com';
    case 'uri':
    case 'url':
      return 'https://example.com/';
    case 'uuid':
      return '00000000-0000-4000-8000-000000000000';
    case 'ipv4':
      return '127.0.0.1';
    case 'ipv6':
      return '::1';
    case 'hostname':
      return 'example.com';
  }
  const max = typeof node.maxLength === 'number' && node.maxLength >= 0 ? Math.min(Math.floor(node.maxLength), MAX_STRING) : MAX_STRING;
  const min = typeof node.minLength === 'number' && node.minLength > 0 ? Math.min(Math.ceil(node.minLength), max) : 0;
  const value = text.slice(0, Math.max(0, Math.min(max, budget.chars)));
  budget.chars -= value.length;
  return value.length >= min ? value : value.padEnd(min, '.');
}

function numberSample(node: Schema, integer: boolean): number {
  const bound = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
  const minimum = bound(node.minimum);
  const exclusiveMinimum = bound(node.exclusiveMinimum);
  const maximum = bound(node.maximum);
  const exclusiveMaximum = bound(node.exclusiveMaximum);
  let value = 0;
  if (minimum !== undefined && value < minimum) value = minimum;
  if (exclusiveMinimum !== undefined && value <= exclusiveMinimum) value = integer ? Math.floor(exclusiveMinimum) + 1 : exclusiveMinimum + 1;
  if (maximum !== undefined && value > maximum) value = maximum;
  if (exclusiveMaximum !== undefined && value >= exclusiveMaximum) value = integer ? Math.ceil(exclusiveMaximum) - 1 : exclusiveMaximum - 1;
  const multipleOf = bound(node.multipleOf);
  if (multipleOf !== undefined && multipleOf > 0) value = Math.ceil(value / multipleOf) * multipleOf;
  return integer ? Math.ceil(value) : value;
}
