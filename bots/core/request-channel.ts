import { DIRECT_MESSAGES, isDirectMessages } from '../../lambdas/core/key-request-channel';

/**
 * The channel a key request comes from, as the API knows it (lambdas/core/key-request-channel.ts):
 *   slack:<team_id>:<channel_id>                 e.g. slack:T0123:C0456
 *   teams:<tenant_id>:<conversation id>          e.g. teams:72f9…:19:abc@thread.tacv2
 * A channel's ceiling bounds what requests from it may ask for (issue 25 point 1). The edges build
 * it from the platform's verified payload only (the same one the person's identity comes from, so
 * the workspaces match as the API requires); nothing a person types ever becomes a channel.
 *
 * Where nobody else listens — a Slack direct message, a Teams 1:1 chat — every person's chat with
 * the bot in one workspace shares one channel, `<platform>:<workspace>:direct`: an admin sets its
 * ceiling from their own DM, and it bounds every request asked in a DM. Without it, a member held
 * to a channel's ceiling could ask in a DM instead and be bounded by the approving admin alone.
 * (No real channel is named `direct`: Slack's ids are upper case, Teams' carry a `:` or `@`.)
 * A rotation's origin is not a request channel: nothing is posted "in the DMs" (rotation-origin.ts).
 */

export { DIRECT_MESSAGES, isDirectMessages };

/** The channel a Slack request was asked in: a channel, or the workspace's direct messages (`D…`). */
export function slackRequestChannel(teamId: string, channelId: string | undefined): string | undefined {
  if (!channelId) return undefined;
  return channelId.startsWith('D') ? `slack:${teamId}:${DIRECT_MESSAGES}` : slackChannel(teamId, channelId);
}

/** A Slack channel (public, private or group DM); undefined for a direct message with the bot (`D…`). */
export function slackChannel(teamId: string, channelId: string | undefined): string | undefined {
  if (!channelId || channelId.startsWith('D')) return undefined;
  return `slack:${teamId}:${channelId}`;
}

/**
 * A Teams channel or group chat. A reply thread in a channel is the channel's conversation id
 * plus `;messageid=<root>`; that suffix is dropped, so every thread of a channel shares its
 * ceiling instead of each thread being a channel of its own, without one.
 */
export function teamsChannel(tenantId: string, conversationId: string): string {
  return `teams:${tenantId}:${conversationId.replace(/;messageid=[^;]*$/i, '')}`;
}
