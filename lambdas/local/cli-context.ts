import { Logger } from '@aws-lambda-powertools/logger';
import { resolve } from 'node:path';
import { ensureTable, localDynamoClient, startDynalite } from '../adapters/dynalite-server';
import { StaticSecretsProvider } from '../adapters/secrets';
import { loadConfig } from '../config';
import { buildServices, type Services } from '../services';
import { DataDir } from './data-dir';
import { TABLE_NAME_LOCAL } from './local-stack';

/**
 * Where the CLI's operator commands work: against AWS (the table and hashing secret named by the
 * same environment variables the Lambdas use, with the caller's AWS credentials), or against local
 * data — through the running local server's dynalite when it is up (LevelDB allows one opener),
 * else through an embedded dynalite on the data directory.
 */
export interface OperatorContext {
  services: Services;
  close(): Promise<void>;
}

export async function openOperatorContext(options: { aws: boolean; dataDir: string; env?: NodeJS.ProcessEnv }): Promise<OperatorContext> {
  const env = options.env ?? process.env;
  const logger = quietLogger();
  if (options.aws) {
    const services = buildServices(loadConfig(env), { logger });
    return { services, close: async () => services.dynamo.destroy() };
  }
  const dataDir = new DataDir(resolve(options.dataDir));
  const running = dataDir.endpoint();
  const dynalite = running ? undefined : await startDynalite({ path: dataDir.dynamodbPath });
  const endpoint = running?.dynamodbEndpoint ?? dynalite!.endpoint;
  const dynamo = localDynamoClient(endpoint);
  const config = loadConfig({
    ...env,
    TABLE_NAME: env.TABLE_NAME || TABLE_NAME_LOCAL,
    KEYWARDEN_ENVIRONMENT: env.KEYWARDEN_ENVIRONMENT || 'local',
    DYNAMODB_ENDPOINT: endpoint,
  });
  await ensureTable(dynamo, config.tableName);
  const services = buildServices(config, { dynamo, logger, secrets: new StaticSecretsProvider(dataDir.secrets()) });
  return {
    services,
    async close() {
      dynamo.destroy();
      await dynalite?.close();
    },
  };
}

/** The CLI prints its own results; the service's request logs would only be noise on stdout. */
function quietLogger(): Logger {
  return new Logger({ serviceName: 'keywarden-cli', logLevel: 'ERROR' });
}
