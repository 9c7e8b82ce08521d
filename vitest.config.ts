import { defineConfig } from 'vitest/config';

/** `KEYWARDEN_TEST_LOGS=1 npx vitest run …` prints every log line again, for debugging a test. */
const showLogs = Boolean(process.env.KEYWARDEN_TEST_LOGS);

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file starts its own dynalite on a random port; two cores, so keep the pool small.
    maxWorkers: 2,
    // A passing run prints the runner's summary only: console output is shown for failing tests,
    // and the services' Powertools loggers are silent unless a test captures them
    // (test/support/capture.ts turns them on, into the capture, to scan every line for secrets).
    silent: showLogs ? false : 'passed-only',
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: showLogs ? 'INFO' : 'SILENT',
    },
  },
});
