import { parseDuration } from './duration';
import { KeywardenError } from './errors';
import { keyStatus } from './key-status';
import type { KeyRecord, KeyRotationSetting } from './types';

/**
 * Rotation on schedule (issue 25 point 2): the rules a key's `rotation` setting follows, and the
 * port its new value leaves through. The schedule itself is key-rotation-schedule.ts.
 *
 * - `every`: at least a day, at most a year; a key is due once `every` has passed since it was
 *   created (a replacement is created by the rotation, so the clock starts again with it).
 * - `overlap`: at least a minute, at most 7 days (MAX_OVERLAP_MS). Never zero: a rotation whose
 *   value could not be delivered is undone, and only a key still inside its overlap can be given
 *   back (a key revoked at once stays revoked) — and readers need time to pick the new value up.
 * - `deliverTo`: a Secrets Manager secret (its ARN), or a chat identity reached privately: the
 *   value held sealed for that person to collect once (rotation-owner-delivery.ts).
 */
export const MIN_ROTATION_EVERY_MS = 86_400_000;
export const MAX_ROTATION_EVERY_MS = 365 * 86_400_000;
export const MIN_ROTATION_OVERLAP_MS = 60_000;

/** A Secrets Manager secret's ARN, any partition (the customer's account and region). */
export const SECRET_ARN_PATTERN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]{1,30}:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$/;
/**
 * Cross-account delivery (issue 25 point 2; docs/operating.md §12): a secret in the customer's
 * account is written through a role the customer grants, assumed with `sts:ExternalId` = the key's
 * project id (so a key manager of another project cannot aim at a role that trusts a different
 * one). The rotations function may assume only roles named `keywarden-delivery-…`, at an account's
 * top path (lib/ grants `arn:aws:iam::*:role/keywarden-delivery-*`, and a role's ARN includes its
 * path), so a role named otherwise could never be assumed and is refused when set.
 */
export const DELIVERY_ROLE_PREFIX = 'keywarden-delivery-';
export const ROLE_ARN_PATTERN = /^arn:aws[a-z-]*:iam::\d{12}:role\/keywarden-delivery-[\w+=,.@-]{1,45}$/;

/** A secret destination as stored: the secret, and the customer's role when it lies in another account. */
export interface SecretDestination {
  secretsManagerArn: string;
  roleArn?: string;
}

/** The partition and account an ARN names (`arn:<partition>:<service>:<region>:<account>:…`). */
export function arnAccount(arn: string): { partition: string; account: string } | undefined {
  const [prefix, partition, , , account] = arn.split(':');
  return prefix === 'arn' && partition && account && /^\d{12}$/.test(account) ? { partition, account } : undefined;
}

/**
 * Why a secret destination cannot be set, or undefined; `home` is Keywarden's own account. The
 * role is the customer's consent over their own secret, so it must be in the secret's account (a
 * role of a third account could not write it, and is nobody's consent to). A secret outside
 * `home` needs that role: Keywarden's own role holds no grant on other accounts' secrets.
 */
export function secretDestinationRefusal(to: SecretDestination, home: string): string | undefined {
  const secret = arnAccount(to.secretsManagerArn);
  if (!secret) return 'secretsManagerArn must be a Secrets Manager secret ARN';
  if (to.roleArn !== undefined) {
    if (!ROLE_ARN_PATTERN.test(to.roleArn)) return `roleArn must be an IAM role ARN named ${DELIVERY_ROLE_PREFIX}… (arn:aws:iam::<account>:role/${DELIVERY_ROLE_PREFIX}<name>)`;
    const role = arnAccount(to.roleArn)!;
    if (role.account !== secret.account || role.partition !== secret.partition) {
      return `roleArn must be a role in the secret's account (${secret.account}), not ${role.account}`;
    }
  } else if (secret.account !== home) {
    return `the secret is in account ${secret.account}, not Keywarden's: set roleArn, the role in that account Keywarden assumes to write it (docs/operating.md §12)`;
  }
  return undefined;
}

/**
 * Set time (create and PATCH, key-service.ts / key-edits.ts): a secret destination the job could
 * never write is refused with why, as a 400 on `rotation.deliverTo`, instead of failing every run.
 * `home` is Keywarden's account (config `keywardenAccountId`); unknown (locally, tests), a secret
 * without a role counts as in it — the same-account rule that held before roles existed.
 */
export function requireDeliverable(setting: KeyRotationSetting | null | undefined, home: string | undefined): void {
  const to = setting?.deliverTo;
  if (!to || !('secretsManagerArn' in to)) return;
  const refusal = secretDestinationRefusal(to, home ?? arnAccount(to.secretsManagerArn)?.account ?? '');
  if (refusal) throw new KeywardenError('invalid_request_error', refusal, { param: to.roleArn === undefined ? 'rotation.deliverTo' : 'rotation.deliverTo.roleArn' });
}

/**
 * A chat identity as admins are named: `slack:<team>:<user>` or `teams:<tenant>:<aadObjectId>` —
 * the identities the bots' actor assertions carry (actor-assertion.ts IDENTITY_PATTERN), bounded:
 * an owner no assertion could ever name could never collect its value.
 */
export const OWNER_PATTERN = /^(slack:[A-Za-z0-9]{1,100}:[A-Za-z0-9]{1,100}|teams:[A-Za-z0-9-]{1,100}:[A-Za-z0-9-]{1,100})$/;

/**
 * Owner delivery (rotation-owner-delivery.ts): how long the owner has to collect the new value.
 * The old key's overlap runs this much longer (`rotationOverlapMs`), so it still works for about
 * `overlap` after the latest collection; not collected by then, the rotation is undone.
 */
export const OWNER_CLAIM_WINDOW_MS = 86_400_000;
/** The longest overlap a rotation takes (KeyService's MAX_OVERLAP_MS; not imported: key-service imports this module's neighbours). */
const MAX_OVERLAP_MS = 7 * 86_400_000;

/** The overlap the job rotates with: `overlap`, plus the owner's collection window for an owner delivery, at most 7 days. */
export function rotationOverlapMs(setting: KeyRotationSetting): number {
  const { overlapMs } = rotationTimes(setting);
  return 'owner' in setting.deliverTo ? Math.min(MAX_OVERLAP_MS, overlapMs + OWNER_CLAIM_WINDOW_MS) : overlapMs;
}

/** `every` and `overlap` in ms, from a setting the API validated. */
export function rotationTimes(setting: KeyRotationSetting): { everyMs: number; overlapMs: number } {
  return { everyMs: parseDuration(setting.every) ?? MAX_ROTATION_EVERY_MS, overlapMs: parseDuration(setting.overlap) ?? MIN_ROTATION_OVERLAP_MS };
}

/** When a key is next rotated: `every` after it was created; undefined without a schedule. */
export function nextRotationAt(key: Pick<KeyRecord, 'rotation' | 'createdAt'>): number | undefined {
  if (!key.rotation) return undefined;
  return Date.parse(key.createdAt) + rotationTimes(key.rotation).everyMs;
}

/**
 * Due: a schedule, its time come, and an active key not already replaced. A paused key waits: its
 * replacement would be active, which would resume what an admin paused.
 */
export function rotationDue(key: KeyRecord, now: number): boolean {
  const at = nextRotationAt(key);
  if (at === undefined || at > now || key.replacedBy !== undefined) return false;
  return keyStatus(key, now) === 'active';
}

/** Where a value went, or why it did not: a reason never holds the value. */
export type DeliveryOutcome = { delivered: true; where: string } | { delivered: false; reason: string };

/**
 * Where a rotated key's new value goes (lambdas/adapters/*rotation-delivery*.ts): the secret it
 * lives in, or its owner's private chat. The value is handed over once and kept nowhere.
 */
export interface RotationDelivery {
  /**
   * Before anything is rotated: why this destination cannot take this key's value (a secret not
   * tagged for its project, a channel this job cannot reach), or undefined. A refusal here means
   * no rotation at all — no replacement made and revoked every run.
   */
  preflight(to: KeyRotationSetting['deliverTo'], key: KeyRecord): Promise<string | undefined>;
  deliver(to: KeyRotationSetting['deliverTo'], issued: { key: KeyRecord; secret: string }): Promise<DeliveryOutcome>;
}

/** A setting as people read it: `every 90d, overlap 1h, to <arn | owner>`. */
export function describeRotation(setting: KeyRotationSetting): string {
  const d = setting.deliverTo;
  const to = 'secretsManagerArn' in d ? `${d.secretsManagerArn}${d.roleArn ? ` as ${d.roleArn}` : ''}` : d.owner;
  return `every ${setting.every}, overlap ${setting.overlap}, to ${to}`;
}
