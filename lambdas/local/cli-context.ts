import { Logger } from '@aws-lambda-powertools/logger';
import { resolve } from 'node:path';
import { startDynalite } from '../adapters/dynalite-server';
import { loadConfig } from '../config';
import { buildServices, type Services } from '../services';
import { DataDir } from './data-dir';
import { openLocalServices } from './local-services';

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
  const services = await openLocalServices({ env, dynamodbEndpoint: endpoint, secrets: dataDir.secrets(), logger });
  return {
    services,
    async close() {
      services.dynamo.destroy();
      await dynalite?.close();
    },
  };
}

/** The CLI prints its own results; the service's request logs would only be noise on stdout. */
function quietLogger(): Logger {
  return new Logger({ serviceName: 'keywarden-cli', logLevel: 'ERROR' });
}
