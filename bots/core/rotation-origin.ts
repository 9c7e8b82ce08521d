import { isChannel } from '../../lambdas/core/key-request-channel';
import { SLACK_THREAD_PATTERN, type RotationOrigin } from '../../lambdas/core/rotation-origin';
import { slackChannel } from './request-channel';

export type { RotationOrigin };

/**
 * Where a person rotated a key (issue 25 point 4), sent on the rotate call as `origin` so the
 * straggler job can tell that conversation, once, who still calls with the old key
 * (straggler-notices.ts). Like a key request's channel (request-channel.ts) it is built by the
 * edge from the platform's verified payload only — the click, never the button value or any text
 * — and a direct message or 1:1 chat has none: the rotating admin hears privately already.
 */

/**
 * Slack: the channel of the clicked confirmation and, when it sits in a thread, that thread's ts.
 * Undefined in a DM with the bot. Confirmations are ephemeral, so a thread can only be the one the
 * message was posted in (`container.thread_ts`, or the message's own `thread_ts`).
 */
export function slackRotationOrigin(teamId: string | undefined, channelId: string | undefined, threadTs: string | undefined): RotationOrigin | undefined {
  const channel = teamId ? slackChannel(teamId, channelId) : undefined;
  // What the API would refuse is left out, not sent: an origin must never make a rotation fail.
  if (!channel || !isChannel(channel)) return undefined;
  return { channel, ...(threadTs && SLACK_THREAD_PATTERN.test(threadTs) ? { thread: threadTs } : {}) };
}

/** The Slack channel and thread of an origin this bot may post into, or undefined (another platform's, or malformed). */
export function slackPlace(origin: RotationOrigin | null | undefined): { channel: string; threadTs?: string } | undefined {
  const m = origin ? /^slack:[A-Za-z0-9]+:([A-Za-z0-9]+)$/.exec(origin.channel) : null;
  if (!m) return undefined;
  return { channel: m[1]!, ...(origin!.thread ? { threadTs: origin!.thread } : {}) };
}
