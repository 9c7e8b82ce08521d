import type { ApiIssuedKey, ApiKey } from './api-types';
import type { NewKeyReply, ReplacedKey } from './replies';

/**
 * The API's answer that carries a key's value (create, rotate, a request's claim) as the one
 * message that may hold it (`NewKeyReply`), for the edge's private delivery only.
 */
export function issuedKeyReply(action: 'create' | 'rotate', value: ApiIssuedKey, to: string, nowMs: number): NewKeyReply {
  const { key: secret, setupScript, replaced, ...key } = value;
  return { kind: 'new_key', action, key, secret, setupScript, to, ...(replaced ? { replaced: replacedKey(replaced, nowMs) } : {}) };
}

/** The rotate answer's `replaced` (the old key as it now stands) as what the bot says of it. */
function replacedKey(old: ApiKey, nowMs: number): ReplacedKey {
  const stillWorks = old.status === 'active' && old.graceUntil !== null && Date.parse(old.graceUntil) > nowMs;
  return { id: old.id, start: old.start, graceUntil: stillWorks ? old.graceUntil : null };
}
