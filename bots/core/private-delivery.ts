import type { NewKeyReply } from './replies';

/**
 * How the conversation core reaches one person privately: the only part of issuing a key that
 * differs per platform (SPEC §5: a new key goes only to the admin who asked). Each edge implements
 * it for the person who asked or clicked, per request:
 *
 *   Slack  the response_url (always ephemeral), an ephemeral message, or the person's DM with the
 *          bot: there already, nothing to open (bots/slack/delivery.ts);
 *   Teams  the person's 1:1 chat with the bot: there already when asked in it, otherwise opened
 *          through the connector (bots/teams/private-delivery.ts).
 *
 * The core opens it BEFORE it asks the API for a key and delivers the key through it and nowhere
 * else: a person the bot cannot reach privately gets no key, and a created key that could not be
 * delivered is revoked at once (conversation.ts, `issue`).
 */
export interface PrivateDelivery {
  /**
   * True when reaching the person takes a step of its own (Teams asked in a channel or group
   * chat: a 1:1 conversation is opened). The core then has the API confirm the person is an
   * admin first, so nobody gets a chat opened for a key they may not have.
   */
  readonly needsOpening: boolean;
  /**
   * The channel the person spoke in, which key requests are bounded by (its ceiling: issue 25
   * point 1): `slack:<team>:<channel>` or `teams:<tenant>:<conversation id>`, taken by the edge from
   * the platform's verified payload — never from message text, or a person could name the channel
   * with the widest ceiling. Undefined where nobody else listens (a direct message, a 1:1 chat):
   * such a request has no channel ceiling, and no ceiling can be set there.
   */
  readonly channel?: string;
  open(): Promise<{ ok: true; channel: PrivateChannel } | { ok: false; message: string }>;
}

export interface PrivateChannel {
  /**
   * `here`: the private place is where the person asked (Slack; a Teams 1:1 chat), so the key's
   * own message is the answer. `elsewhere`: asked in a Teams channel or group chat, which then
   * hears only that the key was sent privately.
   */
  readonly where: 'here' | 'elsewhere';
  /** Posts the key to the person; rejects when it could not be posted. */
  deliver(reply: NewKeyReply): Promise<void>;
}
