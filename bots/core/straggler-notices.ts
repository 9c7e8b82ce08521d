import type { ApiKey, ApiStragglers } from './api-types';
import type { KeywardenClient } from './keywarden-client';
import { forKeysWithAdmins } from './admin-notice-walk';
import type { RotationOrigin } from './rotation-origin';

/**
 * Straggler notices (issue 25 point 4): while a rotation's overlap runs, the person who rotated
 * the key — when they are an admin on this bot's platform; otherwise (a key or the schedule
 * rotated it) the project's admins here — hears which callers still use the old key (address,
 * user agent, route, count, last seen: GET /v1/keys/{id}/stragglers), so they can move them
 * before the old key stops. Once per rotation and admin (a claimed delivery), and only once
 * someone is found straggling. Run with the 5-minute jobs (the exposure notices'). Ids, addresses
 * and user agents only: a notice never holds a key value.
 *
 * When the rotation was asked in a channel or group conversation of this bot's platform (the
 * replacement's `rotatedIn`, rotation-origin.ts), that conversation — its thread, when it was one —
 * gets the same notice once too (its own claim), so whoever watched the rotation sees who lags.
 */
export const STRAGGLER_CLAIM_S = 8 * 86_400;

export interface StragglerNoticeReply {
  kind: 'straggler_notice';
  /** The old key, still working until its `graceUntil`. */
  key: ApiKey;
  stragglers: ApiStragglers;
}

export interface StragglerNoticeRun {
  due: { admin: string; reply: StragglerNoticeReply }[];
  /** The conversations rotations were asked in, each with its one notice. */
  threads: { origin: RotationOrigin; reply: StragglerNoticeReply }[];
  alreadySent: number;
}

export function stragglerNoticeDelivery(bot: string, keyId: string, replacement: string, admin: string): string {
  return `stragglers:${bot}:${keyId}:${replacement}:${admin}`;
}

/** One per rotation: a rotation has one origin, so the rotation names its conversation. */
export function stragglerThreadDelivery(bot: string, keyId: string, replacement: string): string {
  return `stragglers-thread:${bot}:${keyId}:${replacement}`;
}

export async function claimDueStragglerNotices(client: KeywardenClient, nowMs: number): Promise<StragglerNoticeRun> {
  const run: StragglerNoticeRun = { due: [], threads: [], alreadySent: 0 };
  await forKeysWithAdmins(client, ['active'], async (key, admins) => {
    if (!key.replacedBy || !key.graceUntil || Date.parse(key.graceUntil) <= nowMs) return;
    const report = await client.stragglers(key.id);
    if (!report.ok || report.value.callers.length === 0) return;
    const replacement = await client.getKey(key.replacedBy);
    const reply: StragglerNoticeReply = { kind: 'straggler_notice', key, stragglers: report.value };
    const rotator = replacement.ok ? replacement.value.createdBy : undefined;
    const told = rotator && admins.includes(rotator) ? [rotator] : admins;
    for (const admin of told) {
      const claim = await client.claimDelivery(stragglerNoticeDelivery(client.bot, key.id, key.replacedBy, admin), STRAGGLER_CLAIM_S);
      if (claim.ok) run.due.push({ admin, reply });
      else if (claim.error.code === 'conflict') run.alreadySent += 1;
    }
    // Only this bot's platform posts there; the other bot leaves it alone.
    const origin = replacement.ok ? replacement.value.rotatedIn : null;
    if (!origin || !origin.channel.startsWith(`${client.bot}:`)) return;
    const claim = await client.claimDelivery(stragglerThreadDelivery(client.bot, key.id, key.replacedBy), STRAGGLER_CLAIM_S);
    if (claim.ok) run.threads.push({ origin, reply });
    else if (claim.error.code === 'conflict') run.alreadySent += 1;
  });
  return run;
}
