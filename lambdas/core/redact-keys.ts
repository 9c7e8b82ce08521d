import { startOf } from './key-format';
import { findKeysInText, HTML_TAG, readableForms } from './key-scan';

/**
 * Everything that says text back runs through `redactKeys`, so nothing but the one response that
 * creates a key can carry a key value: the bots (every message except the private new-key
 * delivery — a model's answer that echoes a pasted key included), the local model echoing a
 * question, the operator's error lines (CLI, local server).
 *
 * A key as typed becomes its non-secret start (`archie_4fQa…`). It catches the shapes the
 * scanner finds (key-scan.ts): a key in italics, broken by zero-width characters, formatting
 * marks, tags or line breaks is found in the text as a reader sees it, then replaced in the
 * original by its non-secret start, with whatever sat inside it.
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

export const WITHHELD = '[withheld: this text contained an API key]';

function redactText(text: string): string {
  const keys = findKeysInText(text);
  if (keys.length === 0) return text;
  let out = text;
  // A key as typed is replaced as such; only a key broken up by something needs the pattern.
  for (const key of keys) out = out.includes(key) ? out.replaceAll(key, `${startOf(key)}…`) : out.replace(spreadOut(key), `${startOf(key)}…`);
  if (findKeysInText(out).length === 0) return out;
  const [readable = ''] = readableForms(text).slice(-1);
  let plain = readable;
  for (const key of findKeysInText(plain)) plain = plain.replace(spreadOut(key), `${startOf(key)}…`);
  return findKeysInText(plain).length === 0 ? plain : WITHHELD;
}

function containsKey(value: unknown): boolean {
  if (typeof value === 'string') return findKeysInText(value).length > 0;
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
 * marks, `_`, tags, line breaks and the spaces around them, character references of those).
 *
 * Each stretch between two key characters can be read one way only, so a text that almost
 * matches fails in linear time: a reference between characters is never that of a letter or
 * digit (those are key characters), and spaces are single characters, not `[ \t]*` around a
 * break (` \n \n ` read several ways made the match exponential: 2^n tries on n breaks).
 */
const ALNUM_DECIMAL = '0*(?:4[89]|5[0-7]|6[5-9]|[78][0-9]|90|9[7-9]|1[01][0-9]|12[0-2]);';
const ALNUM_HEX = '0*(?:3[0-9]|4[1-9a-fA-F]|5[0-9aA]|6[1-9a-fA-F]|7[0-9aA]);';
const UNSEEN_REFERENCE = `&(?:#(?!${ALNUM_DECIMAL})[0-9]{1,7}|#[xX](?!${ALNUM_HEX})[0-9A-Fa-f]{1,6}|[A-Za-z]{2,8});`;
const BETWEEN = `(?:[\\p{Default_Ignorable_Code_Point}\\p{Cf}*~\`_ \\t\\n\\r\\v\\f\\u0085\\u2028\\u2029]|${HTML_TAG.source}|${UNSEEN_REFERENCE})*?`;

function spreadOut(key: string): RegExp {
  const char = (c: string) => {
    const code = c.codePointAt(0)!;
    const hex = code.toString(16).replace(/[a-f]/g, (d) => `[${d}${d.toUpperCase()}]`);
    return `(?:${c}|&#0*${code};|&#[xX]0*${hex};)`;
  };
  return new RegExp([...key].map(char).join(BETWEEN), 'gu');
}
