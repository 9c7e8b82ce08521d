import type { RequestListener } from 'node:http';
import { HTTPReceiver, LogLevel } from '@slack/bolt';
import type { BotMount } from '../../lambdas/local/local-stack';
import { slackBotConfig } from '../boot/bot-config';
import { isAheadOfClock, slackRequestProperties } from './replay-guard';
import { createSlackBot } from './slack-app';

export const SLACK_EVENTS_PATH = '/slack/events';

/**
 * The Slack edge inside the local server (SPEC §6), configured from the data dir and the
 * environment through the same checked config as in AWS (bots/boot/bot-config.ts): Bolt's
 * HTTPReceiver verifies signatures (v0 HMAC, requests older than 5 minutes refused, and here also
 * those dated more than 60 s ahead) and acks within 3 s; every request is claimed once
 * (replay-guard.ts); the bot talks to /v1 on the same server over HTTP with its viewer key, like
 * any client. `SLACK_API_URL` moves the Web API (tests point it at a stand-in). Without a bot
 * token the endpoint answers 503, saying what is missing, and the rest of the server runs.
 */
export const slackMount: BotMount = async ({ secrets, baseUrl, env }) => {
  const viewerKey = secrets.botViewerKeys?.slack;
  const botToken = secrets.slack.botToken;
  if (!viewerKey || !botToken) return notConfigured(!botToken ? 'SLACK_BOT_TOKEN is not set' : 'the Slack viewer key is missing from the data dir');
  const config = slackBotConfig({
    apiBaseUrl: baseUrl,
    viewerKey,
    assertionSecret: secrets.botAssertion.current,
    signingSecret: secrets.slack.signingSecret,
    botToken,
    ...(env.SLACK_API_URL ? { slackApiUrl: env.SLACK_API_URL } : {}),
  });
  const receiver = new HTTPReceiver({
    signingSecret: config.signingSecret,
    endpoints: SLACK_EVENTS_PATH,
    logLevel: LogLevel.WARN,
    customPropertiesExtractor: (req) => slackRequestProperties(req.headers),
  });
  createSlackBot(config, receiver);
  return (req, res) => {
    if (isAheadOfClock(req.headers)) {
      req.resume();
      res.writeHead(401);
      res.end();
      return;
    }
    receiver.requestListener(req, res);
  };
};

function notConfigured(reason: string): RequestListener {
  return (req, res) => {
    req.resume();
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: `The Slack bot is not configured: ${reason}. See docs/slack.md.`, type: 'service_unavailable', code: 'service_unavailable', param: null } }));
  };
}
