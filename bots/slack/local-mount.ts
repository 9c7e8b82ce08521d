import type { RequestListener } from 'node:http';
import { readBodyWithin, writeJsonReply } from '../boot/node-door';
import { slackBotConfig, type SlackBotConfig } from '../boot/bot-config';
import { botLog, errorLabel } from '../boot/bot-log';
import type { BotMount, LocalBotContext } from '../boot/bot-mount';
import { createSlackFrontDoor, SlackWorkRefused } from './ack-first/front-door';
import type { SlackDispatch } from './ack-first/slack-work';
import { SlackWorkReceiver } from './ack-first/worker';
import { createSlackBot } from './slack-app';

export const SLACK_EVENTS_PATH = '/slack/events';

/**
 * The Slack bot's configuration on the local stack (the data dir's secrets and the environment),
 * or what is missing for one.
 */
export function localSlackConfig({ secrets, baseUrl, env }: LocalBotContext):
  | { ok: true; config: SlackBotConfig }
  | { ok: false; missing: string } {
  const viewerKey = secrets.botViewerKeys?.slack;
  const botToken = secrets.slack.botToken;
  if (!botToken) return { ok: false, missing: 'SLACK_BOT_TOKEN is not set' };
  if (!viewerKey) return { ok: false, missing: 'the Slack viewer key is missing from the data dir' };
  const config = slackBotConfig({
    apiBaseUrl: baseUrl,
    viewerKey,
    assertionSecret: secrets.botAssertion.current,
    signingSecret: secrets.slack.signingSecret,
    botToken,
    ...(env.SLACK_API_URL ? { slackApiUrl: env.SLACK_API_URL } : {}),
  });
  return { ok: true, config };
}

/** Slack's requests are small; a body past this is refused, not read. */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The Slack edge inside the local server (SPEC §6), configured from the data dir and the
 * environment through the same checked config as in AWS (bots/boot/bot-config.ts), and split as
 * on Lambda (ack-first/front-door.ts): the front door checks the signature (v0 HMAC, requests
 * older than 5 minutes or dated more than 60 s ahead refused) and acks at once; the work runs in
 * this process right after, through the same Bolt app and replay guard as the Lambda worker.
 * The bot talks to /v1 on the same server over HTTP with its viewer key, like any client.
 * `SLACK_API_URL` moves the Web API (tests point it at a stand-in). Without a bot token, Slack's
 * URL verification is still answered (the Request URL can be set up first); everything else
 * gets 503, saying what is missing, and the rest of the server runs.
 */
export const slackMount: BotMount = async (context) => {
  const { secrets } = context;
  const log = botLog('slack');
  const configured = localSlackConfig(context);
  let dispatch: SlackDispatch;
  if (!configured.ok) {
    const { missing } = configured;
    dispatch = async () => {
      throw new SlackWorkRefused(`not configured: ${missing}`, `The Slack bot is not configured: ${missing}. See docs/slack.md.`);
    };
  } else {
    const { config } = configured;
    const receiver = new SlackWorkReceiver();
    createSlackBot(config, receiver, log);
    // In-process hand-off: the ack goes out first, the work starts on the next turn of the loop.
    dispatch = async (work) => {
      setImmediate(() => {
        receiver.run(work).catch((err: unknown) => log.error('slack work failed', { code: errorLabel(err) }));
      });
    };
  }
  const frontDoor = createSlackFrontDoor({ signingSecret: () => secrets.slack.signingSecret, dispatch, log });
  const listener: RequestListener = (req, res) => {
    void readBodyWithin(req, MAX_BODY_BYTES)
      .then((bytes) => bytes?.toString('utf8'))
      .then(async (rawBody) => (rawBody === undefined ? { status: 413 } : frontDoor({ headers: req.headers, rawBody })))
      .then((reply) => writeJsonReply(res, reply))
      .catch((err: unknown) => {
        log.error('slack request failed', { code: errorLabel(err) });
        if (!res.headersSent) writeJsonReply(res, { status: 500 });
      });
  };
  return listener;
};

