import { ActivityTypes, type TurnContext } from 'botbuilder';
import type { TeamsBotConfig } from '../boot/bot-config';
import { botLog, errorLabel, type BotLog } from '../boot/bot-log';
import { Conversation, KeywardenClient, redactKeys } from '../core';
import { TeamsAdapter } from './adapter';
import type { TurnLogic } from './turn-logic';
import type { TeamsBotContext } from './bot-context';
import { createTurnLogic } from './bot';
import { sendTeamsBudgetAlerts } from './budget-alerts';
import { sendTeamsExposureNotices } from './exposure-notices';
import { sendTeamsReminders } from './expiry-reminders';
import { sendTeamsRotationDeliveryNotices } from './rotation-delivery-notices';
import { sendTeamsRotationFailureNotices } from './rotation-failure-notices';
import { sendTeamsStragglerNotices } from './straggler-notices';
import { textActivity } from './render-reply';
import { sendTeamsRequestCards, teamsKeyRequestNotifier } from './key-request-notices';

export interface TeamsBot {
  adapter: TeamsAdapter;
  logic: TurnLogic;
  log: BotLog;
  /** The daily expiry reminders, to each admin's captured 1:1 chat. */
  sendReminders(nowMs?: number): ReturnType<typeof sendTeamsReminders>;
  /** The budget alerts (80 % and 100 % of a key's budget), to each admin's captured 1:1 chat. */
  sendBudgetAlerts(nowMs?: number): ReturnType<typeof sendTeamsBudgetAlerts>;
  /** The exposure notices (a key found exposed, any source), to each admin's captured 1:1 chat; run with the budget alerts. */
  sendExposureNotices(nowMs?: number): ReturnType<typeof sendTeamsExposureNotices>;
  /** Scheduled rotations that could not deliver their value, to each admin's captured 1:1 chat; run with the exposure notices. */
  sendRotationFailureNotices(nowMs?: number): ReturnType<typeof sendTeamsRotationFailureNotices>;
  /** Scheduled rotations' values waiting for their owner, to the owner's captured 1:1 chat with Collect key; run with the failure notices. */
  sendRotationDeliveryNotices(nowMs?: number): ReturnType<typeof sendTeamsRotationDeliveryNotices>;
  /** Callers still on a rotated key's old value, to the rotating admin's (else every admin's) 1:1 chat; run with the exposure notices. */
  sendStragglerNotices(nowMs?: number): ReturnType<typeof sendTeamsStragglerNotices>;
  /** The approval cards owed for key requests made elsewhere (the API, the console, Slack); run with the exposure notices. */
  sendRequestCards(): Promise<number>;
}

/**
 * The Teams edge: botbuilder's CloudAdapter in front of the shared conversation core, whose
 * replies the listeners render as Adaptive Cards 1.5. Nothing here decides who may do what. Both
 * doors (the local listener, the Lambda proxy event, http.ts) share one of these per instance.
 */
export function createTeamsBot(config: TeamsBotConfig, log: BotLog = botLog('teams')): TeamsBot {
  const adapter = new TeamsAdapter(config.credentials, config.bindHost ? { bindHost: config.bindHost } : {});
  const client = new KeywardenClient({ baseUrl: config.apiBaseUrl, viewerKey: config.viewerKey, assertionSecret: config.assertionSecret, bot: 'teams' });
  const notifier = teamsKeyRequestNotifier({ adapter, client, log });
  // Key requests reach admins (the card) and requesters (the decision) in their captured 1:1 chats.
  const bot: TeamsBotContext = { adapter, conversation: new Conversation({ client, notifier }), client, log };
  adapter.onTurnError = async (context: TurnContext, error: Error) => {
    log.error('teams: turn failed', { error: errorLabel(error), detail: redactKeys(error.message ?? '').slice(0, 300) });
    if (context.activity.type === ActivityTypes.Invoke) {
      await context.sendActivity({
        type: ActivityTypes.InvokeResponse,
        value: { status: 200, body: { statusCode: 500, type: 'application/vnd.microsoft.error', value: { code: 'InternalError', message: 'Keywarden could not complete this action.' } } },
      });
    } else {
      await context.sendActivity(textActivity('⚠️ Sorry, something went wrong on my side. Try again in a moment.'));
    }
  };
  return {
    adapter,
    logic: createTurnLogic(bot),
    log,
    sendReminders: (nowMs) => sendTeamsReminders(bot, nowMs),
    sendBudgetAlerts: (nowMs) => sendTeamsBudgetAlerts(bot, nowMs),
    sendExposureNotices: (nowMs) => sendTeamsExposureNotices(bot, nowMs),
    sendRotationFailureNotices: (nowMs) => sendTeamsRotationFailureNotices(bot, nowMs),
    sendRotationDeliveryNotices: (nowMs) => sendTeamsRotationDeliveryNotices(bot, nowMs),
    sendStragglerNotices: (nowMs) => sendTeamsStragglerNotices(bot, nowMs),
    sendRequestCards: () => sendTeamsRequestCards(bot),
  };
}
