import { startOf } from '../../lambdas/core/key-format';
import { findKeysInMessage, HTML_TAG, looksLikeKeyInMessage, readableForms } from './key-scan';

/**
 * Edges run every message except the private new-key delivery through `redactKeys`, so nothing
 * the bot says in a channel — a model's answer that echoes a pasted key included — can carry a key.
 *
 * It catches the shapes the leak guard catches (key-scan.ts): a key in italics, broken by
 * zero-width characters, formatting marks, tags or line breaks is found in the text as a reader
 * sees it, then replaced in the original by its non-secret start, with whatever sat inside it.
 * Guaranteed, not hoped: the result is scanned again, and when a key still shows (a shape only
 * normalisation reveals, e.g. full-width letters), the readable form is returned redacted
 * instead; failing that, a fixed notice. JSON text (an edge redacting a whole serialised message)
 * is redacted string by string, so a key split by an escaped line break is caught and the JSON
 * stays valid.
 */
export function redactKeys(text: string): string {
  const first = text.trimStart()[0];
  if (first === '{' || first === '[' || first === '"') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return redactText(text);
    }
    if (!containsKey(parsed)) return text;
    return JSON.stringify(redactDeep(parsed));
  }
  return redactText(text);
}

/** True when the text carries something shaped like a key (checksum or not): don't forward it to a model. */
export function looksLikeKey(text: string): boolean {
  return looksLikeKeyInMessage(text);
}

export const WITHHELD = '[withheld: this text contained an API key]';

function redactText(text: string): string {
  const keys = findKeysInMessage(text);
  if (keys.length === 0) return text;
  let out = text;
  // A key as typed is replaced as such; only a key broken up by something needs the pattern.
  for (const key of keys) out = out.includes(key) ? out.replaceAll(key, `${startOf(key)}…`) : out.replace(spreadOut(key), `${startOf(key)}…`);
  if (findKeysInMessage(out).length === 0) return out;
  const [readable = ''] = readableForms(text).slice(-1);
  let plain = readable;
  for (const key of findKeysInMessage(plain)) plain = plain.replace(spreadOut(key), `${startOf(key)}…`);
  return findKeysInMessage(plain).length === 0 ? plain : WITHHELD;
}

function containsKey(value: unknown): boolean {
  if (typeof value === 'string') return findKeysInMessage(value).length > 0;
  if (Array.isArray(value)) return value.some(containsKey);
  if (value && typeof value === 'object') return Object.entries(value).some(([k, v]) => containsKey(k) || containsKey(v));
  return false;
}

function redactDeep(value: unknown): unknown {
  if (typeof value === 'string') return redactText(value);
  if (Array.isArray(value)) return value.map(redactDeep);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [redactText(k), redactDeep(v)]));
  return value;
}

/**
 * `key` as it may sit in the original text: each character literal or as a character reference,
 * and between any two of them whatever a reader does not see (invisible characters, formatting
 * marks, `_`, tags, line breaks, character references of those).
 */
const BETWEEN = `(?:[\\p{Default_Ignorable_Code_Point}\\p{Cf}*~\`_]|[ \\t]*(?:\\r\\n|[\\n\\r\\v\\f\\u0085\\u2028\\u2029])[ \\t]*|${HTML_TAG.source}|&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z]{2,8});)*?`;

function spreadOut(key: string): RegExp {
  const char = (c: string) => {
    const code = c.codePointAt(0)!;
    const hex = code.toString(16).replace(/[a-f]/g, (d) => `[${d}${d.toUpperCase()}]`);
    return `(?:${c}|&#0*${code};|&#[xX]0*${hex};)`;
  };
  return new RegExp([...key].map(char).join(BETWEEN), 'gu');
}
