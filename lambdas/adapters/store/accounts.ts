/**
 * Accounts and their credits: the balance item, and the directory entry each account is listed
 * through. A model call no longer writes the balance: its key holds credits as a lease from the
 * account (store/key-lease.ts), and the balance shown is the account's unleased credits plus its
 * keys' leases (store/lease-balance.ts); the balance item itself is written by lease takes and
 * returns and by an operator's grants and withdrawals.
 */
import { KeywardenError } from '../../core/errors';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Store } from '../../core/ports';
import type { Account, StoredAccountPolicy } from '../../core/types';
import { KeyLeases } from './key-lease';
import { leasedBalance } from './lease-balance';
import { sweepLeases, type LeaseSweepReport } from './lease-sweep';
import { StampLanes, stampParts } from './stamp-lanes';
import { strip, unlessConditionFails, type TableAccess } from './table-access';
import { itemKey, partition, sortKey, TABLE_SCHEMA } from './table';

export type AccountStore = Pick<
  Store,
  | 'createAccount'
  | 'getAccount'
  | 'listAccounts'
  | 'setApiAccess'
  | 'adjustCredits'
  | 'setCreditsLowThreshold'
  | 'nextCreditsLowEpisode'
  | 'setAccountPolicy'
>;

export class AccountItems implements AccountStore {
  private readonly leases: KeyLeases;
  /** Stamps on the account item's credit adjustments (a grant or withdrawal whose answer was lost lands once). */
  private readonly lanes = new StampLanes();

  constructor(private readonly db: TableAccess) {
    this.leases = KeyLeases.of(db);
  }

  /**
   * The balance item carries no index attributes: every lease take and return writes it (before
   * leases, every model call did, twice), and an indexed item would write its one `ACCOUNTS` index
   * partition as often, for every account at once. Listing goes through a directory entry per account instead, written
   * once, first: an account is never unlisted, and an entry whose account was never created is
   * skipped when listing.
   */
  async createAccount(account: Account): Promise<void> {
    await this.db.doc.send(new PutCommand({ TableName: this.db.name, Item: accountDirectoryEntry(account) }));
    // A resend after a lost answer finds this put landed (TableAccess.putOnce); another account of the id refuses it.
    if (!(await this.db.putOnce({ ...itemKey.account(account.id), ...account }))) throw new KeywardenError('conflict', `Account ${account.id} already exists.`);
  }

  /** The account with its balance as shown: unleased credits plus its keys' leases, exact as of the read (lease-balance.ts). */
  async getAccount(id: string): Promise<Account | undefined> {
    const out = await this.db.doc.send(new GetCommand({ TableName: this.db.name, Key: itemKey.account(id), ConsistentRead: true }));
    return out.Item ? this.withLeases(out.Item) : undefined;
  }

  private async withLeases(item: Record<string, unknown>): Promise<Account> {
    const account = strip<Account>(item);
    const summed = await leasedBalance(this.db, this.leases, account.id, item);
    return summed ? { ...strip<Account>(summed.item), credits: summed.credits } : account;
  }

  /** The account's leases tidied: half-done lease writes completed, unused leases given back (lease-sweep.ts). */
  sweepLeases(id: string, now: number): Promise<LeaseSweepReport> {
    return sweepLeases(this.db, this.leases, id, now);
  }

  leasesSettled(): Promise<void> {
    return this.leases.settled();
  }

  /**
   * Every account, oldest first: the directory's entries, then their balance items read together.
   * An account stored before the directory existed (its balance item itself indexed) is listed as
   * it is and moved out of the index on the way (entry written, index attributes removed).
   */
  async listAccounts(): Promise<Account[]> {
    const entries = await this.db.queryAll({ IndexName: TABLE_SCHEMA.gsi1.name, KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': partition.accounts } });
    const legacy = entries.filter((entry) => entry.sk === sortKey.account).map((entry) => strip<Account>(entry));
    const listed = await this.db.batchGetAll(
      entries.filter((entry) => entry.sk === sortKey.accountDirectory).map((entry) => itemKey.account(String(entry.id))),
    );
    const summed = await Promise.all(listed.map((item) => this.withLeases(item)));
    const byId = new Map<string, Account>([...legacy, ...summed].map((account) => [account.id, account]));
    // Best effort: the listing above is right either way, and an account not moved now is moved next time.
    await Promise.all(legacy.map((account) => this.moveOutOfIndex(account).catch(() => undefined)));
    const order = [...new Set(entries.map((entry) => String(entry.id)))];
    return order.flatMap((id) => byId.get(id) ?? []);
  }

  /** An account stored with its balance item indexed: its directory entry, then the item unindexed (idempotent). */
  private async moveOutOfIndex(account: Account): Promise<void> {
    await this.db.doc.send(new PutCommand({ TableName: this.db.name, Item: accountDirectoryEntry(account) }));
    await unlessConditionFails(
      this.db.doc.send(
        new UpdateCommand({ TableName: this.db.name, Key: itemKey.account(account.id), UpdateExpression: 'REMOVE gsi1pk, gsi1sk', ConditionExpression: 'attribute_exists(pk)' }),
      ),
    );
  }

  async setCreditsLowThreshold(id: string, threshold: number | null): Promise<Account | undefined> {
    const out = await unlessConditionFails(
      this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.name,
          Key: itemKey.account(id),
          UpdateExpression: threshold === null ? 'REMOVE creditsLowThreshold' : 'SET creditsLowThreshold = :t',
          ConditionExpression: 'attribute_exists(pk)',
          ...(threshold === null ? {} : { ExpressionAttributeValues: { ':t': threshold } }),
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return out?.Attributes ? strip<Account>(out.Attributes) : undefined;
  }

  /**
   * The policy is one attribute of the balance item, replaced whole: every key change reads the
   * account anyway (the API gate), so the policy costs no extra read, and the money writes, which
   * update only their own attributes, never touch it.
   */
  async setAccountPolicy(id: string, policy: StoredAccountPolicy | null): Promise<Account | undefined> {
    const out = await unlessConditionFails(
      this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.name,
          Key: itemKey.account(id),
          UpdateExpression: policy === null ? 'REMOVE #policy' : 'SET #policy = :p',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#policy': 'policy' },
          ...(policy === null ? {} : { ExpressionAttributeValues: { ':p': policy } }),
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return out?.Attributes ? strip<Account>(out.Attributes) : undefined;
  }

  async nextCreditsLowEpisode(id: string, seen: number): Promise<boolean> {
    const out = await unlessConditionFails(
      this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.name,
          Key: itemKey.account(id),
          UpdateExpression: 'SET creditsLowEpisode = :next',
          ConditionExpression: seen === 0 ? 'attribute_exists(pk) AND (attribute_not_exists(creditsLowEpisode) OR creditsLowEpisode = :seen)' : 'creditsLowEpisode = :seen',
          ExpressionAttributeValues: { ':next': seen + 1, ':seen': seen },
        }),
      ),
    );
    return out !== undefined;
  }

  /** Switching the gate off also calls the account's leases back: no key goes on drawing on credits it took before. */
  async setApiAccess(id: string, enabled: boolean): Promise<Account | undefined> {
    const out = await unlessConditionFails(
      this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.name,
          Key: itemKey.account(id),
          UpdateExpression: 'SET apiAccess = :e',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':e': enabled },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    if (!out) return undefined;
    if (!enabled) await this.leases.reclaim(id);
    return this.withLeases(out.Attributes ?? {});
  }

  /**
   * On the unleased credits. A withdrawal they cannot cover calls the keys' leases back first, so
   * what it may take is the balance as shown. The balance answered is the one shown.
   */
  async adjustCredits(
    id: string,
    delta: number,
  ): Promise<{ ok: true; balance: number } | { ok: false; reason: 'not_found' | 'insufficient' }> {
    const out = await this.adjustUnleased(id, delta);
    if (out.ok || out.reason === 'not_found' || delta >= 0) return out.ok ? this.shown(id, out) : out;
    await this.leases.reclaim(id);
    const again = await this.adjustUnleased(id, delta);
    return again.ok ? this.shown(id, again) : again;
  }

  private async shown(id: string, out: { ok: true; balance: number }): Promise<{ ok: true; balance: number }> {
    const account = await this.getAccount(id);
    return { ok: true, balance: account?.credits ?? out.balance };
  }

  /**
   * The unleased credits moved by `delta`, in one write stamped like a key's (stamp-lanes.ts): the
   * transport sends a write again when its answer is lost, and a grant or withdrawal that had
   * landed must not be applied twice; the resend fails on its own stamp, and the item says it landed.
   */
  private adjustUnleased(id: string, delta: number): Promise<{ ok: true; balance: number } | { ok: false; reason: 'not_found' | 'insufficient' }> {
    return this.lanes.run(id, async (first) => {
      for (let stamp = first; ; stamp = { ...stamp, removed: [] }) {
        const st = stampParts(stamp);
        const out = await unlessConditionFails(
          this.db.doc.send(
            new UpdateCommand({
              TableName: this.db.name,
              Key: itemKey.account(id),
              UpdateExpression: `SET credits = credits + :d, ${st.set}${st.remove.length ? ` REMOVE ${st.remove.join(', ')}` : ''}`,
              ConditionExpression: `${delta >= 0 ? 'attribute_exists(pk)' : 'attribute_exists(pk) AND credits >= :need'} AND ${st.condition}`,
              ExpressionAttributeNames: st.names,
              ExpressionAttributeValues: { ':d': delta, ...(delta >= 0 ? {} : { ':need': -delta }), ...unmarshall(st.values) },
              ReturnValues: 'ALL_NEW',
            }),
          ),
        );
        if (out) {
          this.lanes.noteStale(id, out.Attributes ?? {});
          return { ok: true, balance: Number(out.Attributes?.credits) };
        }
        const { Item: item } = await this.db.doc.send(new GetCommand({ TableName: this.db.name, Key: itemKey.account(id), ConsistentRead: true }));
        if (!item) return { ok: false, reason: 'not_found' };
        if (this.lanes.landed(item, stamp)) return { ok: true, balance: Number(item.credits) };
        // Not landed: too few credits, or a stale stamp it was removing written again meanwhile (then once more, removing nothing).
        if ((delta < 0 && Number(item.credits) < -delta) || stamp.removed.length === 0) return { ok: false, reason: 'insufficient' };
      }
    });
  }
}

/** An account's entry in the `ACCOUNTS` listing (its id and creation time: nothing that changes). */
function accountDirectoryEntry(account: Pick<Account, 'id' | 'createdAt'>): Record<string, unknown> {
  return {
    ...itemKey.accountDirectory(account.id),
    gsi1pk: partition.accounts,
    gsi1sk: sortKey.timeline(account.createdAt, account.id),
    id: account.id,
    createdAt: account.createdAt,
  };
}
