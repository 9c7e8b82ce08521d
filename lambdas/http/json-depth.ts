/**
 * Deeply nested JSON is refused before anything parses or walks it (SPEC §8: bad input is a 4xx,
 * never a crash): recursive serializers, validators and upstreams all have depth limits of their
 * own, and a 1 MB body of `[` is 1,000,000 levels. One linear scan, strings skipped.
 */
export const MAX_JSON_DEPTH = 64;

export function exceedsJsonDepth(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}
