import { Logger } from '@aws-lambda-powertools/logger';
import { ConfigError, loadConfig } from '../config';
import { buildServices, type Services } from '../services';
import type { DataDir } from './data-dir';
import { openLocalServices } from './local-services';
import { openLocalStore } from './local-store';

/**
 * Where the CLI's operator commands work: against AWS (the table and hashing secret named by the
 * same environment variables the Lambdas use, with the caller's AWS credentials), or against an
 * existing local data dir — through the store DYNAMODB_ENDPOINT names when it is set (as `npm start`
 * does), else the running local server's store when it is up (LevelDB allows one opener), else an
 * embedded dynalite on the data directory.
 */
export interface OperatorContext {
  services: Services;
  close(): Promise<void>;
}

/** What `--aws` needs from the environment besides AWS credentials and region. */
export const AWS_OPERATOR_VARIABLES = ['TABLE_NAME', 'SECRET_HASHING_ARN'] as const;

export async function openOperatorContext(
  options: { aws: true; env?: NodeJS.ProcessEnv } | { aws: false; dataDir: DataDir; env?: NodeJS.ProcessEnv },
): Promise<OperatorContext> {
  const env = options.env ?? process.env;
  const logger = quietLogger();
  if (options.aws) {
    const missing = AWS_OPERATOR_VARIABLES.filter((name) => !env[name]);
    if (missing.length) {
      throw new ConfigError(
        `--aws needs ${missing.join(' and ')} in the environment (the table and hashing secret of the stage, as the Lambdas have them); see docs/operating.md`,
      );
    }
    const services = buildServices(loadConfig(env), { logger });
    return {
      services,
      close: async () => {
        // An operator's change is announced: its event confirmed before the process ends.
        await services.events.settled();
        services.dynamo.destroy();
      },
    };
  }
  const { dataDir } = options;
  const running = env.DYNAMODB_ENDPOINT ? undefined : dataDir.endpoint();
  const store = running ? undefined : await openLocalStore(dataDir, env, { record: false });
  const endpoint = running?.dynamodbEndpoint ?? store!.endpoint;
  const services = await openLocalServices({ env, dynamodbEndpoint: endpoint, secrets: dataDir.secrets(), logger });
  return {
    services,
    async close() {
      await services.events.settled();
      services.dynamo.destroy();
      await store?.close();
    },
  };
}

/** The CLI prints its own results; the service's request logs would only be noise on stdout. */
function quietLogger(): Logger {
  return new Logger({ serviceName: 'keywarden-cli', logLevel: 'ERROR' });
}
