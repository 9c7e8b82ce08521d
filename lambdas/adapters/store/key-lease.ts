/**
 * Leased credits (issue 23 point 1). A model call's reservation is taken from credits its key
 * holds as a lease from its account, in the key's admission write (key-admission.ts), and its
 * settlement goes back into the key's release write: the account's balance item is written only
 * when a lease is taken or given back, in blocks of about LEASE_CALLS reservations — so a hot
 * account no longer caps near 500 calls a second (two writes a call on one partition).
 *
 * Where the credits are (what `/v1/me` adds up, lease-balance.ts): the account item's `credits`
 * (unleased), `lg_<G>` = {k: key, b, t} per grant not yet known applied, `returnsIn` (returns
 * credited), `lv` (counts lease writes); each listed key's `lease` (below zero: debt), `leaseIn`
 * (grants applied), `leaseDead` (grants closed unapplied), `lr_<R>` (returns not yet credited).
 * The keys that took a lease are listed apart (ACCOUNT#<id>#LEASES, one small item each, written
 * once), so the balance item does not grow with them: every write pays for its size.
 *
 * Taking a lease, grant G of B credits (`take`), once the key is listed:
 *   1. account  credits -= B, lg_G                if apiAccess, credits >= B and no lg_G (a retry
 *               of a write that landed fails on lg_G, and reading lg_G back says it landed)
 *   2. key      lease += B, ADD leaseIn G         if G in neither set (the same, with leaseIn)
 *   3. account  REMOVE lg_G        (deferred: rides on the next account write here, or alone in CLEANUP_MS)
 *   4. key      DELETE leaseIn G   (rides on the key's next release write, after 3)
 * A grant whose step 2 never happened (its writer died) is found by the sweep (lease-sweep.ts)
 * after STALE_LEASE_WRITE_MS: it adds G to the key's `leaseDead` on condition G is in neither set
 * — from then on step 2 can never land — and gives B back, on condition lg_G is still there.
 *
 * Giving a lease back, return R of L credits (`giveBack`), the mirror:
 *   1. key      lease -= L, lr_R = L               if lease >= L and no lr_R
 *   2. account  credits += L, ADD returnsIn R      if R not in returnsIn
 *   3. key      REMOVE lr_R
 * The sweep completes a return left after step 1.
 */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { roundCredits } from '../../core/credits';
import { unlessConditionFails, type TableAccess } from './table-access';
import { itemKey, partition } from './table';

export * from './lease-terms';
import { CLEANUP_MS, LEASE_CALLS, MAX_RIDERS, RETURN, SEEN_FRESH_MS, grantAttribute, idsOf, leaseId, leaseIdTime, returnAttribute, type Item, type TakeOutcome } from './lease-terms';

export class KeyLeases {
  private static readonly shared = new WeakMap<TableAccess, KeyLeases>();

  /** The one instance per table access: keys and accounts (both item families) see the same deferred work. */
  static of(db: TableAccess): KeyLeases {
    let leases = KeyLeases.shared.get(db);
    if (!leases) KeyLeases.shared.set(db, (leases = new KeyLeases(db)));
    return leases;
  }

  /** The account's unleased credits as this process last saw them, and when (a model call's header). */
  private readonly unleased = new Map<string, { credits: number; at: number }>();
  /** Grants applied to their keys whose lg_ still waits for removal, per account: grant → key. */
  private readonly toRemove = new Map<string, Map<string, string>>();
  /** Grants removed from their account, whose id the key's next release write deletes from `leaseIn`. */
  private readonly toTrim = new Map<string, Set<string>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Work started in the background (a stale balance re-read, a deferred removal, a carried key's unpacking): `settled` awaits it. */
  private readonly background = new Set<Promise<unknown>>();
  /** Keys this process has listed on their account (`account/key`). */
  private readonly listed = new Set<string>();

  private constructor(private readonly db: TableAccess) {}

  /** A lease of at least `need` for the key: LEASE_CALLS × `unit`, at most a quarter of the unleased credits; the other keys' leases called back first when short. */
  async take(keyId: string, accountId: string, need: number, unit: number): Promise<TakeOutcome> {
    need = roundCredits(need);
    const wanted = Math.max(LEASE_CALLS * unit, need);
    let known = this.unleased.get(accountId)?.credits;
    let reclaimed = false;
    await this.list(accountId, keyId);
    for (let attempt = 0; attempt < 5; attempt++) {
      const block = roundCredits(known === undefined ? wanted : Math.max(need, Math.min(wanted, known / 4)));
      const g = leaseId();
      const granted = await this.grant(accountId, keyId, g, block);
      if (!granted.landed) {
        const account = granted.item;
        if (!account) return { ok: false, reason: 'not_found', unleased: 0 };
        known = Number(account.credits);
        this.see(accountId, known);
        if (account.apiAccess !== true) return { ok: false, reason: 'disabled', unleased: known };
        if (known >= need) continue;
        if (!reclaimed) {
          reclaimed = true;
          known = await this.reclaim(accountId, keyId);
          if (known >= need) continue;
        }
        // Refused: this key's own lease (a debt, or what is left) goes to the account too, so a debt
        // shows there and refuses the other keys' next leases, as an account in debt refuses every call.
        await this.giveBack(keyId, accountId).catch(() => 0);
        return { ok: false, reason: 'insufficient', unleased: known };
      }
      const applied = await this.apply(keyId, g, block);
      if (applied.outcome === 'applied') {
        this.defer(accountId, g, keyId);
        return { ok: true, unleased: this.unleased.get(accountId)?.credits ?? 0, item: applied.item! };
      }
      // Never applied, and now never can be (its key is gone, or a sweep closed it): given back.
      await this.giveGrantBack(accountId, g, block);
      if (applied.outcome === 'gone') return { ok: false, reason: 'not_found', unleased: known ?? 0 };
    }
    return { ok: false, reason: 'insufficient', unleased: known ?? 0 };
  }

  /** Step 1: the grant on the account (and this process's deferred removals, riding along). */
  private async grant(accountId: string, keyId: string, g: string, block: number): Promise<{ landed: boolean; item?: Item }> {
    const riders = [...(this.toRemove.get(accountId) ?? new Map<string, string>()).keys()].slice(0, MAX_RIDERS);
    const names: Record<string, string> = { '#g': grantAttribute(g) };
    riders.forEach((rider, i) => (names[`#x${i}`] = grantAttribute(rider)));
    const write = this.db.doc.send(
      new UpdateCommand({
        TableName: this.db.name,
        Key: itemKey.account(accountId),
        UpdateExpression: `SET credits = credits - :b, #g = :grant ADD lv :one${riders.length ? ` REMOVE ${riders.map((_, i) => `#x${i}`).join(', ')}` : ''}`,
        ConditionExpression: 'attribute_exists(pk) AND apiAccess = :on AND credits >= :b AND attribute_not_exists(#g)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ':b': block, ':grant': { k: keyId, b: block, t: leaseIdTime(g) }, ':one': 1, ':on': true },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    let failure: unknown;
    try {
      const out = await unlessConditionFails(write);
      if (out) {
        this.see(accountId, Number(out.Attributes?.credits));
        this.removed(accountId, riders);
        return { landed: true };
      }
    } catch (err) {
      failure = err;
    }
    const item = await this.readAccount(accountId);
    if (item && item[grantAttribute(g)] !== undefined) {
      this.see(accountId, Number(item.credits));
      // The riders went with it only if they are gone now; those still there wait for the next write.
      this.removed(accountId, riders.filter((r) => item[grantAttribute(r)] === undefined));
      return { landed: true, item };
    }
    if (failure !== undefined) throw failure;
    return { landed: false, item };
  }

  /** Step 2: the grant applied to the key, once. `gone`: the key is not there; `closed`: a sweep closed the grant. */
  private async apply(keyId: string, g: string, block: number): Promise<{ outcome: 'applied' | 'gone' | 'closed'; item?: Item }> {
    const write = this.db.doc.send(
      new UpdateCommand({
        TableName: this.db.name,
        Key: itemKey.key(keyId),
        UpdateExpression: 'SET lease = if_not_exists(lease, :zero) + :b ADD leaseIn :gs',
        ConditionExpression:
          'attribute_exists(pk) AND (attribute_not_exists(leaseIn) OR NOT contains(leaseIn, :g)) AND (attribute_not_exists(leaseDead) OR NOT contains(leaseDead, :g))',
        ExpressionAttributeValues: { ':b': block, ':zero': 0, ':gs': new Set([g]), ':g': g },
        ReturnValues: 'ALL_NEW',
      }),
    );
    let failure: unknown;
    try {
      const out = await unlessConditionFails(write);
      if (out) return { outcome: 'applied', item: out.Attributes };
    } catch (err) {
      failure = err;
    }
    const item = await this.readKey(keyId);
    if (item && idsOf(item.leaseIn).includes(g)) return { outcome: 'applied', item };
    if (failure !== undefined) throw failure;
    return { outcome: item ? 'closed' : 'gone' };
  }

  /** A grant never applied, given back to its account: once, on condition it is still listed there. */
  async giveGrantBack(accountId: string, g: string, block: number): Promise<boolean> {
    const out = await unlessConditionFails(
      this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.name,
          Key: itemKey.account(accountId),
          UpdateExpression: 'SET credits = credits + :b ADD lv :one REMOVE #g',
          ConditionExpression: 'attribute_exists(#g)',
          ExpressionAttributeNames: { '#g': grantAttribute(g) },
          ExpressionAttributeValues: { ':b': block, ':one': 1 },
          ReturnValues: 'UPDATED_NEW',
        }),
      ),
    );
    if (out) this.see(accountId, Number(out.Attributes?.credits));
    return out !== undefined;
  }

  /** A grant known applied (or closed): its listing on the account removed, once (a removal is idempotent). */
  async removeGrant(accountId: string, g: string): Promise<void> {
    await unlessConditionFails(
      this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.name,
          Key: itemKey.account(accountId),
          UpdateExpression: 'ADD lv :one REMOVE #g',
          ConditionExpression: 'attribute_exists(#g)',
          ExpressionAttributeNames: { '#g': grantAttribute(g) },
          ExpressionAttributeValues: { ':one': 1 },
        }),
      ),
    );
  }

  /** The key's lease back to its account, its half-done returns completed; tried again while admissions move it. What was given back. */
  async giveBack(keyId: string, accountId?: string): Promise<number> {
    let given = 0;
    for (let attempt = 0; attempt < 4; attempt++) {
      const item = await this.readKey(keyId);
      if (!item) return given;
      const account = accountId ?? String(item.accountId);
      for (const [name, value] of Object.entries(item)) {
        const r = RETURN.exec(name)?.[1];
        if (r) await this.completeReturn(keyId, account, r, Number(value));
      }
      const lease = roundCredits(Number(item.lease ?? 0));
      if (lease === 0) return given;
      const r = leaseId();
      const taken = await this.once(
        this.db.doc.send(
          new UpdateCommand({
            TableName: this.db.name,
            Key: itemKey.key(keyId),
            UpdateExpression: 'SET lease = lease - :l, #r = :l',
            // Admissions only draw a lease down: what was seen is there unless they took it (tried again).
            ConditionExpression: `${lease > 0 ? 'lease >= :l' : 'attribute_exists(lease)'} AND attribute_not_exists(#r)`,
            ExpressionAttributeNames: { '#r': returnAttribute(r) },
            ExpressionAttributeValues: { ':l': lease },
          }),
        ),
        async () => (await this.readKey(keyId))?.[returnAttribute(r)] !== undefined,
      );
      if (!taken) continue;
      await this.completeReturn(keyId, account, r, lease);
      given = roundCredits(given + lease);
      return given;
    }
    return given;
  }

  /** Steps 2 and 3 of return `r`: the account credited once, then the key's note of it removed. */
  async completeReturn(keyId: string, accountId: string, r: string, amount: number): Promise<void> {
    await this.credit(accountId, amount, r);
    await unlessConditionFails(
      this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.name,
          Key: itemKey.key(keyId),
          UpdateExpression: 'REMOVE #r',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#r': returnAttribute(r) },
        }),
      ),
    );
  }

  /** Credits `amount` to the account once, under return id `r` (a retry finds `r` in `returnsIn`): a return, or a leftover whose key is gone. */
  async credit(accountId: string, amount: number, r = leaseId()): Promise<void> {
    // Refused and not landed only when the account is gone: nothing left to credit.
    await this.once(
      this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.name,
          Key: itemKey.account(accountId),
          UpdateExpression: 'SET credits = credits + :l ADD returnsIn :rs, lv :one',
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(returnsIn) OR NOT contains(returnsIn, :r))',
          ExpressionAttributeValues: { ':l': roundCredits(amount), ':rs': new Set([r]), ':r': r, ':one': 1 },
          ReturnValues: 'UPDATED_NEW',
        }),
      ).then((out) => {
        this.see(accountId, Number(out.Attributes?.credits));
        return out;
      }),
      async () => idsOf((await this.readAccount(accountId))?.returnsIn).includes(r),
    );
  }

  /** The leases of the account's other keys given back (before a refusal for want of credits): the unleased credits after. */
  async reclaim(accountId: string, exceptKey?: string): Promise<number> {
    const keys = (await this.listedKeys(accountId)).filter((k) => k !== exceptKey);
    await Promise.all(keys.map((k) => this.giveBack(k, accountId)));
    const after = await this.readAccount(accountId);
    const credits = Number(after?.credits ?? 0);
    this.see(accountId, credits);
    return credits;
  }

  /** Lists the key among the account's leasing keys before its first grant (once per process and key: a listing stays). */
  private async list(accountId: string, keyId: string): Promise<void> {
    const name = `${accountId}/${keyId}`;
    if (this.listed.has(name)) return;
    await this.db.doc.send(new PutCommand({ TableName: this.db.name, Item: { ...itemKey.leaseListing(accountId, keyId), keyId } }));
    if (this.listed.size >= 10_000) this.listed.clear();
    this.listed.add(name);
  }

  /** The keys that took a lease from the account (one query, consistent). */
  async listedKeys(accountId: string): Promise<string[]> {
    const items = await this.db.queryAll({ KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': partition.accountLeases(accountId) }, ConsistentRead: true });
    return items.map((item) => String(item.keyId));
  }

  /** The unleased credits last seen here (a model call's stated balance): read when never seen, in the background when stale. */
  async unleasedOf(accountId: string): Promise<number> {
    const seen = this.unleased.get(accountId);
    const refresh = () =>
      this.readAccount(accountId).then((item) => {
        if (item) this.see(accountId, Number(item.credits));
        return Number(item?.credits ?? 0);
      });
    // Only what the call states: a read that fails (throttled) never fails the call.
    if (!seen) return refresh().catch(() => 0);
    if (seen.at < Date.now() - SEEN_FRESH_MS) {
      seen.at = Date.now();
      this.track(refresh());
    }
    return seen.credits;
  }

  see(accountId: string, credits: number): void {
    if (!Number.isFinite(credits)) return;
    if (this.unleased.size >= 10_000) this.unleased.clear();
    this.unleased.set(accountId, { credits, at: Date.now() });
  }

  /** Grant ids the key's next release write deletes from its `leaseIn` (their account listing is gone). */
  trimFor(keyId: string): string[] {
    const ids = this.toTrim.get(keyId);
    if (!ids) return [];
    this.toTrim.delete(keyId);
    return [...ids];
  }

  /** Step 3 deferred: rides on this process's next account write there, or goes alone after CLEANUP_MS. */
  private defer(accountId: string, g: string, keyId: string): void {
    const pending = this.toRemove.get(accountId) ?? new Map<string, string>();
    pending.set(g, keyId);
    this.toRemove.set(accountId, pending);
    if (this.timers.has(accountId)) return;
    const timer = setTimeout(() => {
      this.timers.delete(accountId);
      this.track(this.flush(accountId));
    }, CLEANUP_MS);
    timer.unref?.();
    this.timers.set(accountId, timer);
  }

  /**
   * Nothing of this process's lease work left behind: the deferred removals written now, and
   * what runs in the background awaited. Every call's after-answer work ends with it
   * (http/after-answer.ts), so a Lambda invocation never leaves a write to run frozen into its
   * instance's next one; a failure is left to the sweep, as a crash would be.
   */
  async settled(): Promise<void> {
    for (const [accountId, timer] of this.timers) {
      clearTimeout(timer);
      this.timers.delete(accountId);
      this.track(this.flush(accountId));
    }
    // What is in flight now: work other calls start meanwhile is theirs to await.
    await Promise.all([...this.background]);
  }

  /** Work a call started that its after-answer work waits for (`settled`): a failure is left to the sweep. */
  track(work: Promise<unknown>): void {
    const done = work.catch(() => undefined).finally(() => this.background.delete(done));
    this.background.add(done);
  }

  /** The deferred removals of an account, in one write (a crash leaves them to the sweep). */
  async flush(accountId: string): Promise<void> {
    const riders = [...(this.toRemove.get(accountId)?.keys() ?? [])].slice(0, MAX_RIDERS * 5);
    if (riders.length === 0) return;
    const names = Object.fromEntries(riders.map((r, i) => [`#x${i}`, grantAttribute(r)]));
    await this.db.doc.send(
      new UpdateCommand({
        TableName: this.db.name,
        Key: itemKey.account(accountId),
        UpdateExpression: `ADD lv :one REMOVE ${riders.map((_, i) => `#x${i}`).join(', ')}`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );
    this.removed(accountId, riders);
    if (this.toRemove.get(accountId)?.size) await this.flush(accountId);
  }

  /** Grants whose account listing is gone: their ids may leave their keys' `leaseIn`. */
  private removed(accountId: string, grants: string[]): void {
    const pending = this.toRemove.get(accountId);
    if (!pending) return;
    for (const g of grants) {
      const keyId = pending.get(g);
      pending.delete(g);
      if (keyId === undefined) continue;
      const trim = this.toTrim.get(keyId) ?? new Set<string>();
      trim.add(g);
      this.toTrim.set(keyId, trim);
    }
    if (pending.size === 0) this.toRemove.delete(accountId);
  }

  /** A write made exactly-once by its own condition: landed (by its answer, or by what reading back shows), or refused. */
  private async once(write: Promise<unknown>, landed: () => Promise<boolean>): Promise<boolean> {
    let failure: unknown;
    try {
      if ((await unlessConditionFails(write)) !== undefined) return true;
    } catch (err) {
      failure = err;
    }
    if (await landed()) return true;
    if (failure !== undefined) throw failure;
    return false;
  }

  async readAccount(accountId: string): Promise<Item | undefined> {
    return (await this.db.doc.send(new GetCommand({ TableName: this.db.name, Key: itemKey.account(accountId), ConsistentRead: true }))).Item;
  }

  async readKey(keyId: string): Promise<Item | undefined> {
    return (await this.db.doc.send(new GetCommand({ TableName: this.db.name, Key: itemKey.key(keyId), ConsistentRead: true }))).Item;
  }
}
