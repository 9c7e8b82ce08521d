import { describe, expect, it } from 'vitest';
import { checkPermission } from '../../lambdas/core/policy';
import { resolveScopes, SCOPES, VIEWER_CEILING } from '../../lambdas/core/scopes';

describe('scopes by key type', () => {
  it('privileged and system keys get every scope by default', () => {
    expect(resolveScopes('privileged', undefined)).toEqual({ ok: true, scopes: [...SCOPES] });
    expect(resolveScopes('system', [])).toEqual({ ok: true, scopes: [...SCOPES] });
  });

  it('viewer keys hold only *:read, models:read and responses:write, and can never be widened', () => {
    expect(VIEWER_CEILING.every((s) => s.endsWith(':read') || s === 'responses:write')).toBe(true);
    expect(VIEWER_CEILING).toContain('models:read');
    expect(resolveScopes('viewer', ['keys:write'])).toEqual({ ok: false, invalid: ['keys:write'] });
    expect(resolveScopes('viewer', ['admin'])).toEqual({ ok: false, invalid: ['admin'] });
    expect(resolveScopes('viewer', ['bots:read'])).toEqual({ ok: true, scopes: ['bots:read'] });
  });

  it('rejects words outside the vocabulary', () => {
    expect(resolveScopes('privileged', ['bots:read', 'root'])).toEqual({ ok: false, invalid: ['root'] });
  });
});

describe('policy check', () => {
  const base = { scopes: ['bots:read', 'bots:write'] as any, roles: [], context: {} };

  it('scopes are the ceiling; admin holds everything', () => {
    expect(checkPermission(base, 'bots:read').allowed).toBe(true);
    expect(checkPermission(base, 'channels:read')).toEqual({ allowed: false, reason: 'scope' });
    expect(checkPermission({ ...base, scopes: ['admin'] as any }, 'channels:write').allowed).toBe(true);
  });

  it('roles must also grant the permission, and their row filters read the key context', () => {
    const key = {
      scopes: ['bots:read', 'bots:write'] as any,
      roles: [{ name: 'regional-reader', permissions: ['bots:read'], filters: { region: '${context.region}' } }],
      context: { region: 'eu' },
    };
    expect(checkPermission(key, 'bots:write')).toEqual({ allowed: false, reason: 'role' });
    expect(checkPermission(key, 'bots:read')).toEqual({ allowed: true, filters: [{ region: 'eu' }] });
    expect(checkPermission(key, 'bots:read', { region: 'eu' }).allowed).toBe(true);
    expect(checkPermission(key, 'bots:read', { region: 'us' })).toEqual({ allowed: false, reason: 'filter' });
  });
});
