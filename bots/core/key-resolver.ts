import { findKeysInText } from '../../lambdas/core/key-scan';
import type { ApiKey } from './api-types';
import { apiFailure } from './failure-replies';
import type { KeywardenClient } from './keywarden-client';
import { redactKeys } from '../../lambdas/core/redact-keys';
import { errorReply, type Reply } from './replies';

const KEY_ID = /^key_[0-9A-Za-z]{22}$/;

/** One key, or what to tell the person instead (not found, ambiguous, an API failure). */
export type ResolvedKey = { ok: true; key: ApiKey } | { ok: false; reply: Reply };

/**
 * `<key>` → one key: an id directly; otherwise `POST /v1/keys/search` (the term in the body: it may
 * be a whole key value) and exact matches (id, name, start) first. Several matches: the single
 * live one (active or paused) when there is exactly one (a rotated key keeps its name), else the candidates, and
 * the person is asked to use the id. A trailing ellipsis (a start as the bot shows it) is ignored.
 */
export async function resolveKey(client: KeywardenClient, ref: string): Promise<ResolvedKey> {
  const query = searchTerm(ref);
  if (KEY_ID.test(query)) {
    const result = await client.getKey(query);
    if (result.ok) return { ok: true, key: result.value };
    return { ok: false, reply: apiFailure(result.error) };
  }
  // A search term (a whole key value included) goes in a POST body, never into a URL that access logs keep.
  const result = await client.listKeys({ search: query, limit: 50 });
  if (!result.ok) return { ok: false, reply: apiFailure(result.error) };
  return pickKey(ref, result.value.keys);
}

/**
 * A reference the API's search answers (a name or a visible start: not an id, not a whole key),
 * as the search term to send; `undefined` for the others, which `resolveKey` looks up directly.
 */
export function searchableRef(ref: string): string | undefined {
  const query = searchTerm(ref);
  return KEY_ID.test(query) || isWholeKey(query) ? undefined : query;
}

/** The one key `ref` means among what a search for it found: exact matches (id, name, start) first. */
export function pickKey(ref: string, found: ApiKey[]): ResolvedKey {
  const query = searchTerm(ref);
  const shown = redactKeys(query).slice(0, 80);
  const lower = query.toLowerCase();
  const exact = found.filter((k) => k.id === query || k.name.toLowerCase() === lower || k.start === query);
  const candidates = exact.length > 0 ? exact : found;
  if (candidates.length === 1) return { ok: true, key: candidates[0]! };
  if (candidates.length === 0) {
    return { ok: false, reply: errorReply('not_found', `No key matches “${shown}”. Try \`list\` to see the project’s keys.`) };
  }
  const live = candidates.filter((k) => k.status === 'active' || k.status === 'disabled');
  if (live.length === 1) return { ok: true, key: live[0]! };
  return { ok: false, reply: { kind: 'ambiguous', query: shown, candidates: candidates.slice(0, 10) } };
}

/** A trailing ellipsis (a start as the bot shows it) is ignored. */
function searchTerm(ref: string): string {
  return ref.trim().replace(/(…|\.\.\.)$/, '');
}

/** True when the text is exactly one whole key value (format and checksum), nothing around it. */
export function isWholeKey(text: string): boolean {
  const found = findKeysInText(text);
  return found.length === 1 && found[0] === text.trim();
}
