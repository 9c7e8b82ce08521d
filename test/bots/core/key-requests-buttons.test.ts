import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../../bots/core';
import { decodeKeyRequestButton, encodeKeyRequestButton, requestCardDelivery, requestedKeyText } from '../../../bots/core/key-request-approvals';

/** The pure parts of key requests in chat (bots/core/key-request-approvals.ts): buttons, words, the once-per-admin claim, `collect`. */
describe('key request buttons', () => {
  const requestId = 'kreq_0123456789abcdef';

  it('round-trips each op and refuses anything else: a forged op, a bad id, an identity smuggled in, not JSON', () => {
    for (const op of ['approve', 'deny', 'collect'] as const) expect(decodeKeyRequestButton(encodeKeyRequestButton({ op, requestId }))).toEqual({ op, requestId });
    expect(decodeKeyRequestButton(JSON.stringify({ op: 'revoke', requestId }))).toBeUndefined();
    expect(decodeKeyRequestButton(JSON.stringify({ op: 'approve', requestId: 'key_0123456789abcdef' }))).toBeUndefined();
    expect(decodeKeyRequestButton(JSON.stringify({ op: 'approve', requestId: `${requestId}x` }))).toBeUndefined();
    // Whoever clicks acts: an identity in the value is dropped, never used.
    expect(decodeKeyRequestButton(JSON.stringify({ op: 'approve', requestId, as: 'slack:T1:UADMIN' }))).toEqual({ op: 'approve', requestId });
    expect(decodeKeyRequestButton('approve')).toBeUndefined();
  });

  it('names the card claim per request, bot and admin; says exactly the key asked for', () => {
    expect(requestCardDelivery('slack', requestId, 'slack:T1:UA')).toBe(`key-request:${requestId}:slack:slack:T1:UA`);
    const words = requestedKeyText({
      key: { name: 'n', type: 'viewer', scopes: ['models:read'], roles: null, context: null, prefix: null, expiresInSeconds: 30 * 86_400, rateLimit: null, models: ['archibot'], budget: { credits: 20, period: 'month' }, tokenLimit: null, maxConcurrent: null },
    } as never);
    expect(words).toBe('viewer; scopes models:read; models archibot; budget 20/month; expires 30d after approval');
  });

  it('`collect <request-id>` takes a request id and nothing else', () => {
    expect(parseCommand(`collect ${requestId}`)).toEqual({ ok: true, command: { name: 'collect', requestId } });
    expect(parseCommand('collect my key')).toMatchObject({ ok: false, reason: 'invalid' });
    expect(parseCommand('collect')).toMatchObject({ ok: false, reason: 'invalid' });
  });
});
