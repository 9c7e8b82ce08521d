/**
 * An account's balance while its keys hold leases (key-lease.ts): what `/v1/me`, the console, the
 * CLI and the operator views show. The credits are in three places at once — the account's
 * unleased `credits`, its keys' `lease`s, and lease writes half-done between the two — and the sum
 * is exact as of the read:
 *
 *   credits
 *   + each grant still listed on the account (lg_G) that its key has not applied (G not in leaseIn)
 *   + each key's lease
 *   + each return noted on a key (lr_R) that the account has not credited (R not in returnsIn)
 *
 * The account is read, then its listed keys (a query of the listing, one BatchGet), then the account again: when no lease
 * write landed on it in between (its `lv` is unchanged), every half-done write is counted once,
 * on one side or the other. Otherwise it is read again (a few times; a busy account may get the
 * last sum, off by at most the lease writes that raced it).
 */
import { GRANT, idsOf, RETURN, type Grant, type Item, type KeyLeases } from './key-lease';
import type { TableAccess } from './table-access';
import { itemKey } from './table';

const TRIES = 5;

/** The account's credits with its keys' leases added in, and the account item the sum was made on. */
export async function leasedBalance(db: TableAccess, leases: KeyLeases, accountId: string, first?: Item): Promise<{ credits: number; item: Item } | undefined> {
  let account = first ?? (await leases.readAccount(accountId));
  for (let attempt = 0; account; attempt++) {
    const keyIds = await leases.listedKeys(accountId);
    // No key ever took a lease: every credit is the account's own (a grant is made only for a listed key).
    if (keyIds.length === 0) return { credits: Number(account.credits), item: account };
    const keys = await db.batchGetAll(keyIds.map((id) => itemKey.key(id)));
    const again = await leases.readAccount(accountId);
    if (!again) return undefined;
    if (Number(again.lv ?? 0) === Number(account.lv ?? 0) || attempt + 1 >= TRIES) return { credits: sumOf(again, keys), item: again };
    account = again;
  }
  return undefined;
}

/** The sum, from the account item and its listed keys' items read between two reads of the account that agree. */
export function sumOf(account: Item, keys: Item[]): number {
  const byId = new Map(keys.map((key) => [String(key.id), key]));
  // In millionths, as integers: a balance of 10⁹ credits summed as floats would drift by millionths.
  const micro = (n: unknown) => Math.round(Number(n ?? 0) * 1e6);
  let sum = micro(account.credits);
  for (const [name, value] of Object.entries(account)) {
    const g = GRANT.exec(name)?.[1];
    if (!g) continue;
    const grant = value as Grant;
    if (!idsOf(byId.get(grant.k)?.leaseIn).includes(g)) sum += micro(grant.b);
  }
  const credited = new Set(idsOf(account.returnsIn));
  for (const key of keys) {
    sum += micro(key.lease);
    for (const [name, value] of Object.entries(key)) {
      const r = RETURN.exec(name)?.[1];
      if (r && !credited.has(r)) sum += micro(value);
    }
  }
  return sum / 1e6;
}
