import { runSurfaceTests, useSecurityStack } from './common-route-tests';

/**
 * The console surface. Sign-in takes no bearer key: a link or key in its body, from the console's
 * own origin (test/console covers it), so the sweep's body is a 400 whatever key comes with it.
 */
const fixture = useSecurityStack();

runSurfaceTests('console', fixture, {
  createConsoleSession: { publicStatus: 400 },
});
