import { policyBudget, policyExpiry, policyRate, type AccountPolicy } from './account-policy';
import { AccountPolicyGate } from './account-policy-gate';
import type { AuditLog } from './audit-log';
import type { Authenticator } from './authenticator';
import { Authority, inheritedLimits, narrowerRate, powerEnd, type AuditAction, type Powers } from './authority';
import { roundCredits } from './credits';
import { DAY_MS } from './duration';
import { API_ACCESS_DISABLED_MESSAGE, KeywardenError } from './errors';
import { hashingSecret, keyHash, keyIdFor } from './hashing';
import type { Exposure } from './exposure';
import type { EventOutbox } from './event-outbox';
import type { StoredEvent } from './events';
import { recordedChange, type RecordedChange } from './key-change';
import { KeyExposures, type ExposureOutcome } from './key-exposure';
import { KeyEdits, type KeyChanges } from './key-edits';
import { DEFAULT_PREFIX, generateKey, PREFIX_PATTERN, startOf } from './key-format';
import { KeyListing, type KeyQuery } from './key-listing';
import { requireDeliverable } from './key-rotation';
import { keyStatus } from './key-status';
import { requireRead } from './policy';
import { rotationOriginOf, type RotationOrigin } from './rotation-origin';
import { principalActor, principalProject, type Principal } from './principal';
import type { Clock, SecretsProvider, Store } from './ports';
import { resolveScopes, type KeyType } from './scopes';
import type { Account, Budget, KeyRecord, KeyRotationSetting, Page, Project, RateLimit, Role, TokenLimit } from './types';

export const KEY_ID_PATTERN = /^key_[0-9A-Za-z]{22}$/;
export const DEFAULT_EXPIRY_MS = 365 * DAY_MS;
export const MAX_OVERLAP_MS = 7 * DAY_MS;
export const DEFAULT_RATE_LIMIT: RateLimit = { limit: 600, windowSeconds: 60 };

export type { KeyChanges, ExposureOutcome };

/** A key's own limits and their state, as a replacement takes them over. */
function carriedLimits(old: KeyRecord): Partial<KeyRecord> {
  const fields = ['budget', 'budgetLeft', 'budgetResetAt', 'tokenLimit', 'tokensUsed', 'tokensResetAt', 'maxConcurrent'] as const;
  return Object.fromEntries(fields.filter((f) => old[f] !== undefined).map((f) => [f, old[f]]));
}

export interface CreateKeyInput {
  name?: string;
  type?: Exclude<KeyType, 'system'>;
  scopes?: string[];
  roles?: Role[];
  context?: Record<string, string>;
  prefix?: string;
  /** Lifetime in ms from now; default one year; `null` never expires (operators only: no key may mint it). */
  expiresInMs?: number | null;
  rateLimit?: RateLimit;
  /** Model ids the key may call; absent = the actor's own list (every model for an unrestricted actor). */
  models?: string[];
  /** Absent = the actor's own (none for an unlimited actor): `inheritedLimits`. */
  budget?: Budget;
  tokenLimit?: TokenLimit;
  maxConcurrent?: number;
  /** Rotated on schedule (key-rotation.ts); whoever may create the key may rotate it. */
  rotation?: KeyRotationSetting;
}

export interface IssuedKey {
  key: KeyRecord;
  /** The raw key. Exists only in this return value and the one response built from it. */
  secret: string;
  /** Rotation only: the key it replaces, as it is after the rotation (when it stops working). */
  replaced?: KeyRecord;
}

export interface KeyServiceDeps {
  store: Store;
  secrets: SecretsProvider;
  clock: Clock;
  auth: Authenticator;
  audit: AuditLog;
  /** Every change is announced through the outbox (event-outbox.ts). */
  events: EventOutbox;
  /** Keywarden's AWS account: a rotation's secret elsewhere needs the customer's role (key-rotation.ts `requireDeliverable`). */
  homeAccount?: string;
}

/** A key an action is about and, for a person, whether they are an admin (read with it in one round trip). */
interface Target {
  key: KeyRecord;
  personIsAdmin?: boolean;
  /** Asked for (`withAccount`) and read with the key: the acting key's account, as it stands (`account` absent: none). */
  accountRead?: { id: string; account?: Account };
}

/**
 * Keys through their lifecycle (SPEC §3): create, list, edit, pause and resume (key-edits.ts),
 * rotate, revoke, delete, and the revocation of a key found exposed. Every key-changing path asks
 * `Authority` (authority.ts) first.
 */
export class KeyService {
  private readonly authority: Authority;
  /** Account policies (account-policy-gate.ts): create, rotate and edit all go through it. */
  private readonly policies: AccountPolicyGate;
  private readonly edits: KeyEdits;
  private readonly exposures: KeyExposures;
  /** A key-changing write with its audit record and its event (key-change.ts). */
  private readonly recorded: RecordedChange;
  private readonly listing: KeyListing;

  constructor(private readonly deps: KeyServiceDeps) {
    this.authority = new Authority(deps);
    this.listing = new KeyListing(deps);
    this.policies = new AccountPolicyGate(deps, this.authority);
    this.edits = new KeyEdits(deps, this.authority, this.policies, {
      target: (p, id) => this.target(p, id),
      recorded: (p, action, extra, write) => this.recorded(p, action, extra, write),
    });
    this.exposures = new KeyExposures(deps, {
      rotate: (p, id) => this.rotate(p, id),
      recorded: (p, action, extra, write) => this.recorded(p, action, extra, write),
    });
    this.recorded = recordedChange(deps);
  }

  /** Mints a new raw key and its record (not yet stored). */
  async mint(fields: Omit<KeyRecord, 'id' | 'hash' | 'start' | 'status'>): Promise<IssuedKey> {
    const { current } = await hashingSecret(this.deps.secrets);
    const secret = generateKey(fields.prefix);
    const key: KeyRecord = {
      ...fields,
      id: keyIdFor(current, secret),
      hash: keyHash(current, secret),
      start: startOf(secret),
      status: 'active',
    };
    return { key, secret };
  }

  /**
   * A bot asks before it offers a person an admin action: is this person an admin of the project?
   * A "no" is a denied attempt and is audited like one, naming the person and the bot. With
   * `search` (as `list`'s, needing keys:read), the keys it matches come back to an admin only:
   * the admin entry is read with the listing's keys, in the same round trip (key-listing.ts).
   */
  async checkPersonAdmin(p: Principal, action: AuditAction, keyId?: string, search?: string): Promise<{ identity: string; admin: boolean; matches?: KeyRecord[] }> {
    if (p.kind !== 'key' || !p.person) {
      throw new KeywardenError('invalid_request_error', 'This check needs an actor assertion naming the person.', {
        param: 'X-Keywarden-Actor',
      });
    }
    const identity = p.person.identity;
    const found = search === undefined ? undefined : await this.listing.list(p, { search, limit: 50 }, { admin: identity });
    const admin = found ? found.admin === true : await this.deps.store.isAdmin(p.key.projectId, identity);
    if (!admin) await this.deps.audit.record(p, action, 'denied', { keyId, reason: 'not a project admin' });
    return { identity, admin, ...(admin && found ? { matches: found.items } : {}) };
  }

  /** The chat identities registered as admins of the caller's project. */
  async admins(p: Principal): Promise<string[]> {
    requireRead(p, 'keys:read');
    return this.deps.store.listAdmins(principalProject(p));
  }

  /** What a key belongs to: its project and account (for `GET /v1/me`). */
  async owners(key: KeyRecord): Promise<{ project?: Project; account?: Account }> {
    const [project, account] = await Promise.all([this.deps.store.getProject(key.projectId), this.deps.store.getAccount(key.accountId)]);
    return { project, account };
  }

  /** `approvedRequest`: the key request whose approval this is (key-requests.ts), the one way to a privileged key under `privilegedRequiresApproval`. */
  async create(p: Principal, input: CreateKeyInput, options: { approvedRequest?: string } = {}): Promise<IssuedKey> {
    await this.authority.requireKeyManager(p, 'key.create');
    const projectId = principalProject(p);
    const project = await this.deps.store.getProject(projectId);
    if (!project) throw new KeywardenError('not_found', 'Project not found.');
    const account = await this.deps.store.getAccount(project.accountId);
    if (!account?.apiAccess) {
      return this.authority.refuse(p, 'key.create', { reason: 'api access disabled' }, new KeywardenError('api_access_disabled', API_ACCESS_DISABLED_MESSAGE));
    }
    const prefix = input.prefix ?? DEFAULT_PREFIX;
    requireDeliverable(input.rotation, this.deps.homeAccount);
    if (!PREFIX_PATTERN.test(prefix)) {
      throw new KeywardenError('invalid_request_error', 'prefix must match [a-z][a-z0-9]{1,11}.', { param: 'prefix' });
    }
    const now = this.deps.clock.now();
    const powers = this.newKeyPowers(p, input, now, account.policy);
    await this.authority.requireWithinActor(p, 'key.create', { powers });
    await this.policies.require(p, 'key.create', account.policy, powers, { path: options.approvedRequest ? 'approval' : 'create', now });
    const name = input.name?.trim() || `Console generated key ${await this.deps.store.nextKeyNumber(projectId)}`;
    const issued = await this.mint({
      projectId,
      accountId: project.accountId,
      name,
      prefix,
      ...powers,
      type: powers.type as Exclude<KeyType, 'system'>,
      createdAt: new Date(now).toISOString(),
      createdBy: principalActor(p),
      ...(input.rotation ? { rotation: input.rotation } : {}),
    });
    await this.recorded(p, 'key.create', { key: issued.key, details: { name, type: issued.key.type }, lists: issued.key }, (event, carried) => this.save(issued.key, event, { carried }));
    return issued;
  }

  /**
   * The powers of a key about to be created: what was asked for, and where nothing was asked, the
   * defaults (all scopes of the type, one year, 600 a minute, every model) narrowed to what a
   * bounded actor holds and to what the account's policy allows, so a limited key hands out limited
   * keys without having to say so. Anything asked for explicitly is left as asked; `Authority` and
   * the policy gate refuse it if it is too wide.
   */
  private newKeyPowers(p: Principal, input: CreateKeyInput, now: number, policy: AccountPolicy | undefined): Powers {
    const actor = p.kind === 'key' && !p.person ? p.key : undefined;
    const type = input.type ?? 'privileged';
    const resolved = resolveScopes(type, input.scopes);
    if (!resolved.ok) {
      throw new KeywardenError('invalid_request_error', `Scopes not allowed for a ${type} key: ${resolved.invalid.join(', ')}.`, {
        param: 'scopes',
      });
    }
    const actorGrantsAll = !actor || actor.scopes.includes('admin');
    const scopes = input.scopes?.length || actorGrantsAll ? resolved.scopes : resolved.scopes.filter((s) => actor.scopes.includes(s));
    if (scopes.length === 0) {
      throw new KeywardenError('invalid_request_error', `This key holds none of the scopes a ${type} key can have.`, { param: 'scopes' });
    }
    const inheritRoles = input.roles === undefined && actor !== undefined && actor.roles.length > 0;
    const expiresAt =
      input.expiresInMs === null
        ? null
        : input.expiresInMs !== undefined
          ? now + input.expiresInMs
          : policyExpiry(policy, Math.min(now + DEFAULT_EXPIRY_MS, actor ? powerEnd(actor) : Infinity), now, DEFAULT_EXPIRY_MS);
    const inherited = inheritedLimits(actor);
    const budget = input.budget ?? policyBudget(policy, inherited.budget);
    return {
      type,
      scopes,
      roles: inheritRoles ? actor.roles : (input.roles ?? []),
      context: input.context ?? (inheritRoles ? actor.context : {}),
      rateLimit: input.rateLimit ?? policyRate(policy, actor ? narrowerRate(DEFAULT_RATE_LIMIT, actor.rateLimit) : DEFAULT_RATE_LIMIT),
      ...(input.models ?? actor?.models ? { models: input.models ?? actor?.models } : {}),
      ...inherited,
      ...(budget ? { budget: { credits: roundCredits(budget.credits), period: budget.period } } : {}),
      ...(input.tokenLimit ? { tokenLimit: input.tokenLimit } : {}),
      ...(input.maxConcurrent !== undefined ? { maxConcurrent: input.maxConcurrent } : {}),
      expiresAt,
    };
  }

  /**
   * Stores a freshly minted key (`event`: the marker of the event announcing it): its listing
   * entry first, unless its put carries it with its change's pending event (`carried`:
   * key-change.ts, the confirmation unpacks both).
   */
  /**
   * A key the operator minted (a project's Protected Automator key) stored as every creation is:
   * audited by `p` and announced (`key.created`, to the bus and the project's webhooks).
   */
  async saveCreated(p: Principal, issued: IssuedKey): Promise<void> {
    const { key } = issued;
    await this.recorded(p, 'key.create', { key, details: { name: key.name, type: key.type }, lists: key }, (event, carried) => this.save(key, event, { carried }));
  }

  async save(key: KeyRecord, event?: string, options: { carried?: StoredEvent } = {}): Promise<void> {
    if (!options.carried) await this.deps.store.listKey(key);
    // 128-bit random ids: a collision means something is badly wrong, not bad luck.
    if (!(await this.deps.store.putKey(key, event, options.carried))) throw new KeywardenError('conflict', 'Key id collision; try again.');
  }

  async get(p: Principal, id: string): Promise<KeyRecord> {
    requireRead(p, 'keys:read');
    return (await this.target(p, id, { withAdmin: false })).key;
  }

  /**
   * The key an action is about, from the caller's project: a key of another project is
   * indistinguishable from a missing one. For a person, whether they are an admin is read in the
   * same round trip (`withAdmin`), for the authority check that follows.
   */
  private async target(p: Principal, id: string, options: { withAdmin: boolean; withAccount?: boolean } = { withAdmin: true }): Promise<Target> {
    const wellFormed = KEY_ID_PATTERN.test(id);
    const person = p.kind === 'key' && options.withAdmin ? p.person : undefined;
    // The acting key's account is the target's too (one project, one account), checked where used.
    const accountId = p.kind === 'key' && options.withAccount ? p.key.accountId : undefined;
    let key: KeyRecord | undefined;
    let personIsAdmin: boolean | undefined;
    let accountRead: Target['accountRead'];
    if (wellFormed && person) {
      const found = await this.deps.store.getKeyWithAdmin(id, { projectId: principalProject(p), identity: person.identity }, accountId ? { accountId } : {});
      ({ key, admin: personIsAdmin } = found);
      if (accountId) accountRead = { id: accountId, ...(found.account ? { account: found.account } : {}) };
    } else if (wellFormed) key = await this.deps.store.getKey(id);
    if (!key || key.projectId !== principalProject(p)) {
      // Echo the id only when it is an id: a raw key pasted into the path must not come back.
      throw new KeywardenError('not_found', wellFormed ? `No key ${id} in this project.` : 'No such key in this project.');
    }
    return { key, personIsAdmin, ...(accountRead ? { accountRead } : {}) };
  }

  list(p: Principal, query: KeyQuery): Promise<Page<KeyRecord>> {
    return this.listing.list(p, query);
  }

  /** Edits a key in place (PATCH /v1/keys/{id}); `ifVersion` makes it conditional (If-Match). */
  update(p: Principal, id: string, changes: KeyChanges, options: { ifVersion?: number } = {}): Promise<KeyRecord> {
    return this.edits.update(p, id, changes, options);
  }

  /** Pauses a key (401 key_disabled until enabled); idempotent. */
  disable(p: Principal, id: string, options: { ifVersion?: number } = {}): Promise<KeyRecord> {
    return this.edits.disable(p, id, options);
  }

  /** Resumes a paused key at once; idempotent. */
  enable(p: Principal, id: string, options: { ifVersion?: number } = {}): Promise<KeyRecord> {
    return this.edits.enable(p, id, options);
  }

  /**
   * Replaces a key: same name, type, scopes, roles, context, prefix and rate limit. The new key is
   * stored and working before the old one is marked, so there is never a moment when neither
   * works; the old one stops at once, or after `overlapMs` (≤ 7 days).
   */
  async rotate(p: Principal, id: string, overlapMs = 0, options: { revokeWhenIdleMs?: number; origin?: RotationOrigin } = {}): Promise<IssuedKey> {
    if (overlapMs < 0 || overlapMs > MAX_OVERLAP_MS) {
      throw new KeywardenError('invalid_request_error', 'The overlap must be between 0 and 7 days.', { param: 'overlap' });
    }
    const rotatedIn = options.origin && rotationOriginOf(p, options.origin); // refused before any read: only a bot for a person names one
    const { key: old, personIsAdmin, accountRead } = await this.target(p, id, { withAdmin: true, withAccount: true });
    // Rotation hands out the old key's powers: allowed only if the actor could have created it.
    await this.authority.authorize(p, 'key.rotate', { keyId: old.id, powers: old, personIsAdmin });
    const now = this.deps.clock.now();
    if (old.replacedBy || keyStatus(old, now) === 'revoked') {
      const what = old.replacedBy ? `rotated (replacement ${old.replacedBy})` : 'revoked';
      return this.authority.refuse(p, 'key.rotate', { keyId: old.id, reason: 'already revoked or rotated' }, new KeywardenError('conflict', `Key ${old.id} was already ${what}.`));
    }
    const lifetime = old.expiresAt === null ? null : Math.max(old.expiresAt - Date.parse(old.createdAt), DAY_MS);
    // The replacement keeps the old lifetime, but never outlives a bounded actor, nor the account's policy.
    const actorEnd = p.kind === 'key' && !p.person && old.type !== 'system' ? powerEnd(p.key) : Infinity;
    // The policy as it stands: read with the key when the acting key's account is the key's (always, but checked).
    const policy = accountRead?.id === old.accountId ? accountRead.account?.policy : await this.policies.of(old.accountId);
    const carried = lifetime === null ? null : Math.min(now + lifetime, actorEnd);
    // The Automator key is the platform's, outside any policy.
    const expiresAt = old.type === 'system' ? carried : policyExpiry(policy, carried, now, DEFAULT_EXPIRY_MS);
    await this.policies.require(p, 'key.rotate', policy, { ...old, expiresAt }, { path: 'rotate', now, keyId: old.id });
    const issued = await this.mint({
      projectId: old.projectId,
      accountId: old.accountId,
      name: old.name,
      prefix: old.prefix,
      type: old.type,
      scopes: old.scopes,
      roles: old.roles,
      context: old.context,
      createdAt: new Date(now).toISOString(),
      expiresAt,
      createdBy: principalActor(p),
      rateLimit: old.rateLimit,
      ...(old.models ? { models: old.models } : {}),
      // The limits, and where they stand: a rotation is no way to a fresh budget or token window.
      ...carriedLimits(old),
      ...(old.metadata ? { metadata: old.metadata } : {}),
      // The schedule goes on with the replacement; `revokeWhenIdle` ends the old key early (key-rotation-schedule.ts).
      ...(old.rotation ? { rotation: old.rotation } : {}),
      ...(options.revokeWhenIdleMs && overlapMs > 0 ? { revokeOldWhenIdleMs: options.revokeWhenIdleMs } : {}),
      rotatedFrom: old.id,
      ...(rotatedIn ? { rotatedIn } : {}),
    });
    const details = { replacement: issued.key.id, replacementStart: issued.key.start, overlapSeconds: Math.round(overlapMs / 1000) };
    const at = new Date(now).toISOString();
    const graceUntil = overlapMs > 0 ? now + overlapMs : undefined;
    await this.recorded(p, 'key.rotate', { key: old, details, lists: issued.key }, async (event, carried) => {
      await this.save(issued.key, undefined, { carried });
      if (!(await this.deps.store.markRotated(old.id, issued.key.id, at, graceUntil, old.version ?? 1, event))) {
        // Lost a race with another rotation (or an edit, pause or revocation): withdraw ours so
        // only one replacement exists, a copy of the key as it now stands.
        await this.deps.store.deleteKey(issued.key.id);
        throw new KeywardenError('conflict', `Key ${old.id} was rotated or changed concurrently; try again.`);
      }
      if (old.type === 'system') await this.deps.store.setAutomatorKey(old.projectId, issued.key.id);
    });
    const marked = { ...old, replacedBy: issued.key.id, version: (old.version ?? 1) + 1 };
    const replaced: KeyRecord = graceUntil === undefined ? { ...marked, status: 'revoked', revokedAt: at } : { ...marked, graceUntil };
    return { ...issued, replaced };
  }

  /** Immediate and idempotent; the key stays listed. The Automator key is rotated, never revoked. */
  async revoke(p: Principal, id: string): Promise<KeyRecord> {
    const key = await this.removable(p, 'key.revoke', id);
    return this.authority.keepingAManager(p, 'key.revoke', key, async () => {
      let revoked: KeyRecord | undefined;
      await this.recorded(p, 'key.revoke', { key }, async (event) => {
        revoked = await this.deps.store.revokeKey(key.id, new Date(this.deps.clock.now()).toISOString(), event);
        if (!revoked) throw new KeywardenError('not_found', `No key ${key.id} in this project.`);
      });
      return revoked!;
    });
  }

  async delete(p: Principal, id: string): Promise<void> {
    const key = await this.removable(p, 'key.delete', id);
    await this.authority.keepingAManager(p, 'key.delete', key, () =>
      this.recorded(p, 'key.delete', { key, details: { name: key.name } }, () => this.deps.store.deleteKey(key.id)),
    );
  }

  /** Revoke and delete: authority over the key, never the Protected Automator key (the last admin key: `Authority.keepingAManager`). */
  private async removable(p: Principal, action: 'key.revoke' | 'key.delete', id: string): Promise<KeyRecord> {
    const { key, personIsAdmin } = await this.target(p, id);
    if (key.type === 'system') {
      await this.authority.authorize(p, action, { personIsAdmin });
      const message =
        action === 'key.revoke' ? 'The Automator key is Protected: rotate it instead of revoking it.' : 'The Automator key is Protected and cannot be deleted.';
      return this.authority.refuse(p, action, { keyId: key.id, reason: 'protected' }, new KeywardenError('protected_key', message));
    }
    await this.authority.authorize(p, action, { keyId: key.id, powers: key, personIsAdmin });
    return key;
  }

  /** A key's value seen where it must not be: the exposure pipeline (key-exposure.ts) for the key it belongs to. */
  exposed(raw: string, exposure: Exposure): Promise<ExposureOutcome | undefined> {
    return this.exposures.exposed(raw, exposure);
  }

  /** The exposure pipeline for a key known by id. */
  expose(key: KeyRecord, exposure: Exposure): Promise<ExposureOutcome> {
    return this.exposures.expose(key, exposure);
  }

  /**
   * A key of the caller's project reported exposed (`POST /v1/keys/{id}/report-exposed`): a key
   * may always report itself; anything else needs what revoking it needs
   * (`Authority.requireMayReportExposed`). Then the exposure pipeline, with where it leaked.
   */
  async reportExposed(p: Principal, id: string, location?: string): Promise<ExposureOutcome> {
    const { key, personIsAdmin } = await this.target(p, id);
    await this.authority.requireMayReportExposed(p, key, personIsAdmin);
    return this.exposures.expose(key, { source: 'report', location: location ?? `reported by ${principalActor(p)}` });
  }
}
