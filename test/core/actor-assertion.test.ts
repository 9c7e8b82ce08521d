import { describe, expect, it } from 'vitest';
import { signAssertion, verifyAssertion } from '../../lambdas/core/actor-assertion';

const secret = 'bot-only-secret';
const claims = { sub: 'slack:T1:U1', bot: 'slack' as const, kid: 'key_abc' };

describe('actor assertion', () => {
  it('verifies a fresh assertion bound to the calling key', () => {
    const token = signAssertion(secret, claims);
    const check = verifyAssertion(secret, token, 'key_abc');
    expect(check.ok && check.claims.sub).toBe('slack:T1:U1');
  });

  it('refuses another secret, another key, tampering, expiry and garbage', () => {
    const token = signAssertion(secret, claims);
    expect(verifyAssertion('other', token, 'key_abc')).toEqual({ ok: false, reason: 'signature' });
    expect(verifyAssertion(secret, token, 'key_other')).toEqual({ ok: false, reason: 'wrong_key' });
    const [v, payload, mac] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), sub: 'slack:T1:UADMIN' })).toString('base64url');
    expect(verifyAssertion(secret, `${v}.${forged}.${mac}`, 'key_abc')).toEqual({ ok: false, reason: 'signature' });
    const old = signAssertion(secret, claims, Date.now() - 10 * 60_000);
    expect(verifyAssertion(secret, old, 'key_abc')).toEqual({ ok: false, reason: 'expired' });
    const tooLong = signAssertion(secret, claims, Date.now(), 3600);
    expect(verifyAssertion(secret, tooLong, 'key_abc')).toEqual({ ok: false, reason: 'expired' });
    expect(verifyAssertion(secret, 'nonsense', 'key_abc')).toEqual({ ok: false, reason: 'malformed' });
  });
});
