import type { AuditLog } from './audit-log';
import { backoff } from './backoff';
import { KeywardenError } from './errors';
import { keyStatus } from './key-status';
import { checkPermission, insufficient, resolveFilters } from './policy';
import type { Principal } from './principal';
import type { Clock, Store } from './ports';
import type { KeyType } from './scopes';
import type { Budget, BudgetPeriod, KeyRecord, RateLimit, Role, TokenLimit } from './types';

/**
 * SPEC §3 "Authority": a key never acts beyond its own power, on every key-changing path. This
 * module is the whole rule: who may manage keys at all (`requireKeyManager`), that the key acted
 * on is no wider than the actor (`requireWithinActor`, over the axes of `widerAxes`), that no
 * project loses its last key manager (`keepingAManager`), and that every refusal is a denied
 * attempt in the audit trail (`refuse`). `KeyService` asks it; single permissions (a scope, a
 * role, its row filters) are policy.ts. No Node-only import: the console's page reads what an
 * actor may set through the same `widerAxes` (console/src/powers.ts).
 */

/** The key-changing actions: each is audited, and each is bounded by its actor. */
export const AUDIT_ACTIONS = ['key.create', 'key.rotate', 'key.update', 'key.disable', 'key.enable', 'key.revoke', 'key.delete', 'key.exposed'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** How a refusal names each action. */
const VERB: Record<AuditAction, string> = {
  'key.create': 'create',
  'key.rotate': 'rotate',
  'key.update': 'edit',
  'key.disable': 'disable',
  'key.enable': 'enable',
  'key.revoke': 'revoke',
  'key.delete': 'delete',
  'key.exposed': 'report as exposed',
};

/** How long a key-managers lease lasts when its holder never ends it (a function that died). */
const LEASE_MS = 10_000;
/** How long a revocation or deletion waits for another one's lease before answering 409 conflict. */
const LEASE_WAIT_MS = 5_000;

/** Everything a key can do is captured by these fields: what `widerAxes` compares. */
export type Powers = Pick<KeyRecord, 'type' | 'scopes' | 'roles' | 'context' | 'rateLimit' | 'expiresAt'> & {
  models?: string[];
  graceUntil?: number;
  budget?: Budget;
  tokenLimit?: TokenLimit;
  maxConcurrent?: number;
};

/** The axes a target can exceed its actor on, in the order they are reported. */
export type PowerAxis = 'type' | 'scopes' | 'roles' | 'rate limit' | 'models' | 'expiry' | 'budget' | 'token limit' | 'concurrency';

const TYPE_RANK: Record<KeyType, number> = { viewer: 0, privileged: 1, system: 2 };

/** Epoch ms after which the key no longer works (expiry or the end of a rotation overlap); Infinity if never. */
export function powerEnd(p: Pick<Powers, 'expiresAt' | 'graceUntil'>): number {
  return Math.min(p.expiresAt ?? Infinity, p.graceUntil ?? Infinity);
}

/** Every axis on which `target` holds more than `actor`; empty when the actor could have minted it. */
export function widerAxes(target: Powers, actor: Powers): PowerAxis[] {
  const out: PowerAxis[] = [];
  if (TYPE_RANK[target.type] > TYPE_RANK[actor.type]) out.push('type');
  if (!actor.scopes.includes('admin') && target.scopes.some((s) => !actor.scopes.includes(s))) out.push('scopes');
  if (!rolesCovered(target, actor)) out.push('roles');
  if (rateWider(target.rateLimit, actor.rateLimit)) out.push('rate limit');
  if (actor.models !== undefined && (target.models === undefined || target.models.some((m) => !actor.models!.includes(m)))) {
    out.push('models');
  }
  if (powerEnd(target) > powerEnd(actor)) out.push('expiry');
  // No limit is the widest of all: an actor with one may hand out only as much or less.
  if (actor.budget && (!target.budget || budgetWider(target.budget, actor.budget))) out.push('budget');
  if (actor.tokenLimit && (!target.tokenLimit || rateWider(asRate(target.tokenLimit), asRate(actor.tokenLimit)))) out.push('token limit');
  if (actor.maxConcurrent !== undefined && (target.maxConcurrent === undefined || target.maxConcurrent > actor.maxConcurrent)) out.push('concurrency');
  return out;
}

const PERIOD_RANK: Record<BudgetPeriod, number> = { day: 0, week: 1, month: 2, total: 3 };

/**
 * A budget is wider when it allows more credits in one period, or the same credits over a shorter
 * period (20/day spends 600 a month; 20/month never more than 20 in any day, week or month).
 */
export function budgetWider(target: Budget, actor: Budget): boolean {
  return target.credits > actor.credits || PERIOD_RANK[target.period] < PERIOD_RANK[actor.period];
}

function asRate(limit: TokenLimit): RateLimit {
  return { limit: limit.tokens, windowSeconds: limit.windowSeconds };
}

/**
 * What a new key gets when its creator names none of these limits: the creator's own, so a
 * limited actor hands out keys limited like itself (never wider, SPEC §3); an unlimited one, none.
 */
export function inheritedLimits(actor: Powers | undefined): Pick<Powers, 'budget' | 'tokenLimit' | 'maxConcurrent'> {
  if (!actor) return {};
  return {
    ...(actor.budget ? { budget: actor.budget } : {}),
    ...(actor.tokenLimit ? { tokenLimit: actor.tokenLimit } : {}),
    ...(actor.maxConcurrent !== undefined ? { maxConcurrent: actor.maxConcurrent } : {}),
  };
}


/**
 * An unrestricted actor (no roles) covers anything. A role-restricted actor covers a target only if
 * the target is restricted too and every target role is covered by one actor role: that role grants
 * every permission the target role grants, and each of its row filters (resolved with the actor's
 * context) is also a filter of the target role (resolved with the target's context) with the same
 * value. Then every resource the target may touch, the actor may touch.
 */
function rolesCovered(target: Powers, actor: Powers): boolean {
  if (actor.roles.length === 0) return true;
  if (target.roles.length === 0) return false;
  return target.roles.every((t) => actor.roles.some((a) => roleCovers(a, actor.context, t, target.context)));
}

function roleCovers(a: Role, aContext: Record<string, string>, t: Role, tContext: Record<string, string>): boolean {
  const grantsAll = a.permissions.includes('*') || (!t.permissions.includes('*') && t.permissions.every((p) => a.permissions.includes(p)));
  if (!grantsAll) return false;
  const aFilters = resolveFilters(a.filters ?? {}, aContext);
  const tFilters = resolveFilters(t.filters ?? {}, tContext);
  return Object.entries(aFilters).every(([attr, value]) => Object.hasOwn(tFilters, attr) && tFilters[attr] === value);
}

/**
 * A limit is wider when it admits a larger burst (more requests in one window) or a higher
 * sustained rate. Cross-multiplied so no rounding can let a wider limit through.
 */
export function rateWider(target: RateLimit, actor: RateLimit): boolean {
  return target.limit > actor.limit || target.limit * actor.windowSeconds > actor.limit * target.windowSeconds;
}

/** The narrowest of two limits on both axes: the default a limited actor hands out. */
export function narrowerRate(wanted: RateLimit, actor: RateLimit): RateLimit {
  return rateWider(wanted, actor) ? actor : wanted;
}

/** An active, unreplaced user key that can manage keys: what keeps a project manageable. */
export function managesKeys(key: KeyRecord, now: number): boolean {
  return key.type !== 'system' && !key.replacedBy && keyStatus(key, now) === 'active' && checkPermission(key, 'keys:write').allowed;
}

/** The rule's checks against the store, each refusal audited. Built by `KeyService`. */
export class Authority {
  constructor(private readonly deps: { store: Store; clock: Clock; audit: AuditLog }) {}

  /**
   * The one authority check every key-changing path goes through — create (in its two halves,
   * the target being known only after the gate check), rotate, revoke, delete, and anything
   * later. A person acting through a bot must be an admin of the project (the bot's viewer key
   * alone never suffices); any other key needs `keys:write`, and then the key acted on (or the key
   * being minted) must be no wider than the actor on any axis of `widerAxes`. The Automator key's
   * own rule replaces the comparison: only a key holding `admin` rotates it. Operators (the CLI
   * against the store) are the platform and are not bounded. Every denial is audited, naming the
   * key acted on.
   */
  async authorize(p: Principal, action: AuditAction, target: { keyId?: string; powers?: Powers; personIsAdmin?: boolean } = {}): Promise<void> {
    await this.requireKeyManager(p, action, target.keyId, target.personIsAdmin);
    if (target.powers) await this.requireWithinActor(p, action, { keyId: target.keyId, powers: target.powers });
  }

  /**
   * Reporting a key exposed (`POST /v1/keys/{id}/report-exposed`) stops it at once, so it needs
   * what stopping it needs — with one exception: a key may always report itself, since whoever
   * holds a key can end it (the report is the key's last act). Any other key goes through
   * `authorize` like a revocation: `keys:write` and a target no wider than the actor; a person
   * through a bot must be an admin of the project; the Automator key (rotated by the report) only
   * by a key holding `admin`. Each refusal is audited as a denied `key.exposed`.
   */
  async requireMayReportExposed(p: Principal, key: KeyRecord, personIsAdmin?: boolean): Promise<void> {
    if (p.kind === 'key' && !p.person && p.key.id === key.id) return;
    await this.authorize(p, 'key.exposed', { keyId: key.id, powers: key, personIsAdmin });
  }

  /**
   * The first half of `authorize`, on its own where the target is known only later (create).
   * `personIsAdmin`: the answer when it was read together with the target (`KeyService.target`).
   */
  async requireKeyManager(p: Principal, action: AuditAction, keyId?: string, personIsAdmin?: boolean): Promise<void> {
    if (p.kind === 'operator') return;
    if (p.person) {
      if (personIsAdmin ?? (await this.deps.store.isAdmin(p.key.projectId, p.person.identity))) return;
      return this.refuse(p, action, { keyId, reason: 'not a project admin' }, new KeywardenError('insufficient_permissions', `${p.person.identity} is not an admin of this project.`));
    }
    if (checkPermission(p.key, 'keys:write').allowed) return;
    return this.refuse(p, action, { keyId, reason: 'missing keys:write' }, insufficient('keys:write'));
  }

  /** The second half: the key acted on, or about to be minted, is no wider than the actor. */
  async requireWithinActor(p: Principal, action: AuditAction, target: { keyId?: string; powers: Powers }): Promise<void> {
    if (p.kind === 'operator' || p.person) return;
    let reason: string;
    let message: string;
    if (target.powers.type === 'system') {
      if (checkPermission(p.key, 'admin').allowed) return;
      reason = `only an admin key may ${VERB[action]} the Automator key`;
      message = `Only a key holding the admin permission may ${VERB[action]} the Automator key.`;
    } else {
      const axes = widerAxes(target.powers, p.key);
      if (axes.length === 0) return;
      reason = `beyond the actor: ${axes.join(', ')}`;
      message = `This key cannot ${VERB[action]} a key with more power than its own (wider ${axes.join(', ')}).`;
    }
    return this.refuse(p, action, { keyId: target.keyId, reason }, new KeywardenError('insufficient_permissions', message));
  }

  /**
   * An edit in place: the key as it stands is one the actor may act on (`requireWithinActor`:
   * the Automator key only with `admin`), and what the edit makes of it is no wider than the actor
   * either — a key can narrow itself or a narrower key, never widen one. On the Automator key,
   * which is wider than any key by its type, only the axes the edit `touches` are compared.
   */
  async requireEditWithinActor(p: Principal, key: KeyRecord, after: Powers, touches: readonly PowerAxis[]): Promise<void> {
    await this.requireWithinActor(p, 'key.update', { keyId: key.id, powers: key });
    if (p.kind === 'operator' || p.person) return;
    const wider = widerAxes(after, p.key);
    const axes = key.type === 'system' ? wider.filter((a) => touches.includes(a)) : wider;
    if (axes.length === 0) return;
    return this.refuse(
      p,
      'key.update',
      { keyId: key.id, reason: `edit beyond the actor: ${axes.join(', ')}` },
      new KeywardenError('insufficient_permissions', `This key cannot give a key more power than its own (wider ${axes.join(', ')}).`),
    );
  }

  /**
   * Every refusal of a key-changing action is a denied attempt in the audit trail, then the
   * documented error. The record spends a person's assertion (a refused action is still its one use).
   */
  async refuse(p: Principal, action: AuditAction, details: { keyId?: string; reason: string }, error: KeywardenError): Promise<never> {
    await this.deps.audit.record(p, action, 'denied', details, { once: true });
    throw error;
  }

  /**
   * A key cannot lock its project out: revoking, deleting or disabling the last active user key
   * that holds `keys:write`, or an edit that takes that power from it, is refused. The Automator key does not count (nobody holds its value); an
   * operator can always issue a fresh admin key with the CLI. `change` (the revocation, deletion,
   * pause or edit) runs under the project's key-managers lease, taken before the check: two key
   * managers removing each other at once are served one after the other, so the second one's
   * check sees the first one's change.
   */
  async keepingAManager<T>(p: Principal, action: AuditAction, key: KeyRecord, change: () => Promise<T>): Promise<T> {
    if (p.kind === 'operator' || !managesKeys(key, this.deps.clock.now())) return change();
    const holder = crypto.randomUUID();
    await this.takeKeyManagersLease(key.projectId, holder);
    try {
      await this.requireNotLastAdminKey(p, action, key);
      return await change();
    } finally {
      await this.deps.store.releaseKeyManagersLease(key.projectId, holder).catch(() => undefined);
    }
  }

  /** Waits (bounded) for the project's key-managers lease; a lease whose holder died runs out by itself. */
  private async takeKeyManagersLease(projectId: string, holder: string): Promise<void> {
    const deadline = performance.now() + LEASE_WAIT_MS;
    for (let attempt = 0; ; attempt++) {
      const now = this.deps.clock.now();
      if (await this.deps.store.acquireKeyManagersLease(projectId, holder, now + LEASE_MS, now)) return;
      if (performance.now() >= deadline) break;
      await backoff(attempt);
    }
    throw new KeywardenError('conflict', 'Another change to the keys that manage this project is in progress; try again in a moment.');
  }

  private async requireNotLastAdminKey(p: Principal, action: AuditAction, key: KeyRecord): Promise<void> {
    let cursor: string | undefined;
    do {
      const page = await this.deps.store.listKeys(key.projectId, { cursor, limit: 200 });
      const now = this.deps.clock.now();
      for (const other of page.items) {
        if (other.id === key.id || !managesKeys(other, now)) continue;
        // The listing index is read eventually consistently: a change that just landed (another
        // manager revoked a moment ago) may not show in it yet, so the key itself is read again.
        const fresh = await this.deps.store.getKey(other.id);
        if (fresh && managesKeys(fresh, this.deps.clock.now())) return;
      }
      cursor = page.nextCursor;
    } while (cursor);
    return this.refuse(
      p,
      action,
      { keyId: key.id, reason: 'last admin key' },
      new KeywardenError('last_admin_key', `Key ${key.id} is the project's last active key that can manage keys; create another one first, or ask an operator.`),
    );
  }
}
