import type { ApiKey } from './api-types';
import type { KeywardenClient } from './keywarden-client';
import { forKeysWithAdmins, keyButtonCodec, type KeyButton } from './admin-notice-walk';

/**
 * Expiry reminders (issue 12): keys never expire by surprise. Once a day (lib/keywarden-bots.ts;
 * locally a timer, and `keywarden reminders run`), each bot finds the project's keys that expire
 * within 14 days, within 3 days, or expired in the last 7 days, and tells each of the project's
 * admins on its platform privately — once per key, threshold and admin.
 *
 * "Once" is a conditional write: before a notice goes out its id is claimed through
 * `POST /v1/bots/deliveries`; a second run (the same day, another instance, a retried schedule) finds
 * it taken and sends nothing. Claimed before sending, so a notice is sent at most once.
 *
 * The notice names the key (name, start, expiry, last use), calls out a key not used in 90 days
 * (rotating a key nobody uses only moves the risk: revoke it), and offers Rotate and Revoke
 * buttons that start the usual confirmation (`rotate <id>` / `revoke <id>` as the clicker).
 */
export type ReminderThreshold = '14d' | '3d' | 'expired';

const DAY = 86_400_000;
/** How long after expiry a key still gets its "just expired" notice (a missed run catches up). */
const JUST_EXPIRED_MS = 7 * DAY;
export const IDLE_MS = 90 * DAY;
/** How long a sent notice stays claimed (seconds). */
export const REMINDER_CLAIM_S = 30 * 86_400;

/** The most urgent threshold a key has crossed, or none. Revoked and rotated-away keys need no reminder. */
export function reminderThreshold(key: Pick<ApiKey, 'expiresAt' | 'status' | 'replacedBy'>, nowMs: number): ReminderThreshold | undefined {
  if (!key.expiresAt || key.status === 'revoked' || key.replacedBy) return undefined;
  const left = Date.parse(key.expiresAt) - nowMs;
  if (!Number.isFinite(left)) return undefined;
  if (left <= 0) return left > -JUST_EXPIRED_MS ? 'expired' : undefined;
  if (left <= 3 * DAY) return '3d';
  if (left <= 14 * DAY) return '14d';
  return undefined;
}

/** What a reminder says first, per threshold (each platform adds its own emoji). */
export const REMINDER_LEAD: Record<ReminderThreshold, string> = {
  '14d': 'An API key of this project expires within 14 days',
  '3d': 'An API key of this project expires within 3 days',
  expired: 'An API key of this project has just expired',
};

/** Said under a key not used in 90 days. */
export const IDLE_NOTE = 'Not used in 90 days: if nothing needs it, revoke it rather than rotate it.';

/** Not used in 90 days (never used counts from creation). */
export function isIdle(key: Pick<ApiKey, 'lastUsedAt' | 'createdAt'>, nowMs: number): boolean {
  const since = Date.parse(key.lastUsedAt ?? key.createdAt);
  return Number.isFinite(since) && nowMs - since >= IDLE_MS;
}

/** One notice for one admin. The buttons carry only the key id; the clicker is the actor. */
export interface ExpiryReminderReply {
  kind: 'expiry_reminder';
  key: ApiKey;
  threshold: ReminderThreshold;
  idle: boolean;
}

export interface DueReminder {
  /** The admin's platform identity (this bot's platform only). */
  admin: string;
  reply: ExpiryReminderReply;
}

/**
 * What makes a notice once per key, expiry, threshold and admin: the delivery the bot claims. The
 * client derives the claimed id from it with the bot-only secret, so another key that can read
 * the keys and the admins still cannot compute it, and the claim is held under the bot's own key.
 */
export function reminderDelivery(bot: string, key: Pick<ApiKey, 'id' | 'expiresAt'>, threshold: ReminderThreshold, admin: string): string {
  return `expiry-reminder:${bot}:${key.id}:${key.expiresAt}:${threshold}:${admin}`;
}

export interface ReminderRun {
  /** Notices claimed for sending now. */
  due: DueReminder[];
  /** Notices skipped because an earlier run claimed them. */
  alreadySent: number;
}

/**
 * The notices to send now, each already claimed. Reads the active and expired keys page by page
 * and the admins on this bot's platform; an API failure ends the run with what it has (the
 * next run picks up the rest: nothing unclaimed was lost).
 */
export async function claimDueReminders(client: KeywardenClient, nowMs: number): Promise<ReminderRun> {
  const run: ReminderRun = { due: [], alreadySent: 0 };
  await forKeysWithAdmins(client, ['active', 'expired'], async (key, admins) => {
    const threshold = reminderThreshold(key, nowMs);
    if (!threshold) return;
    for (const admin of admins) {
      // Held 30 days: past every threshold's window (14 days, then 7 after expiry), so DynamoDB's
      // TTL sweep cannot free a notice for sending twice.
      const claim = await client.claimDelivery(reminderDelivery(client.bot, key, threshold, admin), REMINDER_CLAIM_S);
      if (claim.ok) run.due.push({ admin, reply: { kind: 'expiry_reminder', key, threshold, idle: isIdle(key, nowMs) } });
      else if (claim.error.code === 'conflict') run.alreadySent += 1;
    }
  });
  return run;
}

/** What a reminder button asks for: the usual command, run for whoever clicks. */
export type ReminderButton = KeyButton<'rotate' | 'revoke'>;

export const { encode: encodeReminderButton, decode: decodeReminderButton } = keyButtonCodec<ReminderButton['op']>(['rotate', 'revoke']);
