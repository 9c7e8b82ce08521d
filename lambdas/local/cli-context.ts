import { Logger } from '@aws-lambda-powertools/logger';
import { startDynalite } from '../adapters/dynalite-server';
import { ConfigError, loadConfig } from '../config';
import { buildServices, type Services } from '../services';
import type { DataDir } from './data-dir';
import { openLocalServices } from './local-services';

/**
 * Where the CLI's operator commands work: against AWS (the table and hashing secret named by the
 * same environment variables the Lambdas use, with the caller's AWS credentials), or against an
 * existing local data dir — through the running local server's dynalite when it is up (LevelDB
 * allows one opener), else through an embedded dynalite on the data directory.
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
  const running = dataDir.endpoint();
  const dynalite = running ? undefined : await startDynalite({ path: dataDir.dynamodbPath });
  const endpoint = running?.dynamodbEndpoint ?? dynalite!.endpoint;
  const services = await openLocalServices({ env, dynamodbEndpoint: endpoint, secrets: dataDir.secrets(), logger });
  return {
    services,
    async close() {
      await services.events.settled();
      services.dynamo.destroy();
      await dynalite?.close();
    },
  };
}

/** The CLI prints its own results; the service's request logs would only be noise on stdout. */
function quietLogger(): Logger {
  return new Logger({ serviceName: 'keywarden-cli', logLevel: 'ERROR' });
}
