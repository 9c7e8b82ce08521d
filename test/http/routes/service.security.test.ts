import { runSurfaceTests, useSecurityStack } from './common-route-tests';

/** The service surface: health and the OpenAPI document are public, whatever key comes with them. */
const fixture = useSecurityStack();

runSurfaceTests('service', fixture, {
  getHealth: { publicStatus: 200 },
  getOpenApiDocument: { publicStatus: 200 },
});
