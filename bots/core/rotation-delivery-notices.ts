import type { CallOutput } from '../../lambdas/http/client';
import { apiFailure } from './failure-replies';
import { issuedKeyReply } from './issued-key';
import type { KeywardenClient } from './keywarden-client';
import type { PrivateDelivery } from './private-delivery';
import { errorReply, type Reply } from './replies';

/**
 * Scheduled rotation delivered privately to the key's chat owner (issue 25 point 2,
 * `deliverTo: {owner}`; lambdas/core/rotation-owner-delivery.ts). The job holds the new value
 * sealed for the owner; this module tells them, in their private place with the bot (Slack DM,
 * Teams 1:1 captured at install), with a `Collect key` button. The click comes back as the CLICKER
 * (from the platform's signed payload, never the button) and claims the value with the clicker's
 * assertion (`POST /v1/keys/{id}/rotation-delivery/claim`): the API hands it to the owner alone,
 * once, and the value goes out through the edge's `PrivateDelivery`, as a key an admin creates.
 *
 * Read from `GET /v1/rotation-deliveries?status=pending` by the 5-minute job (with the rotation
 * failure notices). Each notice is claimed through `POST /v1/bots/deliveries` per key, owner and
 * half day of its window (`rotation-delivery:<bot>:<key>:<owner>:<n>`): sent once per half day
 * however many runs or instances see it — so the owner hears of it again before the window ends,
 * and a notice that could not be sent (their DM could not be opened) is tried again. Never
 * collected, the job undoes the rotation at the window's end and the admins are told (the rotation
 * failure notices): the old key works on meanwhile.
 *
 * The notice names the key (name, visible start, id) and when to collect by; never a value.
 */
export type ApiRotationDelivery = CallOutput<'listRotationDeliveries'>['data'][number];

export interface RotationDeliveryNotice {
  kind: 'rotation_delivery_notice';
  delivery: ApiRotationDelivery;
}

/** How often a pending value's owner is told again. */
export const ROTATION_DELIVERY_RENOTICE_MS = 12 * 3_600_000;
const CLAIM_S = 2 * 86_400;

export function rotationDeliveryNoticeId(bot: string, keyId: string, owner: string, round: number): string {
  return `rotation-delivery:${bot}:${keyId}:${owner}:${round}`;
}

export interface RotationDeliveryRun {
  due: { admin: string; reply: RotationDeliveryNotice }[];
  alreadySent: number;
}

/** The notices owed now to owners on this bot's platform, each claimed once per half day of its window. */
export async function claimDueRotationDeliveryNotices(client: KeywardenClient, nowMs: number): Promise<RotationDeliveryRun> {
  const run: RotationDeliveryRun = { due: [], alreadySent: 0 };
  const listed = await client.listRotationDeliveries();
  if (!listed.ok) return run;
  for (const delivery of listed.value.data) {
    if (delivery.status !== 'pending' || !delivery.owner.startsWith(`${client.bot}:`)) continue;
    const round = Math.max(0, Math.floor((nowMs - Date.parse(delivery.createdAt)) / ROTATION_DELIVERY_RENOTICE_MS));
    const claim = await client.claimDelivery(rotationDeliveryNoticeId(client.bot, delivery.keyId, delivery.owner, round), CLAIM_S);
    if (claim.ok) run.due.push({ admin: delivery.owner, reply: { kind: 'rotation_delivery_notice', delivery } });
    else if (claim.error.code === 'conflict') run.alreadySent += 1;
  }
  return run;
}

/** Plain-text lines of a notice, which each edge marks up (and escapes) in its own idiom. */
export function rotationDeliveryFacts(notice: RotationDeliveryNotice): { lead: string; detail: string; until: string } {
  const d = notice.delivery;
  return {
    lead: `Key “${d.keyName}” was rotated on schedule, and its new value is waiting for you.`,
    detail: `New key ${d.keyStart}… (${d.keyId}), replacing ${d.replacedKeyId}, which keeps working until its overlap ends.`,
    until: `Collect it here, once, by ${d.claimUntil}: the value is shown only to you. Not collected by then, the rotation is undone and the admins are told.`,
  };
}

/** A key id (lambdas/core/key-service.ts KEY_ID_PATTERN; not imported: it would pull the key service into the bots' bundles). */
const KEY_ID_PATTERN = /^key_[0-9A-Za-z]{22}$/;

/** The `Collect key` button's value: which key's held value. */
export interface RotationDeliveryButton {
  op: 'collect';
  keyId: string;
}

export function encodeRotationDeliveryButton(button: RotationDeliveryButton): string {
  return JSON.stringify(button);
}

/** A button value back, checked: the op and a well-formed key id, else undefined. */
export function decodeRotationDeliveryButton(value: string): RotationDeliveryButton | undefined {
  try {
    const parsed = JSON.parse(value) as Partial<RotationDeliveryButton>;
    if (parsed.op === 'collect' && typeof parsed.keyId === 'string' && KEY_ID_PATTERN.test(parsed.keyId)) return { op: 'collect', keyId: parsed.keyId };
  } catch {
    // not this button
  }
  return undefined;
}

/**
 * `Collect key`: the rotated value, once, to the owner only. The private place is opened before
 * the claim (the claim spends the value); the API checks the clicker is the owner.
 */
export async function collectRotatedKey(client: KeywardenClient, keyId: string, clicker: string, delivery: PrivateDelivery): Promise<Reply> {
  const opened = await delivery.open();
  if (!opened.ok) return errorReply('no_private_channel', opened.message);
  const result = await client.claimRotationDelivery(clicker, keyId);
  if (!result.ok) return apiFailure(result.error);
  const reply = issuedKeyReply('rotate', result.value, clicker, Date.now());
  try {
    await opened.channel.deliver(reply);
  } catch {
    return errorReply(
      'undelivered',
      `I could not deliver the new value of ${reply.key.start}… (${keyId}) privately, and it can be collected only once: ask an admin to rotate the key again.`,
    );
  }
  return { kind: 'key_delivered', action: 'rotate', key: reply.key, where: opened.channel.where };
}
