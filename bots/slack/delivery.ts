import type { RespondArguments, RespondFn, webApi } from '@slack/bolt';
import type { PrivateChannel, PrivateDelivery, Reply } from '../core';
import { outboundMessage, type PublicReply, type SendableReply } from './blocks/reply-message';
import type { WireMessage } from './blocks/mrkdwn';
import { slackHooksOnly, type ResponseUrlPolicy } from './response-urls';

type WebClient = webApi.WebClient;

/** Sends a message to a response_url (Bolt's `respond`, or `responder` below for a modal's saved url). */
export type Responder = (message: RespondArguments) => Promise<unknown>;

/**
 * Places that only the person sees. A `new_key` reply may go ONLY through one of these:
 * - `response_url`: always `response_type: 'ephemeral'` (slash commands, buttons, the create modal);
 * - `ephemeral`: chat.postEphemeral to one user in a channel (mentions, leak alerts);
 * - `dm`: the person's IM with the bot (conversations.open + chat.postMessage).
 */
export type PrivateTarget =
  | { via: 'response_url'; respond: Responder; replaceOriginal?: boolean }
  | { via: 'ephemeral'; client: WebClient; channel: string; user: string; threadTs?: string }
  | { via: 'dm'; client: WebClient; user: string; channel?: string };

export async function sendPrivately(target: PrivateTarget, reply: SendableReply, options: { channelId?: string } = {}): Promise<void> {
  const message = outboundMessage(reply, options);
  switch (target.via) {
    case 'response_url':
      await target.respond({
        response_type: 'ephemeral',
        // Errors leave the original (the buttons) in place so the person can try again.
        replace_original: Boolean(target.replaceOriginal) && reply.kind !== 'error',
        text: message.text,
        blocks: message.blocks,
      });
      return;
    case 'ephemeral':
      try {
        await target.client.chat.postEphemeral({
          channel: target.channel,
          user: target.user,
          text: message.text,
          blocks: message.blocks,
          ...(target.threadTs ? { thread_ts: target.threadTs } : {}),
        });
      } catch {
        // Not in the channel (or the channel is gone): fall back to the person's DM, still private.
        await sendDirect(target.client, target.user, message);
      }
      return;
    case 'dm':
      await sendDirect(target.client, target.user, message, target.channel);
      return;
  }
}

/**
 * The core's private-delivery port on Slack: every place a command or click can be answered is
 * already private to the person (see `PrivateTarget`), so there is nothing to open and the key's
 * own message is the answer (`where: 'here'`). `askedIn` is the channel the person spoke in
 * (core `slackChannel`, from the signed payload), whose ceiling bounds their key requests.
 */
export function slackPrivateDelivery(target: PrivateTarget, options: { channelId?: string } = {}, askedIn?: string): PrivateDelivery {
  const channel: PrivateChannel = { where: 'here', deliver: (reply) => sendPrivately(target, reply, options) };
  return { needsOpening: false, open: async () => ({ ok: true, channel }), ...(askedIn ? { channel: askedIn } : {}) };
}

/**
 * The answer to what the person asked, privately. A delivered key needs no second word (its
 * message was the answer); a form is the listener's to open.
 */
export async function answerPrivately(target: PrivateTarget, reply: Exclude<Reply, { kind: 'create_form' }>, options: { channelId?: string } = {}): Promise<void> {
  if (reply.kind === 'key_delivered') return;
  await sendPrivately(target, reply, options);
}

/** A message in the person's IM with the bot. `channel` must be that IM (D…) when given. */
async function sendDirect(client: WebClient, user: string, message: WireMessage, channel?: string): Promise<void> {
  const im = channel ?? (await client.conversations.open({ users: user })).channel?.id;
  if (!im) throw new Error('conversations.open returned no channel');
  await client.chat.postMessage({ channel: im, text: message.text, blocks: message.blocks });
}

/** A visible reply in a thread (end-user chat). Types keep the new key out. */
export async function postInThread(client: WebClient, channel: string, threadTs: string, reply: PublicReply): Promise<void> {
  const message = outboundMessage(reply);
  await client.chat.postMessage({ channel, thread_ts: threadTs, text: message.text, blocks: message.blocks });
}

export async function sendDirectReply(client: WebClient, user: string, reply: PublicReply, options: { channelId?: string } = {}): Promise<void> {
  await sendDirect(client, user, outboundMessage(reply, options));
}

/** A response_url that has not answered by then never will: the worker moves on. */
export const RESPONSE_URL_TIMEOUT_MS = 10_000;

/** A `respond` for a response_url kept in a modal's private_metadata (Bolt only offers one inside the originating request). */
export function responder(url: string, fetchImpl: typeof fetch = fetch): Responder {
  return async (message) => {
    const res = await fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(message),
      signal: AbortSignal.timeout(RESPONSE_URL_TIMEOUT_MS),
    });
    if (!res.ok) throw new Error(`response_url answered ${res.status}`);
  };
}

/**
 * Where a modal submission answers: the response_url saved in its private_metadata when the
 * policy lets it receive (response-urls.ts), else the submitter's DM with the bot.
 */
export function savedUrlTarget(
  saved: string | undefined,
  policy: ResponseUrlPolicy | undefined,
  dm: { client: WebClient; user: string },
  options: { replaceOriginal?: boolean } = {},
): PrivateTarget {
  const url = saved === undefined ? undefined : (policy ?? slackHooksOnly)(saved);
  return url ? { via: 'response_url', respond: responder(url), ...options } : { via: 'dm', ...dm };
}

export function respondFrom(respond: RespondFn | undefined): Responder | undefined {
  return respond ? (message) => respond(message) : undefined;
}
