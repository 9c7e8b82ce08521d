import { webApi } from '@slack/bolt';
import type { BotLog } from '../../../../bots/boot/bot-log';
import { commandWord, type Conversation, type LeakFinding, type NewKeyReply, type PrivateDelivery, type Reply } from '../../../../bots/core';
import type { SlackDeps } from '../../../../bots/slack/slack-deps';
import type { ApiKey } from '../../../../lambdas/http/client';
import type { SlackStandIn } from '../slack-stand-in';
import { sampleApiKey } from '../../../support/sample-api-key';

/**
 * What a listener's unit test hands it: Bolt-shaped arguments made of plain recording functions,
 * a conversation core that answers what the test says (and records what it was asked), and a Web
 * API client pointed at the Slack stand-in. No stack, no signed request.
 */

/** An async function that records its arguments (Bolt's `ack`, `respond`). */
export function recorder<A extends unknown[] = [unknown?]>(): ((...args: A) => Promise<void>) & { calls: A[] } {
  const calls: A[] = [];
  return Object.assign(async (...args: A) => void calls.push(args), { calls });
}

type Answer<A extends unknown[], R> = R | ((...args: A) => R | Promise<R>);

/** What the fake core answers, per method; a function may use the delivery port as the real core does. */
export interface Answers {
  command?: Answer<[string, string, PrivateDelivery], Reply>;
  message?: Answer<[string, string, PrivateDelivery], Reply>;
  submitCreate?: Answer<[unknown, string, PrivateDelivery], Reply>;
  confirm?: Answer<[unknown, string, PrivateDelivery], Reply>;
  cancel?: Reply;
  scanForLeaks?: LeakFinding[];
}

export interface FakeDeps extends SlackDeps {
  /** Every call the listener made to the core: method and arguments. */
  asked: { method: string; args: unknown[] }[];
  /** Every log line: level, message, attributes. */
  logged: { level: string; message: string; attributes?: Record<string, unknown> }[];
}

/** The deps a listener gets, with the core's answers given and its `isCommand` the real rule. */
export function fakeDeps(answers: Answers = {}): FakeDeps {
  const asked: FakeDeps['asked'] = [];
  const logged: FakeDeps['logged'] = [];
  const answering =
    (method: keyof Answers) =>
    async (...args: unknown[]) => {
      asked.push({ method, args });
      const answer = answers[method];
      if (answer === undefined) throw new Error(`the test gave no answer for ${method}`);
      return typeof answer === 'function' ? (answer as (...a: unknown[]) => unknown)(...args) : answer;
    };
  const conversation = {
    isCommand: (text: string) => commandWord(text) !== undefined,
    command: answering('command'),
    message: answering('message'),
    submitCreate: answering('submitCreate'),
    confirm: answering('confirm'),
    cancel: answering('cancel'),
    scanForLeaks: answering('scanForLeaks'),
  } as unknown as Conversation;
  const line = (level: string) => (message: string, attributes?: Record<string, unknown>) => void logged.push({ level, message, attributes });
  const log: BotLog = { info: line('info'), warn: line('warn'), error: line('error') };
  return { conversation, log, asked, logged };
}

/** Delivers a new key through the port, as the core does when it issues one. */
export async function deliverKey(delivery: PrivateDelivery, to: string, secret = 'archie_listener_test_secret'): Promise<Reply> {
  const opened = await delivery.open();
  if (!opened.ok) throw new Error('the port did not open');
  const reply: NewKeyReply = { kind: 'new_key', action: 'create', key: KEY, secret, setupScript: `export KEY=${secret}`, to };
  await opened.channel.deliver(reply);
  return { kind: 'key_delivered', action: 'create', key: KEY, where: opened.channel.where };
}

/** The Web API on the stand-in, without retries. */
export function slackClient(slack: SlackStandIn): webApi.WebClient {
  return new webApi.WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, logLevel: webApi.LogLevel.ERROR });
}

/** A Web API client whose every call fails (Slack unreachable, or the method refused). */
export const failingClient = new Proxy({} as Record<string, unknown>, {
  get: () =>
    new Proxy({}, {
      get: () => async () => {
        throw new Error('slack_unreachable');
      },
    }),
}) as unknown as webApi.WebClient;

export const KEY: ApiKey = sampleApiKey({ createdBy: 'slack:T1:UADMIN' });

/** Every text a Slack message shows: its `text` and the strings in its blocks. */
export function shown(message: Record<string, unknown> | undefined): string {
  return JSON.stringify([message?.text, message?.blocks]);
}
