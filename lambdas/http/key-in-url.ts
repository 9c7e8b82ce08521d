import { findKeysInText, readableForms } from '../core/key-scan';
import { ExposedKeyError, HttpError } from './errors';

/**
 * A full key value never travels in a URL (SPEC §3): API Gateway, CloudFront and every proxy on
 * the way keep URLs in their access logs. The router runs this over every query string before
 * anything else reads it, on every route:
 *
 *   - a value (or a name) holding a key — format and checksum, read as a log reader sees it
 *     (core/key-scan.ts: a zero-width character, `%E2%80%8B`, a line break, an entity or a
 *     formatting mark inside the key does not hide it) — is a key already written to some log:
 *     it is treated as exposed exactly like a key in an id slot (ExposedKeyError — the router
 *     revokes it if live, the audit names the key id), and the 400 says where a key belongs;
 *   - a search term with the shape of a key (prefix, `_`, 16+ base62 characters: a key with a
 *     typo, a truncated paste), disguised the same ways or not, is a 400 pointing at
 *     POST /v1/keys/search, so no near-key either.
 *
 * Only `search` gets the shape rule: opaque values such as cursors may contain that shape by chance.
 */
const SEARCH_BY_BODY = 'To find a key by its value, send it in the body of POST /v1/keys/search ({"search": "<key>"}).';

/** `<prefix>_` and a long base62 run: a key or most of one, checksum or not. */
const KEY_SHAPED = /(?<![A-Za-z0-9_])[a-z][a-z0-9]{1,11}_[0-9A-Za-z]{16,}/;
/** Key ids (`key_` and 22 characters) have that shape too, and are no secret. */
const KEY_ID = /(?<![A-Za-z0-9_])key_[0-9A-Za-z]{22}(?![A-Za-z0-9_])/g;

function keyShaped(value: string): boolean {
  return KEY_SHAPED.test(value.replace(KEY_ID, ' '));
}

export class KeyInUrlError extends ExposedKeyError {
  override name = 'KeyInUrlError';
  constructor(param: string, raw: string) {
    super(param, raw);
    this.message =
      `The ${param} value in the URL is an API key. A key never travels in a URL (access logs keep URLs), ` +
      `so it is treated as exposed: it has been revoked if it was live. ${SEARCH_BY_BODY}`;
  }
}

/** The text and, when it still holds escapes (a client encoded twice), its decoded form: what a log reader sees. */
function readings(text: string): string[] {
  if (!text.includes('%')) return [text];
  try {
    return [text, decodeURIComponent(text)];
  } catch {
    return [text];
  }
}

function keyIn(text: string): string | undefined {
  for (const reading of readings(text)) {
    const [found] = findKeysInText(reading);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Every parameter as sent, a repeated one once per value (`?search=x&search=<key>` is read whole). */
export function refuseKeysInQuery(query: Iterable<readonly [string, string | undefined]>): void {
  for (const [name, value = ''] of query) {
    // A key as a parameter's name: the error names the query, never the value.
    const inName = keyIn(name);
    if (inName !== undefined) throw new KeyInUrlError('query', inName);
    const inValue = keyIn(value);
    if (inValue !== undefined) throw new KeyInUrlError(safeName(name), inValue);
    if (name === 'search' && readings(value).flatMap(readableForms).some(keyShaped)) {
      throw new HttpError(400, 'invalid_request_error', `The search value looks like an API key, and a key never travels in a URL. ${SEARCH_BY_BODY}`, 'search');
    }
  }
}

/**
 * A path no route serves, carrying a key (`/v1/archie_…`, a key pasted where a URL was wanted):
 * exposed like the rest. Paths a route serves check their own slots (schemas.ts `idSlot`).
 */
export function refuseKeyInUnroutedPath(path: string): void {
  const found = keyIn(path) ?? readings(path).slice(1).map(keyIn).find((k) => k !== undefined);
  if (found !== undefined) throw new KeyInUrlError('path', found);
}

/** Parameter names are echoed in errors: only plain ones. */
function safeName(name: string): string {
  return /^[A-Za-z][A-Za-z0-9_]{0,40}$/.test(name) && !keyShaped(name) ? name : 'query';
}
