import type { Logger } from '@aws-lambda-powertools/logger';
import { ensureTable } from '../adapters/dynalite-server';
import { StaticSecretsProvider } from '../adapters/secrets';
import { loadConfig } from '../config';
import { buildServices, type Services } from '../services';
import type { Clock } from '../core/ports';
import type { LocalSecrets } from './data-dir';

export const TABLE_NAME_LOCAL = 'keywarden';

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
}): Promise<Services> {
  const { env } = options;
  const config = loadConfig({
    ...env,
    TABLE_NAME: env.TABLE_NAME || TABLE_NAME_LOCAL,
    KEYWARDEN_ENVIRONMENT: env.KEYWARDEN_ENVIRONMENT || 'local',
    DYNAMODB_ENDPOINT: options.dynamodbEndpoint,
    ...(options.publicBaseUrl ? { PUBLIC_BASE_URL: options.publicBaseUrl } : {}),
  });
  const services = buildServices(config, { secrets: new StaticSecretsProvider(options.secrets), logger: options.logger, clock: options.clock });
  await ensureTable(services.dynamo, config.tableName);
  return services;
}
