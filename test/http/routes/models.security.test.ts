import { runSurfaceTests, useSecurityStack } from './common-route-tests';

/** The models surface: who may read the catalog. */
const fixture = useSecurityStack();

runSurfaceTests('models', fixture, {
  listModels: { needs: 'models:read' },
  getModel: { needs: 'models:read' },
});
