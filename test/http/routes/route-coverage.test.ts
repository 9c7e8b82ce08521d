import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_ROUTE_TABLE } from '../../../lambdas/http/api';
import { SURFACES, type Surface } from './common-route-tests';

/**
 * Every route of the table has its security checks (common-route-tests.ts) in exactly one surface
 * file: a new route fails here until a surface's security file covers it.
 */
describe('security files cover every route', () => {
  it('every operationId of the route table is in exactly one surface, and no surface names a route the table lacks', () => {
    const placed = Object.values(SURFACES).flat() as string[];
    const table = API_ROUTE_TABLE.map((r) => r.operationId);
    expect(placed.filter((id, i) => placed.indexOf(id) !== i), 'in two surfaces').toEqual([]);
    expect(table.filter((id) => !placed.includes(id)), 'in no surface').toEqual([]);
    expect(placed.filter((id) => !table.includes(id)), 'not in the table').toEqual([]);
  });

  it.each(Object.keys(SURFACES) as Surface[])('%s.security.test.ts runs its surface', (surface) => {
    const file = join(import.meta.dirname, `${surface}.security.test.ts`);
    expect(existsSync(file), file).toBe(true);
    expect(readFileSync(file, 'utf8')).toContain(`runSurfaceTests('${surface}'`);
  });
});
