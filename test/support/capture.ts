import type { Logger } from '@aws-lambda-powertools/logger';

export interface CapturedOutput {
  /** Everything written to stdout and stderr while the capture was active. */
  text(): string;
  stop(): void;
}

/**
 * Collects everything written to stdout and stderr (Powertools logs, console) while active, so a
 * test can search every log line for secrets, and keeps it off the terminal.
 *
 * Tests run with POWERTOOLS_LOG_LEVEL=SILENT (vitest.config.ts). While a capture is active, loggers
 * are at INFO, so the scan sees what production would log: every Logger constructed during the
 * capture reads INFO from the environment, and `loggers` already built (a stack started before the
 * capture) are raised to INFO and put back on stop. A scan must still check that the capture holds
 * the lines it expects — an empty capture proves nothing.
 */
export function captureOutput(options: { loggers?: Logger[] } = {}): CapturedOutput {
  const chunks: string[] = [];
  const echo = Boolean(process.env.KEYWARDEN_TEST_LOGS);
  const originals = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
  const previousLevel = process.env.POWERTOOLS_LOG_LEVEL;
  const loggers = (options.loggers ?? []).map((logger) => ({ logger, level: logger.getLevelName() }));
  const tap =
    (original: typeof process.stdout.write) =>
    (chunk: unknown, ...rest: unknown[]): boolean => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      if (echo) return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
      const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      done?.();
      return true;
    };
  process.stdout.write = tap(originals.out) as typeof process.stdout.write;
  process.stderr.write = tap(originals.err) as typeof process.stderr.write;
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  for (const { logger } of loggers) logger.setLogLevel('INFO');
  return {
    text: () => chunks.join(''),
    stop() {
      process.stdout.write = originals.out;
      process.stderr.write = originals.err;
      if (previousLevel === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
      else process.env.POWERTOOLS_LOG_LEVEL = previousLevel;
      for (const { logger, level } of loggers) logger.setLogLevel(level);
    },
  };
}
