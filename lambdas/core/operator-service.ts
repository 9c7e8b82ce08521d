import { isEmptyPolicy, type StoredAccountPolicy } from './account-policy';
import { AccountPolicySchema } from './account-policy-schema';
import { IDENTITY_PATTERN } from './actor-assertion';
import { KeywardenError } from './errors';
import { newId } from './ids';
import type { AuditLog } from './audit-log';
import { KEY_ID_PATTERN, type IssuedKey, type KeyChanges, type KeyService } from './key-service';
import type { Principal } from './principal';
import type { Clock, Store } from './ports';
import { SCOPES } from './scopes';
import type { Account, KeyRecord, Project, RateLimit } from './types';

/**
 * The window the platform's own keys start with (the Automator key, the bootstrap admin key, the
 * bots' keys): a default, not a ceiling. Operators set any limit (issue 21, point 6); a key still
 * never mints or widens a key beyond itself (SPEC §3).
 */
export const BOOTSTRAP_RATE_LIMIT: RateLimit = { limit: 6000, windowSeconds: 60 };

/**
 * Platform-operator tasks (CLI, bootstrap): accounts, the API product gate, credits, projects with
 * their Protected Automator key, the chat identities that administer a project, and keys edited,
 * paused and resumed by the platform itself (bound by no key's powers, the root credential included).
 */
export class OperatorService {
  constructor(private readonly deps: { store: Store; keys: KeyService; audit: AuditLog; clock: Clock }) {}

  private nowIso(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }

  async createAccount(input: { name: string; apiAccess?: boolean; credits?: number }): Promise<Account> {
    const account: Account = {
      id: newId('acct'),
      name: input.name,
      apiAccess: input.apiAccess ?? false,
      credits: input.credits ?? 0,
      createdAt: this.nowIso(),
    };
    await this.deps.store.createAccount(account);
    return account;
  }

  listAccounts(): Promise<Account[]> {
    return this.deps.store.listAccounts();
  }

  async getAccount(id: string): Promise<Account> {
    assertRecordId('acct', id);
    const account = await this.deps.store.getAccount(id);
    if (!account) throw new KeywardenError('not_found', `No account ${id}.`);
    return account;
  }

  async setApiAccess(accountId: string, enabled: boolean): Promise<Account> {
    assertRecordId('acct', accountId);
    const account = await this.deps.store.setApiAccess(accountId, enabled);
    if (!account) throw new KeywardenError('not_found', `No account ${accountId}.`);
    return account;
  }

  /**
   * Grants (positive) or withdraws (negative) credits. A withdrawal never takes the balance below
   * zero; a grant to an account in debt (below zero) repays the debt first.
   */
  async adjustCredits(accountId: string, delta: number): Promise<number> {
    assertRecordId('acct', accountId);
    const result = await this.deps.store.adjustCredits(accountId, delta);
    if (!result.ok) {
      throw result.reason === 'not_found'
        ? new KeywardenError('not_found', `No account ${accountId}.`)
        : new KeywardenError('invalid_request_error', 'The account does not hold that many credits.');
    }
    return result.balance;
  }

  /**
   * The balance below which the account's `account.credits_low` event is sent (core/event-sweep.ts),
   * or `null` for never. A balance already below it is announced by the next sweep.
   */
  async setCreditsLowThreshold(accountId: string, threshold: number | null): Promise<Account> {
    assertRecordId('acct', accountId);
    if (threshold !== null && !(Number.isFinite(threshold) && threshold >= 0)) {
      throw new KeywardenError('invalid_request_error', 'A credits-low threshold is a number of credits, zero or more.', { param: 'threshold' });
    }
    const account = await this.deps.store.setCreditsLowThreshold(accountId, threshold);
    if (!account) throw new KeywardenError('not_found', `No account ${accountId}.`);
    return account;
  }

  /**
   * Replaces the account's policy (account-policy.ts) whole, validated; `null`, or a policy that
   * sets nothing, removes it. It holds from the next create, edit, rotation or approval; keys
   * already made are not revoked (each is held to it when next edited or rotated).
   */
  async setAccountPolicy(accountId: string, policy: unknown, actor: string): Promise<Account> {
    assertRecordId('acct', accountId);
    let stored: StoredAccountPolicy | null = null;
    if (policy !== null) {
      const parsed = AccountPolicySchema.safeParse(policy);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const param = issue.path.join('.') || 'policy';
        throw new KeywardenError('invalid_request_error', `Invalid account policy: ${param}: ${issue.message}.`, { param });
      }
      if (!isEmptyPolicy(parsed.data)) stored = { ...parsed.data, updatedAt: this.nowIso(), updatedBy: actor };
    }
    const account = await this.deps.store.setAccountPolicy(accountId, stored);
    if (!account) throw new KeywardenError('not_found', `No account ${accountId}.`);
    return account;
  }

  /** Creates a project and its Protected Automator (system) key; the raw key is returned once. */
  async createProject(input: { accountId: string; name: string; actor: string; rateLimit?: RateLimit }): Promise<{ project: Project; automator: IssuedKey }> {
    if (input.rateLimit) assertRateLimit(input.rateLimit);
    const account = await this.getAccount(input.accountId);
    const project: Project = { id: newId('proj'), accountId: account.id, name: input.name, createdAt: this.nowIso() };
    await this.deps.store.createProject(project);
    const automator = await this.deps.keys.mint({
      projectId: project.id,
      accountId: account.id,
      name: 'Automator key',
      prefix: 'archie',
      type: 'system',
      scopes: [...SCOPES],
      roles: [],
      context: {},
      createdAt: this.nowIso(),
      expiresAt: null,
      createdBy: 'system',
      rateLimit: input.rateLimit ?? BOOTSTRAP_RATE_LIMIT,
    });
    // Audited and announced (`key.created`) as every key's creation, by the operator.
    await this.deps.keys.saveCreated({ kind: 'operator', actor: input.actor, projectId: project.id }, automator);
    await this.deps.store.setAutomatorKey(project.id, automator.key.id);
    project.automatorKeyId = automator.key.id;
    return { project, automator };
  }

  async getProject(id: string): Promise<Project> {
    assertRecordId('proj', id);
    const project = await this.deps.store.getProject(id);
    if (!project) throw new KeywardenError('not_found', `No project ${id}.`);
    return project;
  }

  listProjects(accountId?: string): Promise<Project[]> {
    return this.deps.store.listProjects(accountId);
  }

  async addAdmin(projectId: string, identity: string, actor: string): Promise<void> {
    assertIdentity(identity);
    await this.getProject(projectId);
    await this.deps.store.addAdmin(projectId, identity, actor);
    await this.deps.audit.record({ kind: 'operator', actor, projectId }, 'admin.add', 'success', { details: { identity } });
  }

  async removeAdmin(projectId: string, identity: string, actor: string): Promise<boolean> {
    assertIdentity(identity);
    await this.getProject(projectId);
    const removed = await this.deps.store.removeAdmin(projectId, identity);
    await this.deps.audit.record({ kind: 'operator', actor, projectId }, 'admin.remove', removed ? 'success' : 'error', {
      details: { identity },
    });
    return removed;
  }

  listAdmins(projectId: string): Promise<string[]> {
    return this.deps.store.listAdmins(projectId);
  }

  /** Any key of any project, by id (an operator names a key without its project). */
  async getKey(id: string): Promise<KeyRecord> {
    if (!KEY_ID_PATTERN.test(id)) throw new KeywardenError('invalid_request_error', 'Not a key id: expected key_ and 22 letters or digits.');
    const key = await this.deps.store.getKey(id);
    if (!key) throw new KeywardenError('not_found', `No key ${id}.`);
    return key;
  }

  /**
   * An edit in place as the platform: any limit, on any key (the root credential and the Automator
   * key included), audited under the operator's name. `ifVersion` makes it conditional, as If-Match does.
   */
  async updateKey(actor: string, id: string, changes: KeyChanges, options: { ifVersion?: number } = {}): Promise<KeyRecord> {
    if (changes.rateLimit) assertRateLimit(changes.rateLimit);
    return this.deps.keys.update(await this.asOperator(actor, id), id, changes, options);
  }

  /** Pauses a key as the platform (the same lockout rule as through the API: a project keeps a key manager). */
  async disableKey(actor: string, id: string): Promise<KeyRecord> {
    return this.deps.keys.disable(await this.asOperator(actor, id), id);
  }

  async enableKey(actor: string, id: string): Promise<KeyRecord> {
    return this.deps.keys.enable(await this.asOperator(actor, id), id);
  }

  /** The operator acting in the project of the key named. */
  private async asOperator(actor: string, id: string): Promise<Principal> {
    return { kind: 'operator', actor, projectId: (await this.getKey(id)).projectId };
  }
}

/**
 * What an operator's limit must be: whole requests per whole seconds, the window at most a day (the
 * rate window's span). The count itself has no ceiling.
 */
export function assertRateLimit(rateLimit: RateLimit): void {
  const { limit, windowSeconds } = rateLimit;
  if (!Number.isSafeInteger(limit) || limit < 1 || !Number.isSafeInteger(windowSeconds) || windowSeconds < 1 || windowSeconds > 86_400) {
    throw new KeywardenError('invalid_request_error', 'A rate limit is a whole number of requests (at least 1) per 1 s to 1 d.', { param: 'rateLimit' });
  }
}

/** Operator ids are checked before any lookup; a malformed one (a pasted key, say) is never echoed. */
function assertRecordId(kind: 'acct' | 'proj', id: string): void {
  if (!new RegExp(`^${kind}_[0-9A-Za-z]{16}$`).test(id)) {
    const what = kind === 'acct' ? 'an account id' : 'a project id';
    throw new KeywardenError('invalid_request_error', `Not ${what}: expected ${kind}_ and 16 letters or digits.`);
  }
}

function assertIdentity(identity: string): void {
  if (!IDENTITY_PATTERN.test(identity)) {
    throw new KeywardenError(
      'invalid_request_error',
      // Named back only when it cannot be a pasted key (a key has no colon).
      `Not a chat identity${identity.includes(':') && identity.length <= 200 ? `: ${identity}` : ''}. Use slack:<team>:<user> or teams:<tenant>:<aadObjectId>.`,
    );
  }
}
