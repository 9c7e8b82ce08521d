import { runSurfaceTests, useSecurityStack } from './common-route-tests';

/**
 * The admins surface: who may list a project's chat admins. The admin check itself needs a
 * person's assertion, not a permission (admin-check.test.ts).
 */
const fixture = useSecurityStack();

runSurfaceTests('admins', fixture, {
  listAdmins: { needs: 'keys:read' },
});
