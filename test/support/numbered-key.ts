import type { KeyRecord } from '../../lambdas/core/types';

/**
 * The `n`th key of a series for store tests: a plain active viewer key of `series`'s project and
 * account, id `<idStem><n, 4 digits>`, created `n` seconds into 2026 (so the series lists in order).
 */
export function numberedKey(n: number, series: { idStem: string; projectId: string; accountId: string }): KeyRecord {
  return {
    id: `${series.idStem}${String(n).padStart(4, '0')}`,
    projectId: series.projectId,
    accountId: series.accountId,
    name: `key ${n}`,
    prefix: 'archie',
    start: 'archie_abcd',
    hash: 'h'.repeat(64),
    type: 'viewer',
    scopes: ['models:read'],
    roles: [],
    context: {},
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    expiresAt: null,
    status: 'active',
    createdBy: 'operator:test',
    rateLimit: { limit: 60, windowSeconds: 60 },
  };
}
