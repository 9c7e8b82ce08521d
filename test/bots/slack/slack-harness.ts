import { createHmac } from 'node:crypto';
import { findKeysInText } from '../../../lambdas/core/key-scan';
import { slackMount } from '../../../bots/slack';
import type { BotMount } from '../../../bots/boot/bot-mount';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { useHarness, type Used } from '../use-harness';
import { startSlackStandIn, BOT_USER_ID, type RecordedCall, type SlackStandIn } from './slack-stand-in';

export const TEAM = 'T1';
export const ADMIN_USER = 'UADMIN';
export const MEMBER_USER = 'UMEMBER';
export const ADMIN = `slack:${TEAM}:${ADMIN_USER}`;
export const MEMBER = `slack:${TEAM}:${MEMBER_USER}`;
export const CHANNEL = 'C1';
export const SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';

/**
 * The real local stack with the Slack mount at /slack/events, a stand-in Slack Web API, and
 * requests signed exactly as Slack signs them (v0 HMAC-SHA256 over `v0:<ts>:<raw body>`).
 */
export interface SlackHarness {
  stack: TestStack;
  slack: SlackStandIn;
  /** POST raw bytes to /slack/events with the given signature headers (and any extra headers). */
  post(body: string, contentType: string, options?: { timestamp?: number; secret?: string; signature?: string; headers?: Record<string, string> }): Promise<Response>;
  /** The form body of `/apikeys <text>` answering to the response_url `responseId`; said in `options.channel` (default CHANNEL). */
  commandForm(text: string, responseId: string, user?: string, options?: { triggerId?: string; channel?: string }): string;
  /** `/apikeys <text>` (form-encoded); resolves with the response_url id the answer will go to. */
  command(text: string, user?: string, options?: { triggerId?: string; channel?: string }): Promise<{ status: number; responseId: string }>;
  /** A block_actions payload for a button, clicked by `user`. */
  click(actionId: string, value: string, user?: string): Promise<{ status: number; responseId: string }>;
  /** A view_submission of the create modal. */
  submitView(view: { callback_id: string; private_metadata: string }, values: Record<string, Record<string, unknown>>, user?: string): Promise<Response>;
  /** An Events API callback. */
  event(event: Record<string, unknown>): Promise<Response>;
  /** The next response_url POST for `id`. */
  answer(id: string): Promise<Extract<RecordedCall, { kind: 'response_url' }>>;
  stop(): Promise<void>;
}

export function sign(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** `mount` replaces the Slack mount (the bench wraps it to count the bot's /v1 calls). */
export async function startSlackHarness(env: Record<string, string> = {}, options: { mount?: BotMount } = {}): Promise<SlackHarness> {
  const slack = await startSlackStandIn();
  const stack = await startTestStack(
    {
      KEYWARDEN_ADMINS: ADMIN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_API_URL: slack.apiUrl,
      ...env,
    },
    { '/slack/events': options.mount ?? slackMount },
  );
  let counter = 0;
  const post: SlackHarness['post'] = (body, contentType, options = {}) => {
    const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
    return fetch(`${stack.url}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': contentType,
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': options.signature ?? sign(options.secret ?? SIGNING_SECRET, timestamp, body),
        ...options.headers,
      },
      body,
    });
  };
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const commandForm: SlackHarness['commandForm'] = (text, responseId, user = ADMIN_USER, options = {}) =>
    form({
      token: 'legacy-verification-token',
      team_id: TEAM,
      team_domain: 'test',
      channel_id: options.channel ?? CHANNEL,
      channel_name: options.channel?.startsWith('D') ? 'directmessage' : 'general',
      user_id: user,
      user_name: user.toLowerCase(),
      command: '/apikeys',
      text,
      api_app_id: 'A1',
      is_enterprise_install: 'false',
      response_url: slack.responseUrl(responseId),
      trigger_id: options.triggerId ?? `trigger-${responseId}`,
    });

  return {
    stack,
    slack,
    post,
    commandForm,
    async command(text, user = ADMIN_USER, options = {}) {
      const responseId = `cmd${++counter}`;
      const res = await post(commandForm(text, responseId, user, options), 'application/x-www-form-urlencoded');
      await res.text();
      return { status: res.status, responseId };
    },
    async click(actionId, value, user = ADMIN_USER) {
      const responseId = `click${++counter}`;
      const payload = {
        type: 'block_actions',
        user: { id: user, username: user.toLowerCase(), team_id: TEAM },
        api_app_id: 'A1',
        token: 'legacy-verification-token',
        container: { type: 'message', message_ts: '1700000000.000100', channel_id: CHANNEL, is_ephemeral: true },
        trigger_id: `trigger-${counter}`,
        team: { id: TEAM, domain: 'test' },
        channel: { id: CHANNEL, name: 'general' },
        response_url: slack.responseUrl(responseId),
        actions: [{ action_id: actionId, block_id: 'b1', value, type: 'button', action_ts: `${Date.now() / 1000}`, text: { type: 'plain_text', text: 'x' } }],
      };
      const res = await post(form({ payload: JSON.stringify(payload) }), 'application/x-www-form-urlencoded');
      await res.text();
      return { status: res.status, responseId };
    },
    submitView(view, values, user = ADMIN_USER) {
      const payload = {
        type: 'view_submission',
        team: { id: TEAM, domain: 'test' },
        user: { id: user, username: user.toLowerCase(), team_id: TEAM },
        api_app_id: 'A1',
        token: 'legacy-verification-token',
        trigger_id: `trigger-${++counter}`,
        view: { id: 'V1', type: 'modal', team_id: TEAM, callback_id: view.callback_id, private_metadata: view.private_metadata, state: { values }, hash: 'h' },
      };
      return post(form({ payload: JSON.stringify(payload) }), 'application/x-www-form-urlencoded');
    },
    event(event) {
      const body = JSON.stringify({
        token: 'legacy-verification-token',
        team_id: TEAM,
        api_app_id: 'A1',
        event,
        type: 'event_callback',
        event_id: `Ev${++counter}`,
        event_time: Math.floor(Date.now() / 1000),
        authorizations: [{ team_id: TEAM, user_id: BOT_USER_ID, is_bot: true }],
      });
      return post(body, 'application/json');
    },
    answer: (id) => slack.waitFor((c): c is Extract<RecordedCall, { kind: 'response_url' }> => c.kind === 'response_url' && c.id === id),
    async stop() {
      await stack.stop();
      await slack.close();
    },
  };
}

/**
 * A Slack harness for the tests of this file or describe block (see useHarness): started with
 * `env` and its output captured before the first test, stopped after the last.
 */
export function useSlackHarness(env: Record<string, string> = {}): Used<SlackHarness> {
  return useHarness({ start: () => startSlackHarness(env), stop: (harness) => harness.stop() });
}

/** The key values inside a recorded message, in any shape a reader would see (only new-key deliveries should have any). */
export function keysIn(call: RecordedCall): string[] {
  return findKeysInText(call.raw.replace(/%([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16))));
}

/** The button of `actionId` in a recorded message's blocks. */
export function buttonValue(body: { blocks?: any[] }, actionId: string): string {
  for (const block of body.blocks ?? []) {
    for (const element of block.elements ?? []) if (element.action_id === actionId) return element.value as string;
  }
  throw new Error(`no ${actionId} button in ${JSON.stringify(body.blocks)}`);
}

export function textOf(body: { text?: string; blocks?: any[] }): string {
  return JSON.stringify(body);
}
