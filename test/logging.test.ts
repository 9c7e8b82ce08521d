import { describe, expect, it } from 'vitest';
import { loggerWith } from '../lambdas/logging';
import { captureOutput } from './support/capture';

/**
 * The services' loggers ask the level before Powertools builds a record (logging.ts
 * LevelFirstLogger): what they print is what Powertools' own logger prints at that level.
 */
describe('the services’ loggers', () => {
  for (const format of ['json', 'text'] as const) {
    it(`${format}: print the records at or above the level, drop the rest, and so do their children and a level set later`, () => {
      const capture = captureOutput();
      let out = '';
      try {
        const logger = loggerWith({ format, level: 'INFO' }, { serviceName: 'test' });
        logger.debug('line-debug');
        logger.info('line-info', { n: 1 });
        logger.warn('line-warn');
        const child = logger.createChild();
        child.debug('child-debug');
        child.info('child-info');
        logger.setLogLevel('DEBUG');
        logger.debug('later-debug');
        logger.setLogLevel('ERROR');
        logger.info('later-info');
        logger.error('later-error');
      } finally {
        capture.stop();
        out = capture.text();
      }
      for (const printed of ['line-info', 'line-warn', 'child-info', 'later-debug', 'later-error']) expect(out, printed).toContain(printed);
      for (const dropped of ['line-debug', 'child-debug', 'later-info']) expect(out, dropped).not.toContain(dropped);
    });
  }
});
