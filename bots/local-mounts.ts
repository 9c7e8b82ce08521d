import type { BotMount } from '../lambdas/local/local-stack';

/** The bot edges the local server mounts, by path. */
export const localBotMounts: Record<string, BotMount> = {};
