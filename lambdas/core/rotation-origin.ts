import { KeywardenError } from './errors';
import { channelOf } from './key-request-channel';
import type { Principal } from './principal';
import type { KeyRecord } from './types';

/**
 * Where a rotation was asked for (issue 25 point 4): the chat conversation a person rotated a key
 * in through a bot, kept on the replacement (`rotatedIn`) so the bots' straggler job can tell that
 * conversation — once — which callers still use the old key.
 *
 *   channel     slack:<team>:<channel> or teams:<tenant>:<conversation id> (key-request-channel.ts)
 *   thread      Slack: the thread's ts (1700000000.000100); Teams: the id of a channel thread's root
 *               message (the `;messageid=` of the conversation id)
 *   serviceUrl  Teams only: where the bot posts into that conversation (the activity's serviceUrl)
 *
 * The rule is the key-request channel's: only a bot acting for a person names one (the bot reads
 * it from the platform's verified payload and calls with the person's signed assertion), in the
 * person's own workspace. A key alone or the console sending `origin` is answered 400, never
 * silently dropped: a caller that believes it named a place should learn it did not. A direct
 * message or 1:1 chat has no origin: the rotating admin hears of stragglers privately already.
 */
export type RotationOrigin = NonNullable<KeyRecord['rotatedIn']>;

export const SLACK_THREAD_PATTERN = /^\d{1,12}\.\d{1,8}$/;
export const TEAMS_THREAD_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** https, or loopback http (the Bot Framework Emulator and the tests' stand-in connector): as a saved 1:1 reference's. */
export const SERVICE_URL_PATTERN = /^(https:\/\/[^\s/]+(\/[^\s]*)?|http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/[^\s]*)?)$/;
export const SERVICE_URL_MAX_LENGTH = 512;

/** The origin `p` may name, as stored, or a 400 (malformed, not a bot acting for a person, another workspace, or parts of the other platform). */
export function rotationOriginOf(p: Principal, origin: RotationOrigin): RotationOrigin {
  const channel = channelOf(p, origin.channel);
  const slack = channel.startsWith('slack:');
  const bad = (message: string, param: string) => new KeywardenError('invalid_request_error', message, { param: `origin.${param}` });
  if (origin.thread !== undefined && !(slack ? SLACK_THREAD_PATTERN : TEAMS_THREAD_PATTERN).test(origin.thread)) {
    throw bad(slack ? 'A Slack thread is the ts of its first message, e.g. 1700000000.000100.' : 'A Teams thread is the id of its root message.', 'thread');
  }
  if (slack && origin.serviceUrl !== undefined) throw bad('A Slack origin has no serviceUrl.', 'serviceUrl');
  if (!slack && (origin.serviceUrl === undefined || origin.serviceUrl.length > SERVICE_URL_MAX_LENGTH || !SERVICE_URL_PATTERN.test(origin.serviceUrl))) {
    throw bad('A Teams origin needs the serviceUrl of its conversation: https (or loopback http).', 'serviceUrl');
  }
  return { channel, ...(origin.thread !== undefined ? { thread: origin.thread } : {}), ...(origin.serviceUrl !== undefined ? { serviceUrl: origin.serviceUrl } : {}) };
}
