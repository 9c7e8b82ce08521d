import { KEY_REQUEST_ID_PATTERN } from '../../lambdas/core/key-request-record';
import { actionFailure, apiFailure } from './failure-replies';
import { issuedKeyReply } from './issued-key';
import type { ApiKeyRequest } from './api-types';
import { startPreview } from './key-text';
import type { KeywardenClient } from './keywarden-client';
import type { PrivateDelivery } from './private-delivery';
import { errorReply, type Reply } from './replies';

/**
 * Key requests decided in chat (issue 25 point 1): the project's admins on this bot's platform get
 * an approval card in private (Slack DM, Teams 1:1) the moment a person asks; `Approve` and `Deny`
 * come back here as the CLICKER (from the platform's signed payload, never from the button) and go
 * to `POST /v1/key-requests/{id}/approve|deny` with the clicker's assertion, so the API decides
 * who may approve (SPEC §3: an admin, and never wider than the approver could create), records the
 * approver and the requester, and refuses a second decision (409, concurrent clicks included).
 *
 * The value never passes through the approver. The requester is told privately (Slack DM, Teams
 * 1:1) with a `Collect key` button; that click claims the key as the requester (`POST
 * /v1/key-requests/{id}/claim`, once: the API removes the sealed value as it hands it out) and the
 * value goes through the edge's `PrivateDelivery`, exactly like a key an admin creates.
 */

/** What a person is told privately about a request: an admin's card to decide it, or the requester's news of a decision. */
export type KeyRequestNotice = { kind: 'key_request_card'; request: ApiKeyRequest } | { kind: 'key_request_decided'; request: ApiKeyRequest };

/**
 * How the core reaches a person who did not just ask (an admin to decide; a requester once it is
 * decided): their private place with the bot — Slack DM, Teams 1:1 chat as captured at install.
 * `false` when the person cannot be reached on this platform (another platform, a key, no chat).
 */
export interface PersonNotifier {
  notify(identity: string, notice: KeyRequestNotice): Promise<boolean>;
}

/** A button of a request card or a decision notice: what it asks for, about which request. */
export interface KeyRequestButton {
  op: 'approve' | 'deny' | 'collect';
  requestId: string;
}

const OPS: readonly KeyRequestButton['op'][] = ['approve', 'deny', 'collect'];

export function encodeKeyRequestButton(button: KeyRequestButton): string {
  return JSON.stringify(button);
}

/** A button value back, checked: one of the ops and a well-formed request id, else undefined. */
export function decodeKeyRequestButton(value: string): KeyRequestButton | undefined {
  try {
    const parsed = JSON.parse(value) as Partial<KeyRequestButton>;
    if (OPS.includes(parsed.op as KeyRequestButton['op']) && typeof parsed.requestId === 'string' && KEY_REQUEST_ID_PATTERN.test(parsed.requestId)) {
      return { op: parsed.op!, requestId: parsed.requestId };
    }
  } catch {
    // not a request button
  }
  return undefined;
}

/** What makes a card once per request, bot and admin (hashed with the bot-only secret by the client). */
export function requestCardDelivery(bot: string, requestId: string, admin: string): string {
  return `key-request:${requestId}:${bot}:${admin}`;
}

/** How long a card's claim is held: past the request's own week. */
const CARD_CLAIM_S = 8 * 86_400;

/**
 * The approval card, to each admin of the project on this platform, once (claimed per request and
 * admin, so a retried request or a second instance sends nothing twice). The number reached.
 */
export async function announceRequest(client: KeywardenClient, notifier: PersonNotifier, request: ApiKeyRequest): Promise<number> {
  const admins = await client.admins();
  if (!admins.ok) return 0;
  let reached = 0;
  for (const admin of admins.value.filter((identity) => identity.startsWith(`${client.bot}:`))) {
    const claim = await client.claimDelivery(requestCardDelivery(client.bot, request.id, admin), CARD_CLAIM_S);
    if (!claim.ok) continue;
    if (await notifier.notify(admin, { kind: 'key_request_card', request }).catch(() => false)) reached += 1;
  }
  return reached;
}

/**
 * The cards a request made elsewhere (the API, the console, the other platform) still owes this
 * platform's admins — run with the exposure notices, every 5 minutes: the pending requests, read
 * as an admin (the only caller who may list them all; the list goes to admins alone), each card
 * claimed per request and admin as at request time, so nobody gets one twice. Cards sent.
 */
export async function announcePendingRequests(client: KeywardenClient, notifier: PersonNotifier): Promise<number> {
  const admins = await client.admins();
  if (!admins.ok) return 0;
  const here = admins.value.filter((identity) => identity.startsWith(`${client.bot}:`));
  if (here.length === 0) return 0;
  let reached = 0;
  let cursor: string | undefined;
  for (let page = 0; page < 10; page++) {
    const listed = await client.listKeyRequests(here[0]!, { status: 'pending', limit: 200, ...(cursor ? { cursor } : {}) });
    if (!listed.ok) return reached;
    for (const request of listed.value.data) {
      for (const admin of here) {
        const claim = await client.claimDelivery(requestCardDelivery(client.bot, request.id, admin), CARD_CLAIM_S);
        if (claim.ok && (await notifier.notify(admin, { kind: 'key_request_card', request }).catch(() => false))) reached += 1;
      }
    }
    if (!listed.value.nextCursor) break;
    cursor = listed.value.nextCursor;
  }
  return reached;
}

/** Exactly the key a request asks for, in words (the card, the requester's answer, the decision). */
export function requestedKeyText(r: ApiKeyRequest): string {
  const k = r.key;
  return [
    k.type,
    `scopes ${k.scopes.join(', ')}`,
    ...(k.models ? [`models ${k.models.join(', ')}`] : []),
    ...(k.budget ? [`budget ${k.budget.credits}/${k.budget.period}`] : []),
    ...(k.rateLimit ? [`rate limit ${k.rateLimit.limit}/${k.rateLimit.windowSeconds}s`] : []),
    k.expiresInSeconds !== null ? `expires ${Math.round(k.expiresInSeconds / 86_400) || '<1'}d after approval` : 'expiry: the approver’s default',
  ].join('; ');
}

/** Who a request's requester is, in words: a person's identity, or the key that asked. */
export function requesterText(r: ApiKeyRequest): string {
  return r.viaBot ? `${r.requester} (via ${r.viaBot})` : r.requester;
}

/** A request card's button, clicked: approve or deny as the clicker; collect as the requester. */
export async function keyRequestButton(
  client: KeywardenClient,
  notifier: PersonNotifier | undefined,
  button: KeyRequestButton,
  clicker: string,
  delivery: PrivateDelivery,
  reason?: string,
): Promise<Reply> {
  switch (button.op) {
    case 'approve': {
      const result = await client.approveKeyRequest(clicker, button.requestId);
      if (!result.ok) return actionFailure(result.error);
      const r = result.value;
      const told = await tellRequester(client, notifier, r);
      const start = r.keyStart ? ` (${r.keyStart}…)` : '';
      return {
        kind: 'text',
        text:
          `Approved request ${r.id}: key “${r.key.name}”${start} was created for ${requesterText(r)}. Its value goes only to them` +
          (told
            ? ': I told them privately, with a button to collect it once.'
            : `: they collect it once, within 7 days (${r.viaBot ? `\`collect ${r.id}\` to the ${r.viaBot} bot` : `\`POST /v1/key-requests/${r.id}/claim\``}).`),
      };
    }
    case 'deny': {
      const why = reason?.trim();
      if (!why) return errorReply('invalid_command', 'Say why you deny it: the requester reads the reason.');
      const result = await client.denyKeyRequest(clicker, button.requestId, why.slice(0, 1000));
      if (!result.ok) return actionFailure(result.error);
      const told = await tellRequester(client, notifier, result.value);
      return { kind: 'text', text: `Denied request ${result.value.id} (“${result.value.key.name}” for ${requesterText(result.value)})${told ? '; I told them why' : ''}.` };
    }
    case 'collect':
      return collectKey(client, button.requestId, clicker, delivery);
  }
}

/** The requester, told of the decision in their private place — when they are a person on this platform. */
async function tellRequester(client: KeywardenClient, notifier: PersonNotifier | undefined, request: ApiKeyRequest): Promise<boolean> {
  if (!notifier || !request.requester.startsWith(`${client.bot}:`)) return false;
  return notifier.notify(request.requester, { kind: 'key_request_decided', request }).catch(() => false);
}

/**
 * `Collect key`: the approved key's value, once, to the requester only. The private place is opened
 * before the claim (the claim spends the value), and the API checks the clicker is the requester.
 */
export async function collectKey(client: KeywardenClient, requestId: string, clicker: string, delivery: PrivateDelivery): Promise<Reply> {
  const opened = await delivery.open();
  if (!opened.ok) return errorReply('no_private_channel', opened.message);
  const result = await client.claimKeyRequest(clicker, requestId);
  if (!result.ok) return apiFailure(result.error);
  const reply = issuedKeyReply('create', result.value, clicker, Date.now());
  try {
    await opened.channel.deliver(reply);
  } catch {
    return errorReply(
      'undelivered',
      `I could not deliver the key of request ${requestId} (${startPreview(reply.key)}) privately, and it can be collected only once: ask an admin to revoke it and approve a new request.`,
    );
  }
  return { kind: 'key_delivered', action: 'create', key: reply.key, where: opened.channel.where };
}
