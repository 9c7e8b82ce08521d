import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import * as z from 'zod';
import type { SecretsProvider } from '../../lambdas/core/ports';
import { BotConfigError, readBotSecrets, slackBotConfig, type BotLambdaEnv } from '../boot/bot-config';
import { botLog, errorLabel, type BotLog } from '../boot/bot-log';
import { freshBuild } from '../boot/fresh-build';
import { createSlackFrontDoor, type FrontDoorReply } from './ack-first/front-door';
import { selfInvoke } from './ack-first/lambda-self-invoke';
import { isSlackWork, type SlackDispatch, type SlackWork } from './ack-first/slack-work';
import { isBudgetAlertsEvent, isExpiryRemindersEvent, type BUDGET_ALERTS_EVENT, type EXPIRY_REMINDERS_EVENT } from '../core/expiry-reminders-event';
import { sendSlackBudgetAlerts } from './budget-alerts';
import { sendSlackExposureNotices } from './exposure-notices';
import { sendSlackRotationDeliveryNotices } from './rotation-delivery-notices';
import { sendSlackRotationFailureNotices } from './rotation-failure-notices';
import { sendSlackStragglerNotices } from './straggler-notices';
import { sendSlackRequestCards } from './key-request-notices';
import { sendSlackReminders } from './expiry-reminders';
import { SlackWorkReceiver } from './ack-first/worker';
import { createSlackBot, type SlackBot } from './slack-app';

/** What the function is invoked with: Slack through API Gateway, or its own hand-off. */
export type SlackLambdaEvent = Pick<APIGatewayProxyEvent, 'body' | 'headers' | 'isBase64Encoded'> | SlackWork | typeof EXPIRY_REMINDERS_EVENT | typeof BUDGET_ALERTS_EVENT;
export type SlackLambdaHandler = (event: SlackLambdaEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface SlackLambdaOptions extends Pick<BotLambdaEnv, 'apiBaseUrl' | 'slackApiUrl'> {
  /** Reads 'slack' {signingSecret, botToken, botUserId?, botId?}, 'botViewerKeys' {slack}, 'botAssertion' {current}. */
  secrets: SecretsProvider;
  log?: BotLog;
  /** How the front door hands work on; default an asynchronous invocation of this function (its ARN from the context). */
  dispatch?: (context: Context) => SlackDispatch;
}

const SigningSecret = z.object({ signingSecret: z.string().min(1) });

/**
 * The Slack bot as a Lambda handler (handler.ts), split ack-first
 * (ack-first/front-door.ts):
 *
 *   API Gateway event → the front door: signature checked with the signing secret alone,
 *                       answered at once; the work goes to an asynchronous invocation of this
 *                       same function. Nothing here waits for /v1.
 *   expiry reminders  → the daily job (bots/slack/expiry-reminders.ts): DMs to the project's admins.
 *   budget alerts     → the 5-minute job (bots/slack/budget-alerts.ts): DMs to the project's admins,
 *                       then the exposure notices (bots/slack/exposure-notices.ts), the straggler
 *                       notices of rotations (bots/slack/straggler-notices.ts) and the key request
 *                       cards owed (bots/slack/key-request-notices.ts) on the same schedule.
 *   SlackWork event   → the worker: the Bolt app (built from the three secrets, rebuilt when
 *                       they change, bots/boot/fresh-build.ts) runs the request — replay guard
 *                       first — and answers through response_url and the Web API.
 *
 * The secrets are read through the cached provider on every invocation (≤ 5-minute cache in AWS),
 * so a rotated signing secret, bot token or viewer key is used without a redeploy.
 */
export function createSlackLambdaHandler(options: SlackLambdaOptions): SlackLambdaHandler {
  const log = options.log ?? botLog('slack');
  const bot = freshBuild(
    () => readBotSecrets('slack', options.secrets),
    ({ platform, viewerKey, assertionSecret }): SlackBot & { receiver: SlackWorkReceiver } => {
      const config = slackBotConfig({
        apiBaseUrl: options.apiBaseUrl,
        viewerKey,
        assertionSecret,
        ...platform,
        ...(options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : {}),
      });
      const receiver = new SlackWorkReceiver();
      return { ...createSlackBot(config, receiver, log), receiver };
    },
  );
  const signingSecret = async () => {
    const parsed = SigningSecret.safeParse(await options.secrets.get('slack'));
    if (!parsed.success) throw new BotConfigError('secret slack must hold signingSecret');
    return parsed.data.signingSecret;
  };
  const dispatch = options.dispatch ?? ((context: Context) => selfInvoke(context.invokedFunctionArn));

  return async (event, context) => {
    if (isSlackWork(event)) {
      try {
        await (await bot()).receiver.run(event);
      } catch (err) {
        log.error('slack work failed', { code: errorLabel(err) });
      }
      return { statusCode: 200, body: '' };
    }
    if (isExpiryRemindersEvent(event)) {
      // The daily schedule (lib/keywarden-bots.ts). A failure is thrown, so EventBridge retries it; claims keep it once.
      await sendSlackReminders(await bot());
      return { statusCode: 200, body: '' };
    }
    if (isBudgetAlertsEvent(event)) {
      // Every 5 minutes (lib/keywarden-bots.ts); claims keep each alert and notice once, retried or not.
      const built = await bot();
      await sendSlackBudgetAlerts(built);
      await sendSlackExposureNotices(built);
      await sendSlackStragglerNotices(built);
      await sendSlackRotationFailureNotices(built);
      await sendSlackRotationDeliveryNotices(built);
      await sendSlackRequestCards(built);
      return { statusCode: 200, body: '' };
    }
    if (!('headers' in event)) return { statusCode: 400, body: '' };
    const raw = event.body ?? '';
    const rawBody = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
    const frontDoor = createSlackFrontDoor({ signingSecret, dispatch: dispatch(context), log });
    return toProxyResult(await frontDoor({ headers: event.headers ?? {}, rawBody }));
  };
}

function toProxyResult(reply: FrontDoorReply): APIGatewayProxyResult {
  if (reply.body === undefined) return { statusCode: reply.status, headers: {}, body: '' };
  return { statusCode: reply.status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(reply.body) };
}
