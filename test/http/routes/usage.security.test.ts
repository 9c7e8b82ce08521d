import { runSurfaceTests, useSecurityStack } from './common-route-tests';

/** The usage surface: who may read the project's usage records and daily counters (the audit permission). */
const fixture = useSecurityStack();

runSurfaceTests('usage', fixture, {
  listUsage: { needs: 'audit:read' },
  dailyUsage: { needs: 'audit:read' },
});
