import { policyViolation, type AccountPolicy, type PolicyField, type PolicyPath, type PolicyPowers, type PolicyViolation } from './account-policy';
import type { Authority, AuditAction } from './authority';
import { KeywardenError } from './errors';
import type { Principal } from './principal';
import type { Store } from './ports';

/**
 * The one place a key's account policy is enforced (account-policy.ts says what each path makes
 * of it): `KeyService.create` (the API, the console, the CLI's key commands, chat, and the
 * approval of a key request), `KeyService.rotate` and `KeyEdits.update` all call `require`. A
 * refusal is a denied attempt in the audit trail (`Authority.refuse`), then `policyError`.
 * Operators are not bound: they set the policies, and can always issue a recovery key.
 */
export class AccountPolicyGate {
  constructor(
    private readonly deps: { store: Pick<Store, 'getAccount'> },
    private readonly authority: Pick<Authority, 'refuse'>,
  ) {}

  /** The policy of an account (undefined: none, or no such account). */
  async of(accountId: string): Promise<AccountPolicy | undefined> {
    return (await this.deps.store.getAccount(accountId))?.policy;
  }

  /** Refuses (403, naming the policy) a key `p` would make that breaks its account's policy. */
  async require(
    p: Principal,
    action: AuditAction,
    policy: AccountPolicy | undefined,
    key: PolicyPowers,
    at: { path: PolicyPath; now: number; keyId?: string; touches?: readonly PolicyField[] },
  ): Promise<void> {
    if (p.kind === 'operator') return;
    const violation = policyViolation(policy, key, at.path, at.now, at.touches);
    if (!violation) return;
    return this.authority.refuse(p, action, { ...(at.keyId ? { keyId: at.keyId } : {}), reason: `account policy ${violation.policy}` }, policyError(violation));
  }
}

/**
 * The documented refusal: `403 insufficient_permissions` (SPEC §4's code for "not allowed", which
 * every client already handles), the policy named in the message and, machine-readably, in
 * `param` as `policy.<name>` (bots/core/failure-replies.ts tells a chat user from it).
 */
export function policyError(violation: PolicyViolation): KeywardenError {
  return new KeywardenError('insufficient_permissions', violation.message, { param: `policy.${violation.policy}` });
}

/** Whether an API error is an account policy's refusal, and which. */
export function refusedPolicy(error: { code: string; param?: string | null }): string | undefined {
  return error.code === 'insufficient_permissions' && error.param?.startsWith('policy.') ? error.param.slice('policy.'.length) : undefined;
}
