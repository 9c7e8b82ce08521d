import type { ApiKey } from '../../lambdas/http/client';

/** A key as the API answers it, for tests that render one without a stack (cards, blocks, listeners). */
export function sampleApiKey(overrides: Partial<ApiKey> = {}): ApiKey {
  return {
    object: 'api_key',
    id: 'key_0123456789abcdefghijkl',
    projectId: 'proj_1',
    name: 'CI deploy',
    type: 'privileged',
    protected: false,
    prefix: 'archie',
    start: 'archie_4fQa',
    status: 'active',
    version: 1,
    metadata: {},
    scopes: ['keys:read'],
    roles: [],
    context: {},
    rateLimit: { limit: 600, windowSeconds: 60 },
    models: null,
    budget: null,
    tokenLimit: null,
    maxConcurrent: null,
    createdAt: '2026-05-01T00:00:00Z',
    createdBy: 'slack:T1:UADMIN',
    expiresAt: '2027-05-01T00:00:00.000Z',
    lastUsedAt: '2026-06-01T10:00:00Z',
    revokedAt: null,
    rotatedFrom: null,
    replacedBy: null,
    graceUntil: null,
    exposure: null,
    rotation: null,
    rotatedIn: null,
    ...overrides,
  };
}
