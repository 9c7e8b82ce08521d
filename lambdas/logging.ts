import { Logger, LogLevelThreshold, type LogItem } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions, LogItemExtraInput, LogItemMessage } from '@aws-lambda-powertools/logger/types';
import { LOG_LEVELS, type Config, type LogLevelName } from './config';

/**
 * The services' logger, as configured (`LOG_FORMAT`, `LOG_LEVEL`; lambdas/config.ts): Powertools'
 * JSON lines by default — what CloudWatch Logs Insights reads in AWS — or, for a terminal, one
 * readable line per record. A level set by `POWERTOOLS_LOG_LEVEL` (or AWS_LAMBDA_LOG_LEVEL) wins,
 * as Powertools has it.
 */
export function createLogger(config: Pick<Config, 'environment' | 'logging'>): Logger {
  return loggerWith(config.logging, { serviceName: 'keywarden', persistentKeys: { environment: config.environment } });
}

/** A Powertools logger in the configured format and level, with these options. */
export function loggerWith(logging: Config['logging'], options: ConstructorOptions): Logger {
  const all: ConstructorOptions = { ...options, ...(logging.level ? { logLevel: logging.level } : {}) };
  return logging.format === 'text' ? new TextLogger(all) : new LevelFirstLogger(all);
}

/**
 * Powertools' logger, asking the level first. Powertools reads the X-Ray trace id from the
 * environment on every record, below the level or not (process.env is a getenv each time) before
 * it decides to drop it: ≈ 1 % of a model call's main-thread time at `SILENT` (the bench), the
 * same on every debug line in production. These loggers buffer nothing (no `logBufferOptions`),
 * so a record below the level is dropped whatever the trace: dropping it first changes nothing.
 */
export class LevelFirstLogger extends Logger {
  override debug(input: LogItemMessage, ...extraInput: LogItemExtraInput): void {
    if (LogLevelThreshold.DEBUG >= this.level) super.debug(input, ...extraInput);
  }

  override info(input: LogItemMessage, ...extraInput: LogItemExtraInput): void {
    if (LogLevelThreshold.INFO >= this.level) super.info(input, ...extraInput);
  }

  protected override createLogger(options?: ConstructorOptions): Logger {
    return new LevelFirstLogger(options);
  }
}

/**
 * `LOG_FORMAT` and `LOG_LEVEL` read leniently, for loggers made outside the services' configuration
 * (the bots'): the services' configuration has already refused an invalid value where both run
 * (`npm start`), and a bot's Lambda sets neither. `POWERTOOLS_LOG_LEVEL` still wins.
 */
export function loggingFromEnvironment(env: NodeJS.ProcessEnv = process.env): Config['logging'] {
  const level = env.LOG_LEVEL?.toUpperCase();
  return {
    format: env.LOG_FORMAT?.toLowerCase() === 'text' ? 'text' : 'json',
    level: !env.POWERTOOLS_LOG_LEVEL && level && (LOG_LEVELS as readonly string[]).includes(level) ? (level as LogLevelName) : undefined,
  };
}

/** What every line of one process shares; the text format leaves it out. */
const SHARED = new Set(['level', 'message', 'timestamp', 'service', 'sampling_rate', 'environment']);

/**
 * `12:04:05.120 INFO  request method=GET route=/v1/models status=200`: the time, the level, the
 * message and the record's own attributes; warnings and errors on stderr, as Powertools writes them.
 */
export class TextLogger extends LevelFirstLogger {
  protected override printLog(logLevel: number, log: LogItem): void {
    log.prepareForPrint();
    const attributes = log.getAttributes();
    const time = String(attributes.timestamp ?? new Date().toISOString()).slice(11, 23);
    const level = String(attributes.level ?? '').padEnd(5);
    const fields = Object.entries(attributes)
      .filter(([name, value]) => !SHARED.has(name) && value !== undefined)
      .map(([name, value]) => `${name}=${textOf(value)}`);
    const line = [time, level, String(attributes.message ?? ''), ...fields].join(' ');
    (logLevel >= LogLevelThreshold.WARN ? process.stderr : process.stdout).write(`${line}\n`);
  }

  protected override createLogger(options?: ConstructorOptions): Logger {
    return new TextLogger(options);
  }
}

function textOf(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (value instanceof Error) return JSON.stringify(value.message);
  return JSON.stringify(value) ?? String(value);
}
