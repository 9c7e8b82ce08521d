import { createHmac, timingSafeEqual } from 'node:crypto';
import { bytesToBase62 } from './base62';
import type { SecretsProvider } from './ports';

/**
 * A key is stored only as HMAC-SHA-256 under the environment's hashing secret. Its public id is a
 * second, domain-separated HMAC, so the id can be computed from the raw key (one consistent read,
 * no index) yet reveals nothing about the stored hash, and keys from another environment (other
 * secret) land on ids that do not exist here.
 */
export interface HashingSecret {
  current: string;
  /** Set while rotating the hashing secret: keys issued under it keep working. */
  previous?: string;
}

export function keyHash(secret: string, raw: string): string {
  return createHmac('sha256', secret).update(`hash\0${raw}`).digest('hex');
}

export function keyIdFor(secret: string, raw: string): string {
  const digest = createHmac('sha256', secret).update(`id\0${raw}`).digest();
  return `key_${bytesToBase62(digest.subarray(0, 16), 22)}`;
}

export function hashesEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a, 'hex');
  const bb = Buffer.from(b, 'hex');
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

/** The environment's hashing secret, from the secrets port (cached there). */
export function hashingSecret(secrets: SecretsProvider): Promise<HashingSecret> {
  return secrets.get<HashingSecret>('hashing');
}

/** The secrets to try for a raw key, newest first. */
export function hashingSecrets(secret: HashingSecret): string[] {
  return secret.previous ? [secret.current, secret.previous] : [secret.current];
}
