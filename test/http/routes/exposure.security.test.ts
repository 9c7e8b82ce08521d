import { describe, expect, it } from 'vitest';
import { generateKey } from '../../../lambdas/core/key-format';
import { expectApiError } from '../../support/api-error';
import { runSurfaceTests, useSecurityStack } from './common-route-tests';

/**
 * The exposure surface (issue 22): reporting a key exposed, what it did since, and the bots'
 * leak reports — the checks every route gets, then who may report whom.
 */
const fixture = useSecurityStack();

runSurfaceTests('exposure', fixture, {
  // Reporting another key needs what revoking it needs; reading its use, what reading usage needs.
  reportExposed: { needs: 'keys:write', body: {} },
  exposureUsage: { needs: 'audit:read' },
});

describe('the exposure routes refuse bad input in the documented shape', () => {
  it('a location holding a key is 400 and the key is not echoed; a leak report without a location is 400', async () => {
    const { stack, victimId } = fixture();
    const pasted = generateKey();
    const res = await stack.json(`/v1/keys/${victimId}/report-exposed`, { key: stack.adminKey, body: { location: `see ${pasted}` } });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).not.toContain(pasted);
    expectApiError(await stack.json('/v1/bots/leaks', { key: stack.adminKey, body: { key: pasted } }), 400, 'invalid_request_error');
    expectApiError(await stack.json('/v1/keys/not-a-key-id/exposure', { key: stack.adminKey }), 400, 'invalid_request_error');
  });
});
