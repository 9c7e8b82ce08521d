import { randomBase62 } from './base62';

/** Public, non-secret ids of non-key records: `<kind>_<16 base62>`. */
export function newId(kind: 'acct' | 'proj' | 'aud' | 'req'): string {
  return `${kind}_${randomBase62(16)}`;
}
