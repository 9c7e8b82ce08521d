import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { hashingSecret, hashingSecrets } from './hashing';
import type { SecretsProvider } from './ports';

/**
 * A key value held in the table for one person to collect once, unusable as stored (SPEC §3
 * "Storage": the table never holds a usable key):
 *
 *   v1.<base64url(iv, 12 bytes)>.<base64url(AES-256-GCM ciphertext ‖ tag, 16 bytes)>
 *
 * The AES key derives (HKDF-SHA-256) from the environment's hashing secret and `info`, which
 * names the use (one family's sealed values never open as another's); `bind` is the associated
 * data — the record the value belongs to — so a sealed value copied onto another record does not
 * open. Used by the approved key requests (key-requests.ts) and the rotated values held for an
 * owner (rotation-owner-delivery.ts). While the hashing secret is being rotated, a value sealed
 * under the previous one still opens.
 */
export async function sealValue(secrets: SecretsProvider, info: string, bind: string, raw: string): Promise<string> {
  const { current } = await hashingSecret(secrets);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(current, info), iv);
  cipher.setAAD(Buffer.from(bind));
  const sealed = Buffer.concat([cipher.update(raw, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `v1.${iv.toString('base64url')}.${sealed.toString('base64url')}`;
}

export async function unsealValue(secrets: SecretsProvider, info: string, bind: string, sealed: string): Promise<string> {
  const [version, iv, body] = sealed.split('.');
  if (version !== 'v1' || !iv || !body) throw new Error('unknown sealed value format');
  const bytes = Buffer.from(body, 'base64url');
  for (const secret of hashingSecrets(await hashingSecret(secrets))) {
    try {
      const decipher = createDecipheriv('aes-256-gcm', sealingKey(secret, info), Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(bind));
      decipher.setAuthTag(bytes.subarray(bytes.length - 16));
      return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString('utf8');
    } catch {
      // Sealed under the other hashing secret: try the next.
    }
  }
  throw new Error('sealed value cannot be unsealed with the current hashing secrets');
}

function sealingKey(hashing: string, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', hashing, Buffer.alloc(0), info, 32));
}
