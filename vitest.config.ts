import { defineConfig } from 'vitest/config';

/** `KEYWARDEN_TEST_LOGS=1 npx vitest run …` prints every log line again, for debugging a test. */
const showLogs = Boolean(process.env.KEYWARDEN_TEST_LOGS);

/**
 * Files whose tests read or write dates (expiry, audit and usage windows, reminders, leases,
 * rotation overlaps): they run a second time with every `Date` a year and a day ahead
 * (test/support/future-clock.ts), so a test that quietly depends on today's date fails now, not
 * on the day the calendar passes it.
 */
const TIME_SENSITIVE = [
  'test/adapters/dynamodb-store.test.ts',
  'test/adapters/dynamodb-wire.test.ts',
  'test/core/*.test.ts',
  'test/http/routes/keys.happy.test.ts',
  'test/http/routes/keys.security.test.ts',
  'test/http/routes/usage.daily*.test.ts',
  'test/bots/core/command-grammar.test.ts',
  'test/bots/slack/expiry-reminders.test.ts',
  'test/bots/teams/expiry-reminders.test.ts',
  'test/bots/teams/cards.test.ts',
  'test/console/console-sessions.test.ts',
];

export default defineConfig({
  test: {
    // One temporary directory per run, removed at its end (test/support/run-tmpdir.ts).
    globalSetup: ['test/support/run-tmpdir.ts'],
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
    projects: [
      { extends: true, test: { name: 'today', include: ['test/**/*.test.ts'] } },
      { extends: true, test: { name: 'clock +1y', include: TIME_SENSITIVE, setupFiles: ['test/support/future-clock.setup.ts'] } },
    ],
  },
});
