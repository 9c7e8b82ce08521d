import type { BotMount } from './boot/bot-mount';
import { slackMount, SLACK_EVENTS_PATH } from './slack';
import { teamsMount } from './teams';

/** The bot edges the local server mounts, by path (SPEC §6: /slack/events and /api/messages). */
export const localBotMounts: Record<string, BotMount> = {
  [SLACK_EVENTS_PATH]: slackMount,
  '/api/messages': teamsMount,
};
