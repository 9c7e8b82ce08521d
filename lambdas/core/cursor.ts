import { createHmac, timingSafeEqual } from 'node:crypto';
import { KeywardenError } from './errors';
import { hashingSecret, hashingSecrets, type HashingSecret } from './hashing';
import type { SecretsProvider } from './ports';

/**
 * Pagination cursors are opaque and tamper-evident (SPEC §4). Layout:
 *
 *   <base64url(store cursor)>.<base64url(first 16 bytes of HMAC-SHA-256)>
 *
 * The MAC is taken under the environment's hashing secret (domain-separated with `cursor\0`) over
 * the listing's scope — which project, which listing, which filters — and the store cursor, so a
 * cursor cannot be forged, edited, or replayed against another project or another listing. The
 * store only ever sees start keys it produced itself.
 */
const MAC_BYTES = 16;

function mac(secret: string, scope: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(`cursor\0${scope}\0${payload}`).digest().subarray(0, MAC_BYTES);
}

export function sealCursor(secrets: HashingSecret, scope: string, storeCursor: string | undefined): string | undefined {
  if (storeCursor === undefined) return undefined;
  const payload = Buffer.from(storeCursor, 'utf8').toString('base64url');
  return `${payload}.${mac(secrets.current, scope, payload).toString('base64url')}`;
}

/** The store cursor inside a sealed one; a forged, edited or foreign cursor is a 400. */
export function openCursor(secrets: HashingSecret, scope: string, cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const dot = cursor.indexOf('.');
  const payload = dot > 0 ? cursor.slice(0, dot) : '';
  const given = Buffer.from(dot > 0 ? cursor.slice(dot + 1) : '', 'base64url');
  const valid =
    /^[A-Za-z0-9_-]+$/.test(payload) &&
    given.length === MAC_BYTES &&
    hashingSecrets(secrets).some((secret) => timingSafeEqual(mac(secret, scope, payload), given));
  if (!valid) throw new KeywardenError('invalid_request_error', 'The cursor is not valid for this listing.', { param: 'cursor' });
  return Buffer.from(payload, 'base64url').toString('utf8');
}

/** The cursors of one listing (its scope: project, listing, filters), the secret loaded once. */
export async function listingCursors(
  secrets: SecretsProvider,
  scope: readonly string[],
): Promise<{ open(cursor: string | undefined): string | undefined; seal(storeCursor: string | undefined): string | undefined }> {
  const hashing = await hashingSecret(secrets);
  const key = scope.join('\0');
  return { open: (cursor) => openCursor(hashing, key, cursor), seal: (storeCursor) => sealCursor(hashing, key, storeCursor) };
}

/** A listing's page size: 50 unless asked, never below 1 or above 200 (the bound every listing shares). */
export function pageSize(requested: number | undefined): number {
  return Math.min(Math.max(requested ?? 50, 1), 200);
}
