import type { Activity, ConversationReference } from 'botbuilder';
import { isChannel } from '../../lambdas/core/key-request-channel';
import { SERVICE_URL_PATTERN, TEAMS_THREAD_PATTERN } from '../../lambdas/core/rotation-origin';
import type { RotationOrigin } from '../core/rotation-origin';
import { conversationChannelOf } from './activity';
import { isLoopbackUrl } from './emulator-guard';

/**
 * The Teams side of a rotation's origin (bots/core/rotation-origin.ts): the channel or group chat
 * the confirmation was clicked in, read off the activity the Bot Framework Service vouched for
 * (the JWT covers it when an app id is set) — its conversation, the root of its channel thread
 * (`;messageid=`) and its serviceUrl, where the straggler notice is posted back later through
 * botbuilder's `continueConversationAsync`. Undefined in the 1:1 chat (private already), or when
 * any part would not pass the API's check: an origin must never make a rotation fail.
 */
export function teamsRotationOrigin(activity: Partial<Activity>): RotationOrigin | undefined {
  const channel = conversationChannelOf(activity);
  const serviceUrl = activity.serviceUrl;
  if (!channel || !isChannel(channel) || !serviceUrl || !SERVICE_URL_PATTERN.test(serviceUrl)) return undefined;
  const thread = /;messageid=([^;]*)$/i.exec(activity.conversation?.id ?? '')?.[1];
  return { channel, serviceUrl, ...(thread && TEAMS_THREAD_PATTERN.test(thread) ? { thread } : {}) };
}

/**
 * The reference a proactive post into that conversation takes, or undefined when this bot must not
 * post there: another platform's origin, or — in Emulator mode (no app id, so nothing vouched for
 * the serviceUrl) — one that is not loopback (the rule saved 1:1 chats follow, usableReference).
 * A channel thread is addressed as Teams names it: the channel's id plus `;messageid=<root>`.
 */
export function originReference(origin: RotationOrigin, appId: string): Partial<ConversationReference> | undefined {
  const m = /^teams:([A-Za-z0-9-]+):(.+)$/.exec(origin.channel);
  if (!m || !origin.serviceUrl || (!appId && !isLoopbackUrl(origin.serviceUrl))) return undefined;
  const [, tenant, conversationId] = m as unknown as [string, string, string];
  const emulator = tenant === 'emulator';
  return {
    channelId: emulator ? 'emulator' : 'msteams',
    serviceUrl: origin.serviceUrl,
    conversation: {
      id: origin.thread ? `${conversationId};messageid=${origin.thread}` : conversationId,
      isGroup: true,
      ...(emulator ? {} : { tenantId: tenant }),
    } as ConversationReference['conversation'],
    // Teams knows a bot as 28:<app id>; the Emulator takes any id.
    bot: { id: appId ? `28:${appId}` : 'keywarden', name: 'Keywarden' },
  };
}
