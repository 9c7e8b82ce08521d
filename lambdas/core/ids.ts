import { randomUUID } from 'node:crypto';
import { randomBase62 } from './base62';

/** Public, non-secret ids of non-key records: `<kind>_<16 base62>`. */
export function newId(kind: 'acct' | 'proj' | 'aud' | 'req'): string {
  return `${kind}_${randomBase62(16)}`;
}

/**
 * A request id that carries the time it was made: `req_<epoch ms, 9 base-36 digits>_<unique part>`
 * (the edge mints it: `mintRequestId`). Its usage record's sort key is `<that time>#<id>`, so the id
 * alone names the record's key (its shard is the id's too) and the record needs no request index
 * entry (store/table.ts). Ids without a time (`req_<32 hex>`, older ones) keep the index entry.
 */
const TIMED_REQUEST_ID = /^req_([0-9a-z]{9})_[0-9A-Za-z]+$/;

/**
 * A request's id, minted at the edge: `req_<epoch ms, 9 base-36 digits>_<unique part>`.
 *
 *   req_ | mj1x9k2ab | _ | 3f2c…(32 hex)
 *          └ when the request arrived (API Gateway's requestTimeEpoch, else the services' clock)
 *                          └ API Gateway's request id, letters and digits only (else a random UUID's)
 *
 * The time makes the id name its usage record's storage key (`requestTime`, store/table.ts): the
 * record needs no request index entry and is read by its key. The record bears that time too
 * (after-answer.ts), so a listing's order, its `since` and the record's `at` are the same time.
 * 9 base-36 digits hold every epoch ms until the year 5188; the padding keeps ids of one length.
 */
export function mintRequestId(arrivedAt: number, unique: string): string {
  // Letters and digits only (a request id is one word in logs, headers and `?requestId=`).
  const word = unique.replace(/[^0-9A-Za-z]/g, '').slice(0, 48) || randomUUID().replace(/-/g, '');
  return `req_${Math.floor(arrivedAt).toString(36).padStart(9, '0')}_${word}`;
}

/** The ISO time a request id carries, if it carries one (and it is a time a record can have). */
export function requestTime(requestId: string): string | undefined {
  const digits = TIMED_REQUEST_ID.exec(requestId)?.[1];
  if (digits === undefined) return undefined;
  const ms = parseInt(digits, 36);
  return ms > 0 && ms < 8.64e15 ? new Date(ms).toISOString() : undefined;
}
