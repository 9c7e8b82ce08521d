import { KeywardenError } from './errors';
import type { Principal } from './principal';

/**
 * The chat channel a request comes from (issue 25 point 1, ceilings per channel): `slack:<team>:<channel>`
 * or `teams:<tenant>:<conversation id>`. Checked before any storage key is built from it.
 *
 * Only a bot acting for a person names one: the bot reads it from the platform's verified payload
 * and calls with its own key plus the person's signed assertion. Anyone else (a key alone, the
 * console) cannot claim to be a channel, or a caller could pick the channel with the widest
 * ceiling. The channel's platform and workspace (Slack team, Teams tenant) must be the person's.
 */
export const CHANNEL_PATTERN = /^(slack:[A-Za-z0-9]+:[A-Za-z0-9]+|teams:[A-Za-z0-9-]+:[A-Za-z0-9:@._;=-]+)$/;
export const CHANNEL_MAX_LENGTH = 200;

/**
 * Every direct message with the bot in one workspace (a Slack DM, a Teams 1:1 chat) is one channel,
 * `<platform>:<workspace>:direct`, so a ceiling can bound requests asked there too (bots/core/request-channel.ts).
 */
export const DIRECT_MESSAGES = 'direct';

/** True for a workspace's direct messages (`slack:<team>:direct`, `teams:<tenant>:direct`). */
export function isDirectMessages(channel: string): boolean {
  return /^(slack|teams):[^:]+:direct$/.test(channel);
}

export function isChannel(channel: string): boolean {
  return channel.length <= CHANNEL_MAX_LENGTH && CHANNEL_PATTERN.test(channel);
}

/** The channel `p` may speak for, or a 400: a malformed one, one from a caller that is not a bot acting for a person, or another workspace's. */
export function channelOf(p: Principal, channel: string): string {
  if (!isChannel(channel)) {
    throw new KeywardenError('invalid_request_error', 'channel must be slack:<team>:<channel> or teams:<tenant>:<conversation id> (at most 200 characters).', { param: 'channel' });
  }
  if (p.kind !== 'key' || !p.person?.assertion) {
    throw new KeywardenError('invalid_request_error', 'Only a bot acting for a person names the channel a request comes from.', { param: 'channel' });
  }
  const [platform, workspace] = channel.split(':');
  const [personPlatform, personWorkspace] = p.person.identity.split(':');
  if (platform !== p.person.bot || platform !== personPlatform || workspace !== personWorkspace) {
    throw new KeywardenError('invalid_request_error', 'The channel is not in the workspace of the person asking.', { param: 'channel' });
  }
  return channel;
}

export type { ChannelCeilingRecord } from './key-request-record';
