import { resolveFilters } from './policy';
import type { KeyType } from './scopes';
import type { KeyRecord, RateLimit, Role } from './types';

/**
 * SPEC §3 "Authority": a key never acts beyond its own power. Everything a key can do is captured
 * by these fields; a key may create, rotate, revoke or delete only keys whose powers are no wider
 * than its own on every axis. This module answers one question — "is `target` wider than `actor`,
 * and where?" — and `KeyService.authorize` asks it on every key-changing path.
 */
export type Powers = Pick<KeyRecord, 'type' | 'scopes' | 'roles' | 'context' | 'rateLimit' | 'expiresAt'> & {
  models?: string[];
  graceUntil?: number;
};

/** The axes a target can exceed its actor on, in the order they are reported. */
export type PowerAxis = 'type' | 'scopes' | 'roles' | 'rate limit' | 'models' | 'expiry';

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
  return out;
}

/**
 * A limit is wider when it admits a larger burst (more requests in one window) or a higher
 * sustained rate. Cross-multiplied so no rounding can let a wider limit through.
 */
export function rateWider(target: RateLimit, actor: RateLimit): boolean {
  return target.limit > actor.limit || target.limit * actor.windowSeconds > actor.limit * target.windowSeconds;
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

/** The narrowest of two limits on both axes: the default a limited actor hands out. */
export function narrowerRate(wanted: RateLimit, actor: RateLimit): RateLimit {
  return rateWider(wanted, actor) ? actor : wanted;
}
