import type { BotMount } from '../lambdas/local/local-stack';
import { slackMount, SLACK_EVENTS_PATH } from './slack';

/** The bot edges the local server mounts, by path. */
export const localBotMounts: Record<string, BotMount> = {
  [SLACK_EVENTS_PATH]: slackMount,
};
