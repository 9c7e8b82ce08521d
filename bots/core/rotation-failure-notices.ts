import type { ApiKey } from './api-types';
import type { KeywardenClient } from './keywarden-client';
import { forKeysWithAdmins } from './admin-notice-walk';
import { relativeTime, startPreview } from './key-text';

/**
 * Rotation failure notices (issue 25 point 2): a scheduled rotation whose new value could not be
 * delivered was undone or never made (lambdas/core/key-rotation-schedule.ts): the old key works
 * on, the failure is recorded on it (`rotation.lastFailure`) and announced (`key.rotation_failed`).
 * The project's admins on each platform are told privately (Slack DM, Teams 1:1) so someone fixes
 * the destination before the next try a day later.
 *
 * Read from the key itself, as the exposure notices are: the 5-minute job walks the active keys
 * (a kept key is active) and, for a failure recorded within ROTATION_FAILURE_WINDOW_MS, claims
 * `rotation-failure:<bot>:<key>:<failure time>:<admin>` through `POST /v1/bots/deliveries` before
 * sending — once per failure and admin, however many runs or instances see it. A failure a day
 * later is a new failure (a new time): told again.
 *
 * The reason is what the job recorded, already stripped of anything key-shaped; the edges still
 * escape it (it may quote a destination's error text). Never a key value.
 */
export const ROTATION_FAILURE_CLAIM_S = 8 * 86_400;
/** Failures older than this are not announced: a bot set up today does not replay old ones. */
export const ROTATION_FAILURE_WINDOW_MS = 3 * 86_400_000;

export interface RotationFailureReply {
  kind: 'rotation_failure_notice';
  key: ApiKey;
  failure: { at: string; reason: string };
}

export interface RotationFailureRun {
  due: { admin: string; reply: RotationFailureReply }[];
  alreadySent: number;
}

export function rotationFailureDelivery(bot: string, keyId: string, at: string, admin: string): string {
  return `rotation-failure:${bot}:${keyId}:${at}:${admin}`;
}

export async function claimDueRotationFailureNotices(client: KeywardenClient, nowMs: number): Promise<RotationFailureRun> {
  const run: RotationFailureRun = { due: [], alreadySent: 0 };
  await forKeysWithAdmins(client, ['active'], async (key, admins) => {
    const failure = key.rotation?.lastFailure;
    if (!failure || !(Date.parse(failure.at) > nowMs - ROTATION_FAILURE_WINDOW_MS)) return;
    for (const admin of admins) {
      const claim = await client.claimDelivery(rotationFailureDelivery(client.bot, key.id, failure.at, admin), ROTATION_FAILURE_CLAIM_S);
      if (claim.ok) run.due.push({ admin, reply: { kind: 'rotation_failure_notice', key, failure } });
      else if (claim.error.code === 'conflict') run.alreadySent += 1;
    }
  });
  return run;
}

/** Plain-text lines of a notice, which each edge marks up (and escapes) in its own idiom. */
export interface RotationFailureFacts {
  lead: string;
  destination: string;
  reason: string;
  when: string;
  next: string;
}

export function rotationFailureFacts(reply: RotationFailureReply, nowMs = Date.now()): RotationFailureFacts {
  const { key, failure } = reply;
  const to = key.rotation?.deliverTo;
  const destination = !to ? 'unknown' : 'secretsManagerArn' in to ? `Secrets Manager secret ${to.secretsManagerArn}` : `privately to ${to.owner}`;
  return {
    lead: `The scheduled rotation of “${key.name}” (${startPreview(key)}) could not deliver its new value, so it was not done: the old key keeps working.`,
    destination,
    reason: failure.reason,
    when: `${relativeTime(failure.at, nowMs)} (${failure.at})`,
    next:
      to && 'owner' in to
        ? 'Ask the owner to collect the next value from the bot when it offers it (within a day), or point deliverTo elsewhere: the job tries again a day later.'
        : 'Fix the destination (the secret, its tag keywarden-delivery and the role’s grant; docs/operating.md): the job tries again a day later.',
  };
}
