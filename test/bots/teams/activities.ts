import { randomUUID } from 'node:crypto';

/**
 * Bot Framework activities as the Bot Framework Service posts them for Teams: channelId msteams,
 * the connector's serviceUrl, the user's AAD object id, tenant in conversation and channelData,
 * and in channels the bot's <at>mention</at> with its mention entity.
 */
export const TENANT = 'tenant1';
export const BOT = { id: '28:keywarden-bot', name: 'Keywarden' };
export const ADMIN = { id: '29:admin-user', name: 'Ada Admin', aadObjectId: 'aad-admin' };
export const USER = { id: '29:plain-user', name: 'Uma User', aadObjectId: 'aad-user' };
export const CHANNEL = { id: '19:general@thread.tacv2', conversationType: 'channel' as const };
export const GROUP_CHAT = { id: '19:group-chat@thread.v2', conversationType: 'groupChat' as const };
export const personalChat = (user: { aadObjectId: string }) => ({ id: `a:personal-${user.aadObjectId}`, conversationType: 'personal' as const });

export type Person = typeof ADMIN;
export type Where = { id: string; conversationType: 'channel' | 'groupChat' | 'personal' };

interface Base {
  serviceUrl: string;
  from?: Person;
  conversation?: Where;
}

function envelope(options: Base) {
  const conversation = options.conversation ?? CHANNEL;
  return {
    id: `msg-${randomUUID()}`,
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl: options.serviceUrl,
    from: options.from ?? ADMIN,
    recipient: BOT,
    conversation: { ...conversation, tenantId: TENANT, ...(conversation.conversationType === 'personal' ? {} : { isGroup: true }) },
    channelData: { tenant: { id: TENANT }, ...(conversation.conversationType === 'channel' ? { team: { id: '19:team@thread.tacv2' }, channel: { id: conversation.id } } : {}) },
    locale: 'en-US',
  };
}

/** A message; outside a 1:1 chat it @mentions the bot unless `mention: false`. */
export function message(options: Base & { text: string; mention?: boolean }) {
  const base = envelope(options);
  const mention = options.mention ?? base.conversation.conversationType !== 'personal';
  const atText = `<at>${BOT.name}</at>`;
  return {
    ...base,
    type: 'message',
    text: mention ? `${atText} ${options.text}` : options.text,
    textFormat: 'plain',
    entities: mention ? [{ type: 'mention', mentioned: BOT, text: atText }] : [],
  };
}

/** An Action.Execute click: an `adaptiveCard/action` invoke. */
export function executeAction(options: Base & { verb: string; data: Record<string, unknown>; replyToId?: string }) {
  return {
    ...envelope(options),
    type: 'invoke',
    name: 'adaptiveCard/action',
    ...(options.replyToId ? { replyToId: options.replyToId } : {}),
    value: { action: { type: 'Action.Execute', id: randomUUID(), verb: options.verb, data: options.data }, trigger: 'manual' },
  };
}

/** An Action.Submit click (the fallback): a message with no text and the action's data as `value`. */
export function submitAction(options: Base & { data: Record<string, unknown>; replyToId?: string }) {
  return {
    ...envelope(options),
    type: 'message',
    ...(options.replyToId ? { replyToId: options.replyToId } : {}),
    value: options.data,
  };
}

export async function post(url: string, activity: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(activity),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON
  }
  return { status: res.status, body };
}
