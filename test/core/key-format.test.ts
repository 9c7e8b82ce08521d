import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BASE62 } from '../../lambdas/core/base62';
import { CHECKSUM_LENGTH, findKeysInText, generateKey, parseKey, RANDOM_LENGTH, startOf } from '../../lambdas/core/key-format';

const prefixArb = fc.stringMatching(/^[a-z][a-z0-9]{1,11}$/);

describe('key format', () => {
  it('round-trips: every generated key parses, with its prefix and visible start', () => {
    fc.assert(
      fc.property(prefixArb, (prefix) => {
        const key = generateKey(prefix);
        expect(key).toMatch(new RegExp(`^${prefix}_[0-9A-Za-z]{${RANDOM_LENGTH + CHECKSUM_LENGTH}}$`));
        const parsed = parseKey(key);
        expect(parsed).toEqual({ ok: true, prefix, start: startOf(key) });
        expect(startOf(key)).toBe(key.slice(0, prefix.length + 5));
      }),
    );
  });

  it('any single-character change in random part or checksum fails the checksum', () => {
    fc.assert(
      fc.property(prefixArb, fc.nat(), fc.nat(60), (prefix, at, delta) => {
        const key = generateKey(prefix);
        const body = prefix.length + 1;
        const i = body + (at % (RANDOM_LENGTH + CHECKSUM_LENGTH));
        const replacement = BASE62[(BASE62.indexOf(key[i]!) + delta + 1) % 62]!;
        const changed = key.slice(0, i) + replacement + key.slice(i + 1);
        expect(parseKey(changed)).toEqual({ ok: false, reason: 'checksum' });
      }),
      { numRuns: 500 },
    );
  });

  it('a changed prefix also fails: the checksum covers the whole key body', () => {
    const key = generateKey('archie');
    expect(parseKey(`archib${key.slice(6)}`).ok).toBe(false);
  });

  it('has at least 128 bits of randomness', () => {
    expect(RANDOM_LENGTH * Math.log2(62)).toBeGreaterThanOrEqual(128);
    const seen = new Set(Array.from({ length: 2000 }, () => generateKey().slice(7, 7 + RANDOM_LENGTH)));
    expect(seen.size).toBe(2000);
  });

  it('prefix rules: lowercase letter first, 2-12 chars of [a-z0-9]', () => {
    for (const bad of ['A', 'a', '1abc', 'ab-c', 'abcdefghijklm', 'Archie', '']) {
      expect(() => generateKey(bad)).toThrow();
    }
    fc.assert(
      fc.property(fc.string(), (s) => {
        const ok = /^[a-z][a-z0-9]{1,11}$/.test(s);
        if (ok) expect(parseKey(generateKey(s)).ok).toBe(true);
        else expect(() => generateKey(s)).toThrow();
      }),
    );
  });

  it('rejects malformed strings by format before any lookup', () => {
    for (const bad of ['', 'archie_', 'archie_short', `ARCHIE_${'a'.repeat(28)}`, `archie-${'a'.repeat(28)}`, `archie_${'a'.repeat(29)}`, 'Bearer x']) {
      expect(parseKey(bad)).toEqual({ ok: false, reason: 'format' });
    }
  });

  it('finds real keys in free text and ignores look-alikes that fail the checksum', () => {
    const real = generateKey('archie');
    const fake = `${real.slice(0, -1)}${real.endsWith('a') ? 'b' : 'a'}`;
    const text = `deploy with ${real}, not ${fake} — also x${generateKey()}y is glued to other text`;
    expect(findKeysInText(text)).toEqual([real]);
  });
});
