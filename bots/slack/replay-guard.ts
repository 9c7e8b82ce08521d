import type { AnyMiddlewareArgs, Middleware, RespondArguments } from '@slack/bolt';
import type { KeywardenClient } from '../core';
import { outboundMessage } from './blocks/reply-message';
import { errorLabel, type BotLog } from '../boot/bot-log';

/**
 * Every Slack request runs at most once (SPEC §8: a signed `/apikeys create` must not mint a key
 * per replay). Bolt checks the signature and refuses timestamps older than 5 minutes; within
 * that window a byte-identical request verifies again, and Bolt has no opinion on timestamps in
 * the future. Two rules close both gaps:
 *
 * 1. `isAheadOfClock`: a timestamp more than 60 s ahead of our clock is refused with 401 before
 *    Bolt sees the request (the local mount and the Lambda handler both call it), so no
 *    request stays replayable for longer than Bolt's window plus that skew.
 * 2. `replayGuard`, a global Bolt middleware that runs after the signature check and before any
 *    listener, claims the request through `POST /v1/bots/deliveries` (one conditional write shared by
 *    every instance, kept 10 minutes, held under the bot's own key and named with the bot-only
 *    secret, so no other key can claim a request first). What is claimed:
 *      - an Events API callback: its `event_id`. Slack retries an event with a new signature but
 *        the same id, so a retry whose original was claimed is dropped, and a retry whose
 *        original never got that far is processed — once;
 *      - anything else (slash command, button, modal): its signature, an HMAC over the timestamp
 *        and the exact body, so only a byte-identical replay collides.
 *    A replay is acked (200, empty body, so Slack does not retry) and nothing else runs. When
 *    the claim itself fails (the API unreachable), nothing runs either: at most once.
 */

/** How far ahead of our clock a request timestamp may be (Slack's and our clocks drift a little). */
export const MAX_FUTURE_SKEW_S = 60;

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers | null | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : headers[key];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * True when `x-slack-request-timestamp` is present and not a time at most 60 s ahead of now:
 * such a request is answered 401 and nothing runs. (No timestamp at all is left to Bolt, which
 * refuses it unless it is Slack's unsigned `ssl_check`.)
 */
export function isAheadOfClock(headers: Headers | null | undefined, nowMs = Date.now()): boolean {
  const raw = header(headers, 'x-slack-request-timestamp');
  if (raw === undefined) return false;
  return !(Number(raw) <= Math.floor(nowMs / 1000) + MAX_FUTURE_SKEW_S);
}

/** Bolt context properties (receivers' `customPropertiesExtractor`): the request's signature. */
export function slackRequestProperties(headers: Headers | null | undefined): { slackSignature?: string } {
  const signature = header(headers, 'x-slack-signature');
  return signature ? { slackSignature: signature } : {};
}

/**
 * What identifies one delivery: the event id of an Events API callback, else the signature. The
 * client turns it into the claimed id with the bot-only secret (KeywardenClient.claimDelivery),
 * so nobody without that secret can compute the id and claim a request before the bot does.
 * Bolt compares only the part after the first `=` of `v0=<hex>` (its own HMAC, lowercase hex),
 * so the name is built from that part: `v0=<hex>=anything` is the same request, not a new one.
 */
export function slackDelivery(body: unknown, signature: unknown): string | undefined {
  const b = body as { type?: unknown; event_id?: unknown } | null;
  if (b?.type === 'event_callback' && typeof b.event_id === 'string' && b.event_id !== '') return `slack-event:${b.event_id}`;
  if (typeof signature !== 'string') return undefined;
  const mac = signature.split('=')[1];
  return mac ? `slack:v0=${mac.toLowerCase()}` : undefined;
}

const UNAVAILABLE = outboundMessage({
  kind: 'error',
  code: 'unavailable',
  message: 'Keywarden could not accept this request right now, so nothing was done. Try again in a moment.',
});

export function replayGuard(client: KeywardenClient, log: BotLog): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const { body, context, next } = args;
    // Events are acked by Bolt before any middleware runs; everything else carries its ack.
    const ack = 'ack' in args && typeof args.ack === 'function' ? (args.ack as (response?: RespondArguments) => Promise<void>) : undefined;
    const kind = (body as { type?: string; command?: string }).command ? 'command' : String((body as { type?: unknown }).type ?? 'unknown');
    const id = slackDelivery(body, context.slackSignature);
    if (!id) {
      log.error('slack request without an id to claim; ignored', { kind });
      return;
    }
    const claim = await client.claimDelivery(id);
    if (claim.ok) {
      await next();
      return;
    }
    if (claim.error.code === 'conflict') {
      log.warn('slack replay ignored', { kind, retryNum: context.retryNum });
      await ack?.();
      return;
    }
    log.error('slack request not claimed; ignored', { kind, code: errorLabel(claim.error) });
    // A slash command can say so; a button or modal left unacked shows Slack's own error.
    if (kind === 'command') await ack?.({ response_type: 'ephemeral', ...UNAVAILABLE });
  };
}
