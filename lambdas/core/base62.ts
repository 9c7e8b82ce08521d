import { randomBytes } from 'node:crypto';

export const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Uniform random base62 string: rejection-samples bytes ≥ 248 (= 4·62) so no symbol is favoured. */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248 && out.length < length) out += BASE62[b % 62];
    }
  }
  return out;
}

/** Fixed-width base62 of a non-negative integer (big-endian, zero-padded). */
export function encodeBase62(value: bigint, width: number): string {
  let out = '';
  let v = value;
  while (v > 0n) {
    out = BASE62[Number(v % 62n)] + out;
    v /= 62n;
  }
  return out.padStart(width, '0');
}

export function bytesToBase62(bytes: Uint8Array, width: number): string {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return encodeBase62(v, width);
}
