/**
 * The lease sweep of one account (key-lease.ts), run by the periodic event sweep: what a writer
 * that died left half-done is completed, and what nobody uses flows back to the account.
 *
 * - A grant listed on the account for STALE_LEASE_WRITE_MS: its key is told it is closed (G added
 *   to `leaseDead`, on condition it is in neither set). If that lands, G was never applied and now
 *   never can be: its credits go back (on condition the grant is still listed). If not, the key
 *   says which: applied (the listing is removed) or closed before (the credits go back, once).
 *   A grant whose key is gone was never applied (a key is deleted only with no lease, and a grant
 *   cannot land on a missing item): its credits go back.
 * - A return noted on a listed key for STALE_LEASE_WRITE_MS: completed (account credited once).
 * - A listed key revoked, expired, paused or deleted, or not admitted for IDLE_LEASE_MS: its lease
 *   goes back. A listed key that is gone leaves the listing (a key is listed until it is deleted).
 * - Ids no longer needed leave the sets: a key's `leaseIn` ids whose grant is no longer listed and
 *   older than TRIM_MS (its writer long gone); `leaseDead` and the account's `returnsIn` after
 *   DEAD_TRIM_MS (the returns they guard were completed by this sweep's earlier runs).
 */
import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keyStatus } from '../../core/key-status';
import { toKey } from './key-admission-plan';
import { GRANT, IDLE_LEASE_MS, idsOf, leaseIdTime, RETURN, STALE_LEASE_WRITE_MS, type Grant, type Item, type KeyLeases } from './key-lease';
import { unlessConditionFails, type TableAccess } from './table-access';
import { itemKey } from './table';

/** A `leaseIn` id whose grant is no longer listed is kept this long. */
const TRIM_MS = 10 * 60_000;
/** `leaseDead` and `returnsIn` ids are kept this long. */
const DEAD_TRIM_MS = 24 * 60 * 60_000;

export interface LeaseSweepReport {
  /** Grants never applied, given back. */
  grantsReturned: number;
  /** Leases given back (idle, revoked, deleted keys), and returns completed. */
  leasesReturned: number;
}

export async function sweepLeases(db: TableAccess, leases: KeyLeases, accountId: string, now: number): Promise<LeaseSweepReport> {
  const report: LeaseSweepReport = { grantsReturned: 0, leasesReturned: 0 };
  const account = await leases.readAccount(accountId);
  if (!account) return report;
  for (const [name, value] of Object.entries(account)) {
    const g = GRANT.exec(name)?.[1];
    if (!g || leaseIdTime(g) > now - STALE_LEASE_WRITE_MS) continue;
    if (await closeGrant(db, leases, accountId, g, value as Grant)) report.grantsReturned += 1;
  }
  const keyIds = await leases.listedKeys(accountId);
  const keys = new Map((await db.batchGetAll(keyIds.map((id) => itemKey.key(id)))).map((item) => [String(item.id), item]));
  let complete = true;
  for (const keyId of keyIds) {
    try {
      if (await sweepKey(db, leases, account, accountId, keyId, keys.get(keyId), now)) report.leasesReturned += 1;
    } catch {
      complete = false;
    }
  }
  // Returns older than a day were completed by earlier runs (this one reached every listed key).
  const oldReturns = idsOf(account.returnsIn).filter((r) => leaseIdTime(r) < now - DEAD_TRIM_MS);
  if (complete && oldReturns.length) await deleteIds(db, itemKey.account(accountId), 'returnsIn', oldReturns);
  return report;
}

/** A stale grant closed: `true` when its credits went back to the account. */
async function closeGrant(db: TableAccess, leases: KeyLeases, accountId: string, g: string, grant: Grant): Promise<boolean> {
  const closed = await unlessConditionFails(
    db.doc.send(
      new UpdateCommand({
        TableName: db.name,
        Key: itemKey.key(grant.k),
        UpdateExpression: 'ADD leaseDead :gs',
        ConditionExpression:
          'attribute_exists(pk) AND (attribute_not_exists(leaseIn) OR NOT contains(leaseIn, :g)) AND (attribute_not_exists(leaseDead) OR NOT contains(leaseDead, :g))',
        ExpressionAttributeValues: { ':gs': new Set([g]), ':g': g },
      }),
    ),
  ).catch(() => undefined);
  const key = closed ? undefined : await leases.readKey(grant.k);
  // Applied: only the listing goes. Closed (now or by an earlier run), or its key gone: given back.
  if (key && idsOf(key.leaseIn).includes(g)) {
    await leases.removeGrant(accountId, g);
    return false;
  }
  if (!closed && key && !idsOf(key.leaseDead).includes(g)) return false; // the answer was lost: next run
  return leases.giveGrantBack(accountId, g, Number(grant.b));
}

/** One listed key: its returns completed, its lease given back when it is no longer used, its old ids trimmed. */
async function sweepKey(db: TableAccess, leases: KeyLeases, account: Item, accountId: string, keyId: string, key: Item | undefined, now: number): Promise<boolean> {
  if (!key) {
    // Gone: it holds nothing, and a grant to it can never land (its credits go back above).
    await db.doc.send(new DeleteCommand({ TableName: db.name, Key: itemKey.leaseListing(accountId, keyId) }));
    return false;
  }
  let returned = false;
  for (const [name, value] of Object.entries(key)) {
    const r = RETURN.exec(name)?.[1];
    if (r && leaseIdTime(r) < now - STALE_LEASE_WRITE_MS) {
      await leases.completeReturn(keyId, accountId, r, Number(value));
      returned = true;
    }
  }
  const status = keyStatus(toKey(key), now);
  const lastUsed = Date.parse(String(key.lastUsedAt ?? key.createdAt ?? 0)) || 0;
  const idle = lastUsed < now - IDLE_LEASE_MS;
  if (Number(key.lease ?? 0) !== 0 && (idle || status !== 'active')) returned = (await leases.giveBack(keyId, accountId)) !== 0 || returned;
  const listedGrants = new Set(Object.keys(account).flatMap((n) => GRANT.exec(n)?.[1] ?? []));
  const oldIn = idsOf(key.leaseIn).filter((g) => !listedGrants.has(g) && leaseIdTime(g) < now - TRIM_MS);
  if (oldIn.length) await deleteIds(db, itemKey.key(keyId), 'leaseIn', oldIn);
  const oldDead = idsOf(key.leaseDead).filter((g) => leaseIdTime(g) < now - DEAD_TRIM_MS);
  if (oldDead.length) await deleteIds(db, itemKey.key(keyId), 'leaseDead', oldDead);
  return returned;
}

async function deleteIds(db: TableAccess, key: Record<string, string>, set: 'leaseIn' | 'leaseDead' | 'returnsIn', ids: string[]): Promise<void> {
  await unlessConditionFails(
    db.doc.send(
      new UpdateCommand({
        TableName: db.name,
        Key: key,
        UpdateExpression: `DELETE ${set} :ids`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':ids': new Set(ids.slice(0, 500)) },
      }),
    ),
  );
}

/**
 * Before a key is deleted: the grants its account still lists for it closed or confirmed (any
 * age: a grant closed now can never land), then its lease given back. Whether the key holds
 * nothing afterwards is for the delete's own condition to check (admissions may race it).
 */
export async function emptyLease(db: TableAccess, leases: KeyLeases, keyId: string): Promise<string | undefined> {
  const key = await leases.readKey(keyId);
  if (!key) return undefined;
  const accountId = String(key.accountId);
  const account = await leases.readAccount(accountId);
  for (const [name, value] of Object.entries(account ?? {})) {
    const g = GRANT.exec(name)?.[1];
    if (g && (value as Grant).k === keyId) await closeGrant(db, leases, accountId, g, value as Grant);
  }
  await leases.giveBack(keyId, accountId);
  return accountId;
}
