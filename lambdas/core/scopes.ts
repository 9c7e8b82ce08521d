/** Scope vocabulary (SPEC §3): seed 002's platform scopes plus the chat runtime and key management. */
export const SCOPES = [
  'bots:read',
  'bots:write',
  'integrations:read',
  'integrations:write',
  'channels:read',
  'channels:write',
  'conversations:read',
  'conversations:write',
  'agent-loops:read',
  'agent-loops:write',
  'admin',
  'models:read',
  'responses:write',
  'keys:read',
  'keys:write',
  'audit:read',
  'webhooks:read',
  'webhooks:write',
] as const;
export type Scope = (typeof SCOPES)[number];

export const KEY_TYPES = ['privileged', 'viewer', 'system'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

export function isScope(s: string): s is Scope {
  return (SCOPES as readonly string[]).includes(s);
}

/** What a Locked-Down Viewer key may ever hold: every `*:read`, plus the chat runtime. Never widened. */
export const VIEWER_CEILING: readonly Scope[] = SCOPES.filter(
  (s) => s.endsWith(':read') || s === 'responses:write',
);

/** The most a key of this type may hold; `privileged` and `system` get everything by default. */
export function scopeCeiling(type: KeyType): readonly Scope[] {
  return type === 'viewer' ? VIEWER_CEILING : SCOPES;
}

/** Scopes requested for a new key, checked against its type's ceiling. */
export function resolveScopes(
  type: KeyType,
  requested: readonly string[] | undefined,
): { ok: true; scopes: Scope[] } | { ok: false; invalid: string[] } {
  const ceiling = scopeCeiling(type);
  if (requested === undefined || requested.length === 0) return { ok: true, scopes: [...ceiling] };
  const invalid = requested.filter((s) => !isScope(s) || !ceiling.includes(s));
  if (invalid.length > 0) return { ok: false, invalid };
  return { ok: true, scopes: [...new Set(requested as Scope[])] };
}
