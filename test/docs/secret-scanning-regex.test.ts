import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generateKey, parseKey } from '../../lambdas/core/key-format';

/**
 * The regular expression docs/operating.md tells operators to send GitHub is the key format's
 * (lambdas/core/key-format.ts): it finds every key in text around it, whole, and nothing a
 * character shorter or longer. A change of the format fails here until the docs follow.
 */
const DOC = readFileSync(fileURLToPath(new URL('../../docs/operating.md', import.meta.url)), 'utf8');
const section = DOC.slice(DOC.indexOf('**The regular expression.**'));
const documented = /```\n(.+)\n```/.exec(section)?.[1] ?? '';

describe('the GitHub secret scanning regular expression in docs/operating.md', () => {
  it('finds every default-prefix key, whole, inside the text around it', () => {
    expect(documented).toBe('\\barchie_[0-9A-Za-z]{28}\\b');
    const regex = new RegExp(documented, 'g');
    for (let i = 0; i < 500; i++) {
      const key = generateKey();
      expect([...`OPENAI_API_KEY="${key}"\nexport X=${key};`.matchAll(regex)].map((m) => m[0])).toEqual([key, key]);
    }
  });

  it('misses what is no key: another prefix, a character short or long, an identifier it is part of', () => {
    const regex = new RegExp(documented);
    const key = generateKey();
    for (const text of [generateKey('acme'), key.slice(0, -1), `${key}A`, `x${key}`, `${key}_more`]) expect(regex.test(text), text).toBe(false);
    expect(parseKey(key).ok).toBe(true);
  });
});
