import { runSurfaceTests, useSecurityStack } from './common-route-tests';

/**
 * The stored responses surface (retrieve, delete, cancel, input items): who may touch a stored
 * response at all. Whose response it is (another project's is 404) is test/http/stored-responses/.
 */
const fixture = useSecurityStack();

runSurfaceTests('stored-responses', fixture, {
  getResponse: { needs: 'responses:write' },
  deleteResponse: { needs: 'responses:write' },
  cancelResponse: { needs: 'responses:write' },
  listResponseInputItems: { needs: 'responses:write' },
});
