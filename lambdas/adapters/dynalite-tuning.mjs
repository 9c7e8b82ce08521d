// Speed-ups for the embedded store (dynalite), applied once per process or thread before it is
// created (issue 23: the local stack's CPU per model call). They change how fast dynalite answers,
// never what it answers. Plain JavaScript: the dynalite thread (dynalite-worker.mjs) runs it with
// no TypeScript loader. Profiled on the bench's model calls, dynalite spent about a sixth of its
// CPU parsing the same few condition and update expressions again on every request, and its every
// item call read the table's description from LevelDB again.
import { createRequire } from 'node:module';

const requireFromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));

/** Parsed expressions kept per parser: the store's expressions are a few dozen shapes. */
const MAX_CACHED = 1_000;

/**
 * Idempotent: dynalite's modules are shared by everything in the process that loads it (a test
 * runner may evaluate this module more than once), so each patch marks what it patched.
 */
export function tuneDynalite() {
  memoizeParser(requireFromDynalite('./db/conditionParser'), 'condition');
  memoizeParser(requireFromDynalite('./db/updateParser'), 'update');
  memoizeParser(requireFromDynalite('./db/projectionParser'), 'projection');
  cacheTableDescriptions(requireFromDynalite('./db'));
}

/**
 * A parser whose results are kept by expression, names and the types of the values, and handed
 * out again with the request's own values put where the first request's were.
 *
 * What a parse reads from its request: the expression; the attribute names (resolved into the
 * paths); the attribute values, which it puts into the result as they are (the very objects) and
 * checks by type; whether it parses a key condition. Two things read a value's content, not only
 * its type — `attribute_type` (the type name it gives) and BETWEEN (its bounds' order): expressions
 * naming either are never kept. A parse that throws (a syntax error) is never kept: the real
 * parser throws it again next time. An error the parser returns as its message is kept as any
 * result is: it depends on nothing the key leaves out. A result holding anything but plain
 * objects, arrays and primitives is not kept.
 */
export function memoizeParser(parser, label) {
  if (parser.parse.unmemoized) return;
  const parse = parser.parse;
  const kept = new Map();
  parser.parse = function memoizedParse(str, options) {
    const context = options?.context;
    if (!context || typeof str !== 'string' || /between|attribute_type/i.test(str)) return parse.call(this, str, options);
    const names = context.attrNames ?? {};
    const values = context.attrVals ?? {};
    const key = `${str}\u0000${JSON.stringify(names)}\u0000${typesOf(values)}\u0000${context.isKeyCondition ? 1 : 0}`;
    const hit = kept.get(key);
    if (hit) {
      for (const name of hit.usedNames) delete context.unusedAttrNames?.[name];
      for (const name of hit.usedValues) delete context.unusedAttrVals?.[name];
      return fill(hit.template, values);
    }
    const unusedNamesBefore = Object.keys(context.unusedAttrNames ?? {});
    const unusedValuesBefore = Object.keys(context.unusedAttrVals ?? {});
    const result = parse.call(this, str, options);
    const byObject = new Map(Object.entries(values).map(([name, value]) => [value, name]));
    const template = templateOf(result, byObject);
    if (template !== NOT_KEPT) {
      if (kept.size >= MAX_CACHED) kept.delete(kept.keys().next().value);
      kept.set(key, {
        template,
        usedNames: unusedNamesBefore.filter((name) => !(name in (context.unusedAttrNames ?? {}))),
        usedValues: unusedValuesBefore.filter((name) => !(name in (context.unusedAttrVals ?? {}))),
      });
    }
    return result;
  };
  parser.parse.label = label;
  /** The parser as dynalite ships it (tests compare against it). */
  parser.parse.unmemoized = parse;
}

const NOT_KEPT = Symbol('not kept');

/** `:v=N,:w=S,…`: the values' names and DynamoDB types, in order. */
function typesOf(values) {
  let out = '';
  for (const name of Object.keys(values)) {
    const value = values[name];
    out += `${name}=${value && typeof value === 'object' ? Object.keys(value).join('|') : typeof value},`;
  }
  return out;
}

/** The result with each attribute value replaced by `{ [VALUE]: name }`; NOT_KEPT if it holds anything else unexpected. */
const VALUE = Symbol('value');
function templateOf(node, byObject) {
  if (node === null || typeof node !== 'object') return node;
  const name = byObject.get(node);
  if (name !== undefined) return { [VALUE]: name };
  if (Array.isArray(node)) {
    const out = [];
    for (const item of node) {
      const t = templateOf(item, byObject);
      if (t === NOT_KEPT) return NOT_KEPT;
      out.push(t);
    }
    return out;
  }
  const proto = Object.getPrototypeOf(node);
  if (proto !== Object.prototype && proto !== null) return NOT_KEPT;
  const out = proto === null ? Object.create(null) : {};
  for (const k of Object.keys(node)) {
    const t = templateOf(node[k], byObject);
    if (t === NOT_KEPT) return NOT_KEPT;
    out[k] = t;
  }
  return out;
}

/** A fresh copy of the template with this request's values in it. */
function fill(node, values) {
  if (node === null || typeof node !== 'object') return node;
  if (Array.isArray(node)) return node.map((item) => fill(item, values));
  if (VALUE in node) return values[node[VALUE]];
  const out = Object.getPrototypeOf(node) === null ? Object.create(null) : {};
  for (const k of Object.keys(node)) out[k] = fill(node[k], values);
  return out;
}

/**
 * Item calls (get, put, update, delete, batch, query, scan) take the table's description from
 * memory instead of LevelDB once it is ACTIVE; any write of a description (create, update, delete
 * table) forgets it. Table calls (describe, update, delete) read LevelDB as before.
 */
function cacheTableDescriptions(db) {
  if (db.create.cachesTables) return;
  const create = db.create;
  db.create = function createWithTableCache(options) {
    const store = create.call(this, options);
    const getTable = store.getTable;
    const tables = new Map();
    const forget = (method) => {
      const original = store.tableDb[method];
      store.tableDb[method] = function (...args) {
        tables.clear();
        return original.apply(this, args);
      };
    };
    forget('put');
    forget('del');
    forget('batch');
    store.getTable = function cachedGetTable(name, checkStatus, cb) {
      if (typeof checkStatus !== 'function') return getTable.call(this, name, checkStatus, cb);
      const done = checkStatus;
      const table = tables.get(name);
      if (table) return process.nextTick(done, null, table);
      return getTable.call(this, name, (err, found) => {
        if (!err && found?.TableStatus === 'ACTIVE') tables.set(name, found);
        done(err, found);
      });
    };
    return store;
  };
  db.create.cachesTables = true;
}
