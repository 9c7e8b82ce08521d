import type { Logger } from '@aws-lambda-powertools/logger';
import { ensureTable } from '../adapters/dynalite-server';
import { StaticSecretsProvider } from '../adapters/secrets';
import { loadConfig, type Config } from '../config';
import { buildServices, type Services } from '../services';
import type { Clock } from '../core/ports';
import { upstreamKeyLookup, type LocalSecrets } from './data-dir';

export const TABLE_NAME_LOCAL = 'keywarden';

/**
 * The configuration the local stack and the CLI run with: the environment's settings with local
 * defaults. `npm start` loads it once before anything is created, so an invalid value is one line
 * and no data dir.
 */
export function loadLocalConfig(env: NodeJS.ProcessEnv, local: { dynamodbEndpoint?: string; publicBaseUrl?: string } = {}): Config {
  return loadConfig({
    ...env,
    TABLE_NAME: env.TABLE_NAME || TABLE_NAME_LOCAL,
    KEYWARDEN_ENVIRONMENT: env.KEYWARDEN_ENVIRONMENT || 'local',
    ...(local.dynamodbEndpoint ? { DYNAMODB_ENDPOINT: local.dynamodbEndpoint } : {}),
    ...(local.publicBaseUrl ? { PUBLIC_BASE_URL: local.publicBaseUrl } : {}),
  });
}

/**
 * Services over local data, for the local server and the CLI alike: the environment's settings
 * with local defaults, dynalite at `dynamodbEndpoint`, secrets from the data directory; the table
 * is created on first use.
 */
export async function openLocalServices(options: {
  env: NodeJS.ProcessEnv;
  dynamodbEndpoint: string;
  secrets: LocalSecrets;
  publicBaseUrl?: string;
  logger?: Logger;
  clock?: Clock;
  /** Deliver lifecycle events in this process as soon as they are ready (the local server; not the CLI). */
  relayInProcess?: boolean;
}): Promise<Services> {
  const loaded = loadLocalConfig(options.env, options);
  // A deployment's key: UPSTREAM_API_KEY_<SECRET>, else secrets.json's upstreams.<secret>.apiKey.
  const config: Config = { ...loaded, upstreamKeyFromEnv: upstreamKeyLookup(options.secrets, (secret) => loaded.upstreamKeyFromEnv(secret)) };
  const services = buildServices(config, {
    secrets: new StaticSecretsProvider(options.secrets),
    logger: options.logger,
    clock: options.clock,
    relayInProcess: options.relayInProcess,
  });
  await ensureTable(services.dynamo, config.tableName);
  return services;
}
