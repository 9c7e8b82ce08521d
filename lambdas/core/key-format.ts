import { crc32 } from 'node:zlib';
import { encodeBase62, randomBase62 } from './base62';

/**
 * Key layout (SPEC §3):
 *
 *   archie_4fQaZ0b1c2d3e4f5g6h7i8 j9K2Lm
 *   └─┬──┘ └──────────┬─────────┘ └─┬──┘
 *   prefix   22 base62 random chars  6 base62 chars: CRC32 of everything before it
 *   [a-z][a-z0-9]{1,11} + "_"   (62^22 ≈ 2^131 ≥ 128 bits)   (62^6 > 2^32)
 *
 * Only [A-Za-z0-9_] appear, so a double-click selects the whole key. The checksum lets a scanner
 * (ours is key-scan.ts, with redact-keys.ts) tell a real key from look-alike text offline, and
 * lets the API reject malformed keys before any storage read.
 */
export const RANDOM_LENGTH = 22;
export const CHECKSUM_LENGTH = 6;
export const DEFAULT_PREFIX = 'archie';
export const PREFIX_PATTERN = /^[a-z][a-z0-9]{1,11}$/;
/** Characters of the random part shown in the non-secret preview (`start`). */
const VISIBLE_RANDOM_CHARS = 4;

const KEY_PATTERN = new RegExp(
  `^([a-z][a-z0-9]{1,11})_([0-9A-Za-z]{${RANDOM_LENGTH}})([0-9A-Za-z]{${CHECKSUM_LENGTH}})$`,
);
export function checksum(body: string): string {
  return encodeBase62(BigInt(crc32(body) >>> 0), CHECKSUM_LENGTH);
}

export function generateKey(prefix: string = DEFAULT_PREFIX): string {
  if (!PREFIX_PATTERN.test(prefix)) throw new RangeError('invalid key prefix');
  const body = `${prefix}_${randomBase62(RANDOM_LENGTH)}`;
  return body + checksum(body);
}

export type ParsedKey = { ok: true; prefix: string; start: string } | { ok: false; reason: 'format' | 'checksum' };

/** Offline validation: format, then checksum. Never touches storage. */
export function parseKey(raw: string): ParsedKey {
  const m = KEY_PATTERN.exec(raw);
  if (!m) return { ok: false, reason: 'format' };
  const [, prefix, random, sum] = m as unknown as [string, string, string, string];
  if (checksum(`${prefix}_${random}`) !== sum) return { ok: false, reason: 'checksum' };
  return { ok: true, prefix, start: visibleStart(prefix, random) };
}

export function visibleStart(prefix: string, random: string): string {
  return `${prefix}_${random.slice(0, VISIBLE_RANDOM_CHARS)}`;
}

/** The non-secret preview of a key already known to be well formed. */
export function startOf(raw: string): string {
  const underscore = raw.indexOf('_');
  return visibleStart(raw.slice(0, underscore), raw.slice(underscore + 1));
}
