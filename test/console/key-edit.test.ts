import { describe, expect, it } from 'vitest';
import { changes, draftOf } from '../../console/src/key-edit';
import { allModelsRefusal, beyondActor, ceilingOf, editBlocked, expiryRefusal, neverRefusal, rateRefusal, scopeRefusal, systemBlocked } from '../../console/src/powers';
import { sampleApiKey } from '../support/sample-api-key';

/**
 * The Edit dialog's logic without a browser (console/src/key-edit.ts, powers.ts): a PATCH carries
 * only what changed, and each choice wider than the signed-in key is named with its reason.
 */
const NOW = Date.parse('2026-06-01T00:00:00Z');
const key = sampleApiKey({ metadata: { team: 'ops' }, models: ['gpt-a'], scopes: ['keys:read', 'bots:read'] });
type Me = Parameters<typeof ceilingOf>[1];
const keySession = { kind: 'key', actor: 'key:key_x', operator: null } as unknown as Parameters<typeof ceilingOf>[0];

describe('the Edit dialog’s PATCH body', () => {
  it('is empty when nothing changed', () => {
    expect(changes(key, draftOf(key), NOW)).toEqual({ body: {}, problems: [] });
  });

  it('carries only the changed fields, null removing what may be absent', () => {
    const draft = { ...draftOf(key), name: '  Renamed ', limit: '100', metadata: [], allModels: true, never: true };
    expect(changes(key, draft, NOW)).toEqual({ body: { name: 'Renamed', rateLimit: { limit: 100, windowSeconds: 60 }, metadata: null, models: null, expiresAt: null }, problems: [] });
  });

  it('sends scopes in the vocabulary’s order and an expiry as ISO UTC', () => {
    const draft = { ...draftOf(key), scopes: ['keys:read', 'keys:write', 'bots:read'], expiresAt: '2026-12-31T23:59', metadata: [{ name: 'team', value: 'ops' }, { name: 'tier', value: 'gold' }] };
    expect(changes(key, draft, NOW).body).toEqual({ scopes: ['bots:read', 'keys:read', 'keys:write'], expiresAt: '2026-12-31T23:59:00.000Z', metadata: { team: 'ops', tier: 'gold' } });
  });

  it('names what must be fixed instead of sending it', () => {
    const draft = { ...draftOf(key), name: ' ', scopes: [], allModels: false, models: [], limit: '0', windowSeconds: '1.5', expiresAt: '2026-01-01T00:00', metadata: [{ name: '9bad', value: 'x' }] };
    const { problems } = changes(key, draft, NOW);
    expect(problems).toHaveLength(7);
    expect(problems.join(' ')).toMatch(/name.*Metadata names.*scope.*model.*Requests.*Window.*future/);
  });
});

describe('what the signed-in actor may set', () => {
  const viewer = { type: 'viewer', scopes: ['keys:read', 'models:read'], rateLimit: { limit: 100, windowSeconds: 60 }, models: ['gpt-a', 'gpt-b'], expiresAt: '2026-09-01T00:00:00.000Z' } as unknown as Me;
  const ceiling = ceilingOf(keySession, viewer);

  it('a narrower key: wider choices each carry a reason', () => {
    expect(ceiling.blocked).toMatch(/keys:write/);
    expect(scopeRefusal(ceiling, 'keys:write')).toBe('your key does not hold it');
    expect(scopeRefusal(ceiling, 'keys:read')).toBeUndefined();
    expect(allModelsRefusal(ceiling)).toBe('your key may call only 2 models');
    expect(rateRefusal(ceiling, { limit: 100, windowSeconds: 30 })).toMatch(/wider than your key’s own 100 requests per 60 s/);
    expect(rateRefusal(ceiling, { limit: 50, windowSeconds: 30 })).toBeUndefined();
    expect(neverRefusal(ceiling)).toMatch(/your key expires 2026-09-01 00:00 UTC/);
    expect(expiryRefusal(ceiling, '2026-10-01T00:00:00Z')).toMatch(/after your key expires/);
    expect(expiryRefusal(ceiling, '2026-08-01T00:00:00Z')).toBeUndefined();
    expect(systemBlocked(ceiling, sampleApiKey({ type: 'system' }))).toMatch(/admin/);
  });

  it('a key that already holds more than the actor is named with the wider axes', () => {
    const writer = ceilingOf(keySession, { ...viewer, scopes: ['keys:read', 'keys:write', 'models:read'] } as Me);
    expect(editBlocked(writer, sampleApiKey({ type: 'viewer', scopes: ['keys:read'], models: ['gpt-a'], rateLimit: { limit: 10, windowSeconds: 60 }, expiresAt: '2026-08-01T00:00:00.000Z' }))).toBeUndefined();
    expect(beyondActor(writer, sampleApiKey({ scopes: ['bots:write'], models: null, rateLimit: { limit: 100, windowSeconds: 30 }, expiresAt: null }))).toEqual(['type', 'scopes', 'rate limit', 'models', 'expiry']);
    expect(editBlocked(writer, sampleApiKey())).toMatch(/^This key already holds more than yours \(wider type, rate limit, models, expiry\)/);
  });

  it('a person’s session (a project admin) is not bounded by a key', () => {
    const person = ceilingOf({ ...keySession, kind: 'person' }, viewer);
    expect(person).toEqual({ actor: null });
    expect([scopeRefusal(person, 'admin'), allModelsRefusal(person), rateRefusal(person, { limit: 1_000_000, windowSeconds: 1 }), neverRefusal(person)]).toEqual([undefined, undefined, undefined, undefined]);
  });
});
