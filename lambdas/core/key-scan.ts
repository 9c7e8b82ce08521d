import { crc32 } from 'node:zlib';
import { BASE62 } from './base62';
import { CHECKSUM_LENGTH, RANDOM_LENGTH, parseKey } from './key-format';

/**
 * The one key scanner of the product: keys in text as people see them (issue 19 point 7). Every
 * place that must not let a key through reads text with it — the key-in-URL check and id slots of
 * every request (lambdas/http), the typed client before it sends a URL, the local model and the
 * operator's error lines before they say text back (via redact-keys.ts), the bots' leak guard and
 * redaction. The offline test stays the one in key-format.ts — format plus CRC32 checksum — so
 * look-alike text never counts; what changes is what the scanner reads. Text is first normalised
 * the way a reader's eye (or a log viewer, or a URL decoder) does:
 *
 *   - HTML character references decoded (`&amp;`, `&#95;`, `&#x5f;`; Slack escapes `& < >`, Teams
 *     sends HTML), `%5F` read as `_`, and the text NFKC-folded (full-width and styled letters read
 *     as ASCII), Cyrillic and Greek letters drawn like ASCII ones folded too;
 *   - invisible characters dropped: every Default_Ignorable_Code_Point and format (Cf) character —
 *     zero-width space and joiners, word joiner, BOM, soft hyphen, bidi controls, variation
 *     selectors, Hangul fillers;
 *   - formatting marks dropped: `*` bold, `~` strike, `` ` `` code (Slack mrkdwn, markdown);
 *   - line breaks dropped with the spaces around them, so a key wrapped over lines reads whole;
 *   - HTML tags (`<i>`, `<p>`, `<br/>`, `<span …>`) read both ways: once removed (`arc<b>hie</b>`
 *     reads `archie`), once as separators (a key inside an attribute or Slack's `<url|label>`).
 *
 * `_` is both Slack's italic mark and the key's own separator, so it cannot simply be dropped.
 * The scan instead tries each `_` as the separator: up to 12 lowercase letters and digits
 * before it (underscores skipped) as the prefix, the next 28 letters and digits after it
 * (underscores skipped) as random part and checksum, and keeps what passes the checksum. So
 * `_archie_…_` (italics), `arc_hie_…` and a key glued to the words around it are all found.
 *
 * Cost: linear in the text, with no backtracking regex — it runs on every request's query and id
 * slots. Plain ASCII without `&` or `<` (nearly every URL) skips the Unicode passes and reads as
 * one form. Per `_`: a table lookup and, only when the six characters after the 22 random ones
 * decode to a value a CRC32 can have (< 2^32: about 1 tail in 13), at most 11 checksums.
 */
const TAIL = RANDOM_LENGTH + CHECKSUM_LENGTH;
const MAX_PREFIX = 12;

const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cf}]/gu;
const FORMAT_MARKS = /[*~`]/g;
const LINE_BREAK = /\r\n|[\n\r\v\f\u0085\u2028\u2029]/;
/** A tag, `<br/>` and `<br />` included; one way to match each tag (redact-keys.ts repeats it). */
export const HTML_TAG = /<\/?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*|\/)?>/g;
const CHAR_REFERENCE = /&(#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z]{2,8});/g;
/** `_` percent-encoded (a key pasted through a URL encoder). */
const ESCAPED_UNDERSCORE = /%5[Ff]/g;
/**
 * Cyrillic and Greek letters drawn like ASCII ones (Unicode confusables that NFKC leaves alone):
 * a key retyped with them reads the same. Only checksum-passing results count, so folding them
 * adds no look-alikes.
 */
const ASCII_OF: Record<string, string> = Object.fromEntries(
  [...'аеорсхуіјѕԁһӏԛԝАВЕКМНОРСТХУІЈЅΑΒΕΖΗΙΚΜΝΟΡΤΥΧονϲ'].map((c, i) => [c, 'aeopcxyijsdhlqwABEKMHOPCTXYIJSABEZHIKMNOPTYXovc'[i]!]),
);
const LOOKALIKES = new RegExp(`[${Object.keys(ASCII_OF).join('')}]`, 'g');
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', shy: '', zwj: '', zwnj: '', lrm: '', rlm: '', lowbar: '_', ast: '*' };

function decodeReferences(text: string): string {
  return text.replace(CHAR_REFERENCE, (whole, ref: string) => {
    if (ref[0] !== '#') return NAMED[ref.toLowerCase()] ?? whole;
    const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : whole;
  });
}

const isSpaceOrTab = (code: number) => code === 0x20 || code === 0x09;

/**
 * Line breaks dropped with the spaces and tabs around them. Not one regex: `[ \t]*` before a
 * break would be retried from every space of a long run (quadratic: 2 KB of spaces took 7 ms).
 */
function joinLines(s: string): string {
  if (!LINE_BREAK.test(s)) return s;
  const lines = s.split(LINE_BREAK);
  return lines
    .map((line, i) => {
      let start = 0;
      let end = line.length;
      if (i > 0) while (start < end && isSpaceOrTab(line.charCodeAt(start))) start++;
      if (i < lines.length - 1) while (end > start && isSpaceOrTab(line.charCodeAt(end - 1))) end--;
      return line.slice(start, end);
    })
    .join('');
}

/** Text NFKC, character references, invisible characters and look-alike letters leave as it is. */
const PLAIN_ASCII = /^[\x00-\x25\x27-\x3b\x3d-\x7f]*$/;

/** The texts a message is scanned as: what a reader sees, with tags removed and with tags as separators. */
export function readableForms(text: string): string[] {
  const base = PLAIN_ASCII.test(text)
    ? text.replace(ESCAPED_UNDERSCORE, '_')
    : decodeReferences(text).normalize('NFKC').replace(INVISIBLE, '').replace(ESCAPED_UNDERSCORE, '_').replace(LOOKALIKES, (c) => ASCII_OF[c] ?? c);
  const clean = (s: string) => joinLines(s).replace(FORMAT_MARKS, '');
  const tagsApart = clean(base);
  if (!base.includes('<')) return [tagsApart];
  const withoutTags = clean(base.replace(HTML_TAG, ''));
  return withoutTags === tagsApart ? [tagsApart] : [withoutTags, tagsApart];
}

/** Base62 digit of each ASCII code (the checksum's alphabet, key-format.ts), -1 for the rest. */
const DIGIT = Int8Array.from({ length: 128 }, (_, code) => BASE62.indexOf(String.fromCharCode(code)));
const isLowerOrDigit = (code: number) => (code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39);
/** A checksum's first digit above this spells more than 2^32 - 1 (5·62^5 > 2^32): no CRC32 does. */
const MAX_FIRST_CHECKSUM_DIGIT = Math.floor(0xffffffff / 62 ** (CHECKSUM_LENGTH - 1));

/**
 * Keys (format + checksum) in already-normalised text, each `_` tried as the separator.
 *
 * Skipping underscores on both sides of a separator is reading `compact` (the text without `_`)
 * from the position the separator falls at. One backward pass marks where each run of letters
 * and digits in `compact` ends, so each `_` costs a lookup: does a 28-character run start here,
 * and does its 23rd character begin a value a CRC32 can have? Only then is the prefix read and
 * checksummed; no string is built before.
 */
function scan(s: string, found: Set<string>): void {
  if (!s.includes('_')) return;
  const compact = s.replaceAll('_', '');
  const n = compact.length;
  // runEnd[i]: the end of the run of letters and digits at i (i itself when compact[i] is none).
  const runEnd = new Int32Array(n + 1);
  runEnd[n] = n;
  for (let i = n - 1; i >= 0; i--) {
    const code = compact.charCodeAt(i);
    runEnd[i] = code < 128 && DIGIT[code]! >= 0 ? runEnd[i + 1]! : i;
  }
  let underscoresBefore = 0;
  let lastAt = -1;
  for (let p = s.indexOf('_'); p !== -1; p = s.indexOf('_', p + 1)) {
    const at = p - underscoresBefore++; // where the separator falls in `compact`
    // A run of underscores offers the same prefix and tail to each of its members.
    if (at === lastAt) continue;
    lastAt = at;
    if (at < 2 || runEnd[at]! - at < TAIL) continue;
    const first = compact.charCodeAt(at + RANDOM_LENGTH);
    if (DIGIT[first]! > MAX_FIRST_CHECKSUM_DIGIT) continue;
    let sum = 0;
    for (let i = at + RANDOM_LENGTH; i < at + TAIL; i++) sum = sum * 62 + DIGIT[compact.charCodeAt(i)]!;
    if (sum > 0xffffffff) continue;
    let prefixStart = at;
    while (prefixStart > 0 && at - prefixStart < MAX_PREFIX && isLowerOrDigit(compact.charCodeAt(prefixStart - 1))) prefixStart--;
    if (at - prefixStart < 2) continue;
    const random = compact.slice(at, at + RANDOM_LENGTH);
    const sumText = compact.slice(at + RANDOM_LENGTH, at + TAIL);
    for (let head = at - 2; head >= prefixStart; head--) {
      if (compact.charCodeAt(head) < 0x61) continue; // a prefix starts with a letter
      const body = `${compact.slice(head, at)}_${random}`;
      // The cheap CRC comparison first; parseKey, the one offline test, has the last word.
      if (crc32(body) >>> 0 === sum && parseKey(body + sumText).ok) found.add(body + sumText);
    }
  }
}

/** Every distinct key (passing format and checksum) a reader would see in `text`, in order of appearance. */
export function findKeysInText(text: string): string[] {
  const found = new Set<string>();
  for (const form of readableForms(text)) scan(form, found);
  return [...found];
}

/** Shaped like a key (checksum or not), as a reader sees the text: kept from a model, like a key. */
const KEY_SHAPE = new RegExp(`(?<![A-Za-z0-9])[a-z][a-z0-9]{1,11}_[0-9A-Za-z]{${TAIL}}(?![A-Za-z0-9])`);

/** True when the text carries something shaped like a key (checksum or not): don't forward it to a model. */
export function looksLikeKey(text: string): boolean {
  return findKeysInText(text).length > 0 || readableForms(text).some((form) => KEY_SHAPE.test(form));
}
