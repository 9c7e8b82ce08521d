import type { RequestListener } from 'node:http';
import type { LocalSecrets } from '../../lambdas/local/data-dir';
import type { Services } from '../../lambdas/services';

/**
 * A bot edge on the local server (bots/local-mounts.ts lists them by path; bin/local-server.ts
 * hands them to the local stack, which takes them as its own `LocalMount`): given the stack's
 * services, its secrets, its own address and the environment, it answers raw node requests.
 */
export interface BotMountContext {
  services: Services;
  secrets: LocalSecrets;
  baseUrl: string;
  env: NodeJS.ProcessEnv;
}

export type BotMount = (context: BotMountContext) => Promise<RequestListener>;

/** What a bot's local configuration reads: the data dir's secrets, the stack's address and the environment. */
export type LocalBotContext = Pick<BotMountContext, 'secrets' | 'baseUrl' | 'env'>;
