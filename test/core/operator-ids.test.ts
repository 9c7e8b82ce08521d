import { describe, expect, it } from 'vitest';
import { generateKey } from '../../lambdas/core/key-format';
import type { AuditLog } from '../../lambdas/core/audit-log';
import type { KeyService } from '../../lambdas/core/key-service';
import { OperatorService } from '../../lambdas/core/operator-service';
import type { Store } from '../../lambdas/core/ports';

describe('operator ids are checked before any lookup, and never echoed', () => {
  // Any store call at all fails the test: the check must come first.
  const untouchable = new Proxy({} as Store, {
    get: (_, prop) => () => {
      throw new Error(`store.${String(prop)} was called`);
    },
  });
  const operator = new OperatorService({ store: untouchable, keys: {} as KeyService, audit: {} as AuditLog, clock: { now: () => 0 } });
  const pasted = generateKey();

  it.each([
    ['getAccount', () => operator.getAccount(pasted)],
    ['setApiAccess', () => operator.setApiAccess(pasted, true)],
    ['adjustCredits', () => operator.adjustCredits(pasted, 5)],
    ['getProject', () => operator.getProject(pasted)],
    ['addAdmin (project)', () => operator.addAdmin(pasted, 'slack:T1:U1', 'cli:test')],
    ['removeAdmin (project)', () => operator.removeAdmin(pasted, 'slack:T1:U1', 'cli:test')],
    ['addAdmin (identity)', () => operator.addAdmin('proj_0000000000000000', pasted, 'cli:test')],
  ])('%s', async (_, run) => {
    const err = await run().then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    );
    expect(err?.code).toBe('invalid_request_error');
    expect(err?.message).toMatch(/\w/);
    expect(err?.message).not.toContain(pasted);
  });
});
