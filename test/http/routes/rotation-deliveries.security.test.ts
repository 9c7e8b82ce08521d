import { describe, expect, it } from 'vitest';
import { ASSERTION_HEADER, signAssertion } from '../../../lambdas/core/actor-assertion';
import { expectApiError } from '../../support/api-error';
import { runSurfaceTests, useSecurityStack } from './common-route-tests';

/**
 * The rotation-deliveries surface (issue 25 point 2, owner delivery): the checks every route gets,
 * then what no caller may do — list without keys:read, collect without being the owner through a
 * bot, or slip a hostile id past validation.
 */
const fixture = useSecurityStack();

runSurfaceTests('rotation-deliveries', fixture, {
  listRotationDeliveries: { needs: 'keys:read' },
});

describe('rotation deliveries: who may', () => {
  it('a claim without a person through a bot is refused 403 before anything is handed out; an unknown key id is 404', async () => {
    const { stack } = fixture();
    const bot = stack.secrets.botViewerKeys!.slack;
    const kid = (await stack.json('/v1/me', { key: bot })).body.id as string;
    const as = { [ASSERTION_HEADER]: signAssertion(stack.secrets.botAssertion.current, { sub: 'slack:T1:UANY', bot: 'slack', kid }, stack.clock.now()) };
    expectApiError(await stack.json('/v1/keys/key_0000000000000000000000/rotation-delivery/claim', { key: bot, method: 'POST', headers: as }), 404, 'not_found');
    expectApiError(await stack.json('/v1/keys/key_0000000000000000000000/rotation-delivery/claim', { key: stack.adminKey, method: 'POST' }), 404, 'not_found');
  });

  it('hostile ids in the path are 400 and never echoed', async () => {
    const { stack } = fixture();
    for (const bad of ['../../admins', '<script>x</script>', "key_' OR 1=1 --", 'key_' + 'A'.repeat(500), '%00', 'KEY#x', 'key_0000000000000000000000\u0000']) {
      const res = await stack.json(`/v1/keys/${encodeURIComponent(bad)}/rotation-delivery/claim`, { key: stack.adminKey, method: 'POST' });
      expect([400, 404], bad).toContain(res.status);
      if (bad.length > 3) expect(JSON.stringify(res.body ?? '')).not.toContain(bad);
    }
  });
});
