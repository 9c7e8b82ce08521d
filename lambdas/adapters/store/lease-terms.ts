import { randomBase62 } from '../../core/base62';

/** The words of leased credits (key-lease.ts), shared by the lease writes, the sweep and the balance. */

/** Reservations a lease covers when the account can spare them (a quarter of its unleased credits at most). */
export const LEASE_CALLS = 20;
/** A grant or return not completed for this long has lost its writer: the sweep completes it. */
export const STALE_LEASE_WRITE_MS = 2 * 60_000;
/** A key not admitted for this long gives its lease back (the sweep). */
export const IDLE_LEASE_MS = 10 * 60_000;
/** How long a grant's removal from its account waits to ride on another write there. */
export const CLEANUP_MS = 1_000;
/** How old the unleased credits a model call states may be before they are read again (in the background). */
export const SEEN_FRESH_MS = 2_000;
/** Most deferred removals one account write carries. */
export const MAX_RIDERS = 20;

export type Item = Record<string, unknown>;

/** A grant's or a return's id: the time it was made (ms, 9 base36 digits), then 10 random base62 characters. */
export function leaseId(now = Date.now()): string {
  return now.toString(36).padStart(9, '0') + randomBase62(10);
}

/** When the grant or return `id` was made (ms). */
export function leaseIdTime(id: string): number {
  return parseInt(id.slice(0, 9), 36);
}

export const grantAttribute = (g: string) => `lg_${g}`;
export const returnAttribute = (r: string) => `lr_${r}`;
/** Lease bookkeeping on an item: the store's own, never handed out with it. */
export const LEASE_ATTRIBUTE = /^l[gkr]_/;
export const GRANT = /^lg_(.+)$/;
export const RETURN = /^lr_(.+)$/;

/** A grant as the account lists it. */
export interface Grant {
  k: string;
  b: number;
  t: number;
}

export type TakeOutcome =
  | { ok: true; unleased: number; item: Item }
  | { ok: false; reason: 'insufficient' | 'disabled' | 'not_found'; unleased: number };

/** The ids in a string set, as the SDK hands it out. */
export function idsOf(set: unknown): string[] {
  return set instanceof Set ? [...(set as Set<string>)] : Array.isArray(set) ? (set as string[]) : [];
}
