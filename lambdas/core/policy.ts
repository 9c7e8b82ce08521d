import { KeywardenError } from './errors';
import type { Principal } from './principal';
import type { KeyRecord } from './types';

/**
 * One policy check for every permission question. The key's scopes are the ceiling (`admin` holds
 * every permission); when the key carries roles, at least one role must also grant the permission,
 * and that role's row filters — with `${context.name}` resolved from the key's context — are
 * returned for the caller to apply, and checked against any resource attributes supplied.
 */
export type PolicyDecision =
  | { allowed: true; filters: Record<string, string>[] }
  | { allowed: false; reason: 'scope' | 'role' | 'filter' };

export function checkPermission(
  key: Pick<KeyRecord, 'scopes' | 'roles' | 'context'>,
  permission: string,
  resource: Record<string, string> = {},
): PolicyDecision {
  const scopes = key.scopes as readonly string[];
  if (!scopes.includes('admin') && !scopes.includes(permission)) return { allowed: false, reason: 'scope' };
  if (key.roles.length === 0) return { allowed: true, filters: [] };

  const granting = key.roles.filter((r) => r.permissions.includes(permission) || r.permissions.includes('*'));
  if (granting.length === 0) return { allowed: false, reason: 'role' };

  const filters = granting.map((r) => resolveFilters(r.filters ?? {}, key.context));
  // Unrestricted role, or any role whose filters the resource satisfies.
  const matches = filters.some((f) =>
    Object.entries(f).every(([attr, value]) => !Object.hasOwn(resource, attr) || resource[attr] === value),
  );
  if (!matches) return { allowed: false, reason: 'filter' };
  return { allowed: true, filters: filters.filter((f) => Object.keys(f).length > 0) };
}

/** Row filters with `${context.name}` read from the key's own context (own properties only, never the prototype). */
export function resolveFilters(filters: Record<string, string>, context: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [attr, value] of Object.entries(filters)) {
    out[attr] = value.replace(/\$\{context\.([A-Za-z0-9_.-]+)\}/g, (_, name: string) => (Object.hasOwn(context, name) ? context[name]! : ''));
  }
  return out;
}

/** The documented refusal for a missing permission. */
export function insufficient(permission: string): KeywardenError {
  return new KeywardenError('insufficient_permissions', `This key lacks the ${permission} permission.`);
}

/** Reading keys or the audit trail: an operator may; a key needs the permission. */
export function requireRead(p: Principal, permission: 'keys:read' | 'audit:read' | 'bots:read'): void {
  if (p.kind === 'operator') return;
  if (!checkPermission(p.key, permission).allowed) throw insufficient(permission);
}
