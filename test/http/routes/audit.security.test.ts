import { runSurfaceTests, useSecurityStack } from './common-route-tests';

/** The audit surface: who may read the audit trail. */
const fixture = useSecurityStack();

runSurfaceTests('audit', fixture, {
  listAudit: { needs: 'audit:read' },
});
