import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findKeysInText, looksLikeKey } from '../../lambdas/core/key-scan';
import { redactKeys, WITHHELD } from '../../lambdas/core/redact-keys';
import { checksum, generateKey, startOf } from '../../lambdas/core/key-format';

/**
 * The leak guard's scanner reads text as people see it (issue 19 point 7): formatting marks,
 * links, tags, invisible characters and line breaks inside a key do not hide it, and the
 * redaction of what the bots echo catches the same shapes. Only format + checksum count.
 */
const key = generateKey();
const other = generateKey('sk');

/** What may sit inside a key and not be seen: a formatting mark, an invisible character, a line break, a tag. */
const invisible = fc.constantFrom(
  '_', '*', '~', '`', '**', '__', '~~',
  '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad', '\u200e', '\u202e', '\u2066', '\ufe0f', '\u180e', '\u034f',
  '\n', '\r\n', ' \n  ', '\u2028',
  '<b>', '</i>', '<br/>', '<span class="x">', '&#8203;', '&zwj;',
);
/** Wrappers a chat message may put around a key. */
const wrap = fc.constantFrom<[string, string]>(
  ['', ''], ['_', '_'], ['*', '*'], ['~', '~'], ['`', '`'], ['```\n', '\n```'], ['<https://x.example/a|', '>'], ['<https://x.example/?k=', '|label>'],
  ['<p><em>', '</em></p>'], ['**', '**'], ['[link](https://x.example/', ')'], ['"', '"'], ['KEY=', '\n'], ['word', 'word'], ['&lt;', '&gt;'],
);

/** `raw` with `marks` inserted at the given positions (each position taken modulo the length). */
function disguise(raw: string, inserts: [number, string][], [before, after]: [string, string]): string {
  const chars = [...raw];
  const sorted = [...inserts].map(([at, mark]) => [at % (chars.length + 1), mark] as const).sort((a, b) => b[0] - a[0]);
  for (const [at, mark] of sorted) chars.splice(at, 0, mark);
  return `${before}${chars.join('')}${after}`;
}

describe('findKeysInText', () => {
  it('finds a key in Slack italics, bold, strike, code, links and quotes, and in Teams HTML', () => {
    for (const text of [
      `_${key}_`, `*${key}*`, `~${key}~`, `\`${key}\``, `<https://example.com|${key}>`, `<https://example.com/?t=${key}>`,
      `<p><i>${key}</i></p>`, `<a href="https://x.example/${key}">here</a>`, `> ${key}`, `«${key}»`, `_hi ${key} there_`,
    ]) {
      expect(findKeysInText(text), text).toEqual([key]);
    }
  });

  it('finds a key with zero-width characters, tags or a line break inside it, glued to words, or written with character references', () => {
    for (const text of [
      `${key.slice(0, 10)}\u200b${key.slice(10)}`, `${key.slice(0, 3)}\u2060${key.slice(3, 12)}\ufeff${key.slice(12)}`,
      `${key.slice(0, 16)}\n${key.slice(16)}`, `${key.slice(0, 16)}\r\n    ${key.slice(16)}`, `${key.slice(0, 9)}<b>${key.slice(9)}</b>`,
      `prefix${key}suffix`, key.replace('_', '&#95;'), `${key.slice(0, 4)}&#x200B;${key.slice(4)}`, key.replace(/a/g, '&#97;'),
      key.replace('_', '%5F'), key.replace(/a/g, '\u0430').replace(/o/g, '\u043e').replace(/A/g, '\u0391'),
    ]) {
      expect(findKeysInText(text), JSON.stringify(text)).toEqual([key]);
    }
  });

  it('finds every distinct key however many come first (an env file), in order', () => {
    const many = Array.from({ length: 150 }, (_, i) => generateKey(i % 2 ? 'archie' : 'ci'));
    const text = [...many, key, many[0]].map((k, i) => `VAR_${i}=${k}`).join('\n');
    expect(findKeysInText(text)).toEqual([...many, key]);
  });

  it('counts only what passes format and checksum: look-alikes, snake_case and prose find nothing', () => {
    const body = key.slice(0, -6);
    const wrongSum = body + (checksum(body) === 'AAAAAA' ? 'AAAAAB' : 'AAAAAA');
    for (const text of [wrongSum, `_${wrongSum}_`, 'a_very_long_snake_case_identifier_that_goes_on_and_on', 'nothing here', `${key.slice(0, 20)} ${key.slice(20)}`]) {
      expect(findKeysInText(text), text).toEqual([]);
    }
    expect(looksLikeKey(`_${wrongSum}_`)).toBe(true);
    expect(looksLikeKey('a_very_long_snake_case_identifier_that_goes_on_and_on')).toBe(false);
  });

  it('property: any key with any mix of formatting marks, invisible characters, tags and line breaks inserted anywhere is found', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(key, other, generateKey('a1'), generateKey('abcdefghijkl')),
        fc.array(fc.tuple(fc.nat(), invisible), { maxLength: 6 }),
        wrap,
        fc.constantFrom('', 'see ', 'TOKEN=', 'x', '\n'),
        (raw, inserts, around, lead) => {
          const text = lead + disguise(raw, inserts, around);
          expect(findKeysInText(text)).toContain(raw);
          // And what the bots echo never carries it, in any shape the scanner would see.
          const redacted = redactKeys(text);
          expect(findKeysInText(redacted)).toEqual([]);
          expect(redacted).not.toContain(raw);
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('redactKeys (what the bots, the local model and operator errors echo)', () => {
  it('replaces each shape by the key’s start, keeping the text around it', () => {
    expect(redactKeys(`hi _${key}_ there`)).toBe(`hi _${startOf(key)}…_ there`);
    expect(redactKeys(`a ${key.slice(0, 10)}\u200b${key.slice(10)} b`)).toBe(`a ${startOf(key)}… b`);
    expect(redactKeys(`a ${key.slice(0, 10)}\n${key.slice(10)} b`)).toBe(`a ${startOf(key)}… b`);
    expect(redactKeys('no key here')).toBe('no key here');
  });

  it('redacts a serialised message string by string and keeps it valid JSON (a key split by an escaped line break)', () => {
    const message = { text: `see ${key.slice(0, 12)}\n${key.slice(12)}`, blocks: [{ text: `*${key}*` }] };
    const out = redactKeys(JSON.stringify(message));
    expect(JSON.parse(out)).toEqual({ text: `see ${startOf(key)}…`, blocks: [{ text: `*${startOf(key)}…*` }] });
  });

  it('falls back to the readable text when only normalisation shows the key (full-width letters)', () => {
    const wide = [...key].map((c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0)).join('');
    expect(findKeysInText(wide)).toEqual([key]);
    const out = redactKeys(`look: ${wide}`);
    expect(findKeysInText(out)).toEqual([]);
    expect([`look: ${startOf(key)}…`, WITHHELD]).toContain(out);
  });

  it('a key near its own first characters followed by spaced line breaks is redacted at once (the match was exponential: 7 s for 200 characters)', { timeout: 2_000 }, () => {
    const spaced = `${' '.repeat(10)}\n${' '.repeat(10)}`.repeat(10);
    const out = redactKeys(`${key.slice(0, 10)}\n${key.slice(10)} and ${key.slice(0, 3)}${spaced}x`);
    expect(out.startsWith(`${startOf(key)}… and `)).toBe(true);
  });

  it('a key written with character references of its own letters, between others, is still redacted', () => {
    const referenced = [...key].map((c, i) => (i % 3 ? c : `&#${c.codePointAt(0)};&#8203;`)).join('');
    expect(findKeysInText(referenced)).toEqual([key]);
    expect(redactKeys(`a ${referenced} b`)).toBe(`a ${startOf(key)}… b`);
  });
});

describe('scanning stays linear (it runs on every request’s query and id slots)', () => {
  it('64 KB of spaces, of spaced line breaks, of underscores between key-shaped runs: at once', { timeout: 2_000 }, () => {
    for (const text of [' '.repeat(65_536), '   \n   '.repeat(9_000), 'abcdefghijkl_ABCDEFGHIJKLMNOPQRSTUVWXYZab_'.repeat(1_600)]) {
      expect(findKeysInText(text)).toEqual([]);
      expect(redactKeys(text)).toBe(text);
    }
  });
});
