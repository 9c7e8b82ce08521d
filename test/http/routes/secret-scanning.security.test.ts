import { runSurfaceTests, useSecurityStack } from './common-route-tests';

/**
 * GitHub's secret scanning reports take no bearer key: GitHub's signature is their authentication
 * (secret-scanning.test.ts). The sweep's body is no report (an object, not GitHub's array), so it
 * is a 400 whatever key comes with it — and no key it carries is looked at.
 */
const fixture = useSecurityStack();

runSurfaceTests('secret-scanning', fixture, {
  reportGithubSecrets: { publicStatus: 400 },
});
