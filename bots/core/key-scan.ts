import { crc32 } from 'node:zlib';
import { BASE62 } from '../../lambdas/core/base62';
import { CHECKSUM_LENGTH, RANDOM_LENGTH, parseKey } from '../../lambdas/core/key-format';

/**
 * Keys in chat text as people see them (issue 19 point 7). The offline test stays the one in
 * lambdas/core/key-format.ts — format plus CRC32 checksum — so look-alike text never counts; what
 * changes is what the scanner reads. A message is first normalised the way a reader's eye does:
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
 * Cost: at most 11 checksums per `_` of the normalised text, for two normalisations — linear in
 * the message, with no backtracking regex.
 */
const TAIL = RANDOM_LENGTH + CHECKSUM_LENGTH;
const MAX_PREFIX = 12;

const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cf}]/gu;
const FORMAT_MARKS = /[*~`]/g;
const LINE_BREAK = /[ \t]*(?:\r\n|[\n\r\v\f\u0085\u2028\u2029])[ \t]*/g;
export const HTML_TAG = /<\/?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?\/?>/g;
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

/** The texts a message is scanned as: what a reader sees, with tags removed and with tags as separators. */
export function readableForms(text: string): string[] {
  const base = decodeReferences(text).normalize('NFKC').replace(INVISIBLE, '').replace(ESCAPED_UNDERSCORE, '_').replace(LOOKALIKES, (c) => ASCII_OF[c] ?? c);
  const clean = (s: string) => s.replace(LINE_BREAK, '').replace(FORMAT_MARKS, '');
  const withoutTags = clean(base.replace(HTML_TAG, ''));
  const tagsApart = clean(base);
  return withoutTags === tagsApart ? [tagsApart] : [withoutTags, tagsApart];
}

const isLowerOrDigit = (c: string) => (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
const isLower = (c: string) => c >= 'a' && c <= 'z';
const isAlnum = (c: string) => isLowerOrDigit(c) || (c >= 'A' && c <= 'Z');

/** The number six base62 characters spell (the checksum's encoding, lambdas/core/key-format.ts). */
function decodedChecksum(sum: string): number {
  let n = 0;
  for (const c of sum) n = n * 62 + BASE62.indexOf(c);
  return n;
}

/** Keys (format + checksum) in already-normalised text, each `_` tried as the separator. */
function scan(s: string, found: Set<string>): void {
  for (let p = s.indexOf('_'); p !== -1; p = s.indexOf('_', p + 1)) {
    // A run of underscores offers the same prefix and tail to each of its members.
    if (p > 0 && s[p - 1] === '_') continue;
    let prefix = '';
    for (let i = p - 1; i >= 0 && prefix.length < MAX_PREFIX; i--) {
      const c = s[i]!;
      if (c === '_') continue;
      if (!isLowerOrDigit(c)) break;
      prefix = c + prefix;
    }
    if (prefix.length < 2) continue;
    let tail = '';
    for (let i = p + 1; i < s.length && tail.length < TAIL; i++) {
      const c = s[i]!;
      if (c === '_') continue;
      if (!isAlnum(c)) break;
      tail += c;
    }
    if (tail.length < TAIL) continue;
    const random = tail.slice(0, RANDOM_LENGTH);
    const sum = decodedChecksum(tail.slice(RANDOM_LENGTH));
    for (let length = 2; length <= prefix.length; length++) {
      const head = prefix.slice(prefix.length - length);
      if (!isLower(head[0]!)) continue;
      const body = `${head}_${random}`;
      // The cheap CRC comparison first; parseKey, the one offline test, has the last word.
      if (crc32(body) >>> 0 === sum && parseKey(body + tail.slice(RANDOM_LENGTH)).ok) found.add(body + tail.slice(RANDOM_LENGTH));
    }
  }
}

/** Every distinct key (passing format and checksum) a reader would see in `text`, in order of appearance. */
export function findKeysInMessage(text: string): string[] {
  const found = new Set<string>();
  for (const form of readableForms(text)) scan(form, found);
  return [...found];
}

/** Shaped like a key (checksum or not), as a reader sees the text: kept from a model, like a key. */
const KEY_SHAPE = new RegExp(`(?<![A-Za-z0-9])[a-z][a-z0-9]{1,11}_[0-9A-Za-z]{${TAIL}}(?![A-Za-z0-9])`);

export function looksLikeKeyInMessage(text: string): boolean {
  return findKeysInMessage(text).length > 0 || readableForms(text).some((form) => KEY_SHAPE.test(form));
}
