import { createHash } from 'node:crypto';
import { findKeysInText } from '../../lambdas/core/key-format';
import type { ApiKey } from './api-types';
import type { KeywardenClient } from './keywarden-client';
import type { PendingAction } from './pending-action';
import type { LeakAlertReply } from './replies';

/** At most this many candidate keys per message are checked by the leak guard. */
const MAX_LEAK_CANDIDATES = 5;

/** A live key of the bot's project found in channel text, with what to tell whom. */
export interface LeakFinding {
  key: ApiKey;
  /** The one-click revoke a notice where the key was posted may offer (any admin who clicks). */
  revoke: PendingAction;
  /** Tell the poster (privately, e.g. Slack ephemeral). */
  poster: LeakAlertReply;
  /** Tell each project admin on this bot's platform (DM); the poster is not repeated here. */
  admins: { identity: string; reply: LeakAlertReply }[];
}

/**
 * Leak guard: live keys of the bot's project in `text`. Candidates that fail the format or
 * checksum are dropped offline (no API call); the rest are checked with `POST /v1/keys/verify`.
 * The text itself is neither stored nor returned. The poster is offered the revoke only when
 * they are an admin; the admins told are those this bot can reach (its own platform).
 *
 * Once per key: the alert for a key is claimed through `POST /v1/deliveries` (one conditional
 * write, shared by every instance) before it is raised, so the same key seen again — the message
 * edited, pasted in another channel, or a private channel the bot also reads — does not alert
 * the admins a second time. When the claim cannot be made (the API unreachable) the alert goes
 * out anyway: a leak is worth a duplicate.
 */
export async function findLeaks(client: KeywardenClient, text: string, poster: string, nowMs: number): Promise<LeakFinding[]> {
  const candidates = findKeysInText(text).slice(0, MAX_LEAK_CANDIDATES);
  if (candidates.length === 0) return [];
  const live: ApiKey[] = [];
  for (const candidate of candidates) {
    const verdict = await client.verify(candidate);
    if (!verdict.ok || !verdict.value.valid || !verdict.value.keyId) continue;
    const key = await client.getKey(verdict.value.keyId);
    if (!key.ok || live.some((k) => k.id === key.value.id)) continue;
    // Once per key for a week: a paste of the same live key a week on (still not revoked) alerts again.
    const claim = await client.claimDelivery(leakAlertId(client.bot, key.value.id), 7 * 86_400);
    if (!claim.ok && claim.error.code === 'conflict') continue;
    live.push(key.value);
  }
  if (live.length === 0) return [];
  const admins = await client.admins();
  const adminIds = admins.ok ? admins.value : [];
  const onPlatform = adminIds.filter((id) => id.startsWith(`${client.bot}:`) && id !== poster);
  const iat = Math.floor(nowMs / 1000);
  return live.map((key) => {
    const revoke: PendingAction = { v: 1, op: 'revoke', keyId: key.id, origin: 'leak', iat };
    return {
      key,
      revoke,
      poster: { kind: 'leak_alert', audience: 'poster', key, poster, ...(adminIds.includes(poster) ? { revoke } : {}) } satisfies LeakAlertReply,
      admins: onPlatform.map((identity) => ({ identity, reply: { kind: 'leak_alert', audience: 'admin', key, poster, revoke } satisfies LeakAlertReply })),
    };
  });
}

/** The delivery id that makes a key's leak alert once per bot: a digest, so it names nothing. */
export function leakAlertId(bot: string, keyId: string): string {
  return createHash('sha256').update(`leak-alert:${bot}:${keyId}`).digest('hex');
}
