import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BASE62 } from '../../lambdas/core/base62';
import { CHECKSUM_LENGTH, generateKey, parseKey, RANDOM_LENGTH, startOf } from '../../lambdas/core/key-format';
import { findKeysInText } from '../../lambdas/core/key-scan';

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

  it('finds real keys in free text, glued to other text too, and ignores look-alikes that fail the checksum', () => {
    const real = generateKey('archie');
    const glued = generateKey();
    const fake = `${real.slice(0, -1)}${real.endsWith('a') ? 'b' : 'a'}`;
    const text = `deploy with ${real}, not ${fake} — also x${glued}y is glued to other text`;
    expect(findKeysInText(text)).toEqual([real, glued]);
  });
});

/**
 * findKeysInText is the one scanner every check uses (a key in a URL or an id slot, the typed
 * client, the local model, the bots): a key disguised by something a reader or a URL decoder does
 * not see is still that key, and text without a key finds nothing (only checksum-passing strings).
 */
describe('findKeysInText reads keys as people see them', () => {
  const unseen = fc.constantFrom(
    '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad', '\u200e', '\u202e', '\u2066', '\ufe0f', '\u180e', '\u034f', '\u061c',
    '*', '~', '`', '**', '_', '\n', '\r\n', ' \n ', '\u2028', '<b>', '</i>', '&#8203;', '&zwj;',
  );

  it('property: a key with zero-width characters or formatting marks inserted anywhere is found', () => {
    fc.assert(
      fc.property(prefixArb, fc.array(fc.tuple(fc.nat(), unseen), { minLength: 1, maxLength: 5 }), fc.constantFrom('', ' ', 'search=', 'x'), (prefix, inserts, lead) => {
        const key = generateKey(prefix);
        const chars = [...key];
        for (const [at, mark] of [...inserts].sort((a, b) => b[0] - a[0])) chars.splice(at % (chars.length + 1), 0, mark);
        expect(findKeysInText(lead + chars.join(''))).toEqual([key]);
      }),
      { numRuns: 500 },
    );
  });

  it('property: random text without a key finds nothing, key-shaped text included', () => {
    const keyish = fc.stringMatching(/^[a-z][a-z0-9]{1,11}_[0-9A-Za-z_\u200b]{22,40}$/);
    const keyId = fc.stringMatching(/^key_[0-9A-Za-z]{22}$/);
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), keyish, keyId, fc.constantFrom('_', '\u200b', '%5F', '&#95;', '\n')), { maxLength: 30 }), (parts) => {
        expect(findKeysInText(parts.join(''))).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it('a key id (key_ and 22 characters) is no key', () => {
    expect(findKeysInText('key_0000000000000000000000 key_AbCdEfGhIjKlMnOpQrStUv')).toEqual([]);
  });
});
