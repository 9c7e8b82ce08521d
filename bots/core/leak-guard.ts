import type { ApiKey } from './api-types';
import { findKeysInText } from '../../lambdas/core/key-scan';
import type { KeywardenClient } from './keywarden-client';
import type { PendingAction } from './pending-action';
import type { LeakAlertReply } from './replies';

/**
 * At most this many distinct candidates (strings passing format and checksum) per message are
 * checked with the API. Far above any honest paste: an env file or a config dump holds a handful
 * of keys, and a random string passes the checksum about once in 2^32, so look-alike text never
 * reaches this bound. It bounds what one message can cost the bot's key (rate limit 6,000/min).
 */
export const MAX_LEAK_CANDIDATES = 100;
/** Candidates checked at once: a 100-candidate message is 13 rounds of 8 calls, not 100 in a row. */
export const LEAK_CHECK_CONCURRENCY = 8;

/** What the exposure pipeline did with a posted key: stopped now, or (the API unreachable) nothing yet. */
export type LeakHandled = 'revoked' | 'rotated' | null;

/** A live key (active or paused) of the bot's project found in channel text, with what to tell whom. */
export interface LeakFinding {
  /** The key as it now stands (revoked, or rotated, once the pipeline has run). */
  key: ApiKey;
  /** What the pipeline did: `revoked` (`rotated` for the Automator key); null when it could not be asked. */
  handled: LeakHandled;
  /** Only when the pipeline could not be asked: the one-click revoke a notice may offer (any admin who clicks). */
  revoke?: PendingAction;
  /** Tell the poster (privately, e.g. Slack ephemeral). */
  poster: LeakAlertReply;
  /** Tell each project admin on this bot's platform (DM); the poster is not repeated here. */
  admins: { identity: string; reply: LeakAlertReply }[];
}

/**
 * Leak guard: live keys of the bot's project in `text`, read as people see it (lambdas/core/key-scan.ts:
 * formatting marks, links, tags, zero-width characters and line breaks inside a key do not hide
 * it). Candidates that fail the format or checksum are dropped offline (no API call); every
 * distinct remaining one, up to MAX_LEAK_CANDIDATES, goes to the exposure pipeline at once
 * (`POST /v1/bots/leaks`, with `location`: where it was posted), LEAK_CHECK_CONCURRENCY at a
 * time: a live key of any project is revoked there and then (the Automator key rotated), and
 * the key.exposed audit record names the conversation. Holding the value is the authority, so
 * nobody has to click anything for a posted key to stop working. The text itself is neither
 * stored nor returned. The poster and the admins this bot can reach (its own platform) are then
 * told it was revoked; the project's admins also get the exposure notice with what the key did
 * (exposure-notices.ts), as for every other source.
 *
 * When the pipeline cannot be asked (the API unreachable), the key is checked with
 * `POST /v1/keys/verify` as before and the alert offers the one-click revoke instead.
 *
 * Once per key: the alert for a key is claimed through `POST /v1/bots/deliveries` (one conditional
 * write, shared by every instance, held under this bot's own key and named with the bot-only
 * secret, so no other key can claim it first) before it is raised, so the same key seen again —
 * the message edited, pasted in another channel, or a private channel the bot also reads — does
 * not alert the admins a second time. When the claim cannot be made (the API unreachable) the
 * alert goes out anyway: a leak is worth a duplicate.
 */
export async function findLeaks(client: KeywardenClient, text: string, poster: string, location: string, nowMs: number): Promise<LeakFinding[]> {
  const candidates = findKeysInText(text).slice(0, MAX_LEAK_CANDIDATES);
  if (candidates.length === 0) return [];
  const reported = await inBatches(candidates, async (candidate): Promise<{ keyId: string; handled: LeakHandled } | undefined> => {
    const report = await client.reportLeak(candidate, location);
    if (report.ok) {
      // `already`: stopped before (an edit of the same message, a key revoked long ago): nothing new to say.
      const { found, keyId, handled } = report.value;
      return found && keyId && handled && handled !== 'already' ? { keyId, handled } : undefined;
    }
    const verdict = await client.verify(candidate);
    // A paused key is one `resume` away from working: as much a leak as an active one.
    const live = verdict.ok && (verdict.value.valid || verdict.value.code === 'key_disabled');
    return live && verdict.value.keyId ? { keyId: verdict.value.keyId, handled: null } : undefined;
  });
  const distinct = [...new Map(reported.filter((r) => r !== undefined).map((r) => [r.keyId, r])).values()];
  const live = (
    await inBatches(distinct, async ({ keyId, handled }) => {
      // Another project's key is revoked all the same; its own admins hear of it from their bots' exposure notices.
      const key = await client.getKey(keyId);
      if (!key.ok) return undefined;
      // Once per key for a week: a paste of the same live key a week on (still not revoked) alerts again.
      const claim = await client.claimDelivery(leakAlertDelivery(client.bot, key.value.id), 7 * 86_400);
      return !claim.ok && claim.error.code === 'conflict' ? undefined : { key: key.value, handled };
    })
  ).filter((found) => found !== undefined);
  if (live.length === 0) return [];
  const admins = await client.admins();
  const adminIds = admins.ok ? admins.value : [];
  const onPlatform = adminIds.filter((id) => id.startsWith(`${client.bot}:`) && id !== poster);
  const iat = Math.floor(nowMs / 1000);
  return live.map(({ key, handled }) => {
    const revoke: PendingAction | undefined = handled ? undefined : { v: 1, op: 'revoke', keyId: key.id, origin: 'leak', iat };
    const said = { kind: 'leak_alert', key, poster, ...(handled ? { handled } : {}) } as const;
    return {
      key,
      handled,
      ...(revoke ? { revoke } : {}),
      poster: { ...said, audience: 'poster', ...(revoke && adminIds.includes(poster) ? { revoke } : {}) } satisfies LeakAlertReply,
      admins: onPlatform.map((identity) => ({ identity, reply: { ...said, audience: 'admin', ...(revoke ? { revoke } : {}) } satisfies LeakAlertReply })),
    };
  });
}

/** `work` over `items`, LEAK_CHECK_CONCURRENCY at a time; results in the order of `items`. */
async function inBatches<T, R>(items: T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += LEAK_CHECK_CONCURRENCY) out.push(...(await Promise.all(items.slice(i, i + LEAK_CHECK_CONCURRENCY).map(work))));
  return out;
}

/**
 * What makes a key's leak alert once per bot: the delivery the bot claims. The client derives the
 * claimed id from it with the bot-only secret, so no other key can compute it.
 */
export function leakAlertDelivery(bot: string, keyId: string): string {
  return `leak-alert:${bot}:${keyId}`;
}
