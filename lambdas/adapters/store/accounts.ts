/**
 * Accounts and their credits: the balance item every model call writes (reservation, settlement,
 * exactly once: store/account-money.ts), and the directory entry each account is listed through.
 */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ReserveOutcome, Store } from '../../core/ports';
import type { Account, StoredAccountPolicy } from '../../core/types';
import { AccountMoney } from './account-money';
import { strip, unlessConditionFails, type TableAccess } from './table-access';
import { itemKey, partition, sortKey, TABLE_SCHEMA } from './table';

export type AccountStore = Pick<
  Store,
  | 'createAccount'
  | 'getAccount'
  | 'listAccounts'
  | 'setApiAccess'
  | 'adjustCredits'
  | 'reserveCredits'
  | 'returnCredits'
  | 'chargeCredits'
  | 'setCreditsLowThreshold'
  | 'nextCreditsLowEpisode'
  | 'setAccountPolicy'
>;

export class AccountItems implements AccountStore {
  /** Reservations, charges and refunds: exactly once, one write in flight per account (account-money.ts). */
  private readonly money: AccountMoney;

  constructor(private readonly db: TableAccess) {
    this.money = new AccountMoney(db);
  }

  /**
   * The balance item carries no index attributes: every model call writes it twice (reservation,
   * settlement), and an indexed item would write its one `ACCOUNTS` index partition as often, for
   * every account at once. Listing goes through a directory entry per account instead, written
   * once, first: an account is never unlisted, and an entry whose account was never created is
   * skipped when listing.
   */
  async createAccount(account: Account): Promise<void> {
    await this.db.doc.send(new PutCommand({ TableName: this.db.name, Item: accountDirectoryEntry(account) }));
    await this.db.doc.send(
      new PutCommand({
        TableName: this.db.name,
        Item: { ...itemKey.account(account.id), ...account },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async getAccount(id: string): Promise<Account | undefined> {
    const out = await this.db.doc.send(new GetCommand({ TableName: this.db.name, Key: itemKey.account(id), ConsistentRead: true }));
    return out.Item ? strip<Account>(out.Item) : undefined;
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
    const byId = new Map<string, Account>([...legacy, ...listed.map((item) => strip<Account>(item))].map((account) => [account.id, account]));
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
    return out ? strip<Account>(out.Attributes ?? {}) : undefined;
  }

  async adjustCredits(
    id: string,
    delta: number,
  ): Promise<{ ok: true; balance: number } | { ok: false; reason: 'not_found' | 'insufficient' }> {
    const out = await unlessConditionFails(
      this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.name,
          Key: itemKey.account(id),
          UpdateExpression: 'SET credits = credits + :d',
          ConditionExpression: delta >= 0 ? 'attribute_exists(pk)' : 'attribute_exists(pk) AND credits >= :need',
          ExpressionAttributeValues: delta >= 0 ? { ':d': delta } : { ':d': delta, ':need': -delta },
          ReturnValues: 'UPDATED_NEW',
        }),
      ),
    );
    if (out) return { ok: true, balance: Number(out.Attributes?.credits) };
    return { ok: false, reason: (await this.getAccount(id)) ? 'insufficient' : 'not_found' };
  }

  /** Hot path (every model call): stamped, one write in flight per account (store/account-money.ts). */
  reserveCredits(id: string, amount: number): Promise<ReserveOutcome> {
    return this.money.reserve(id, amount);
  }

  /** A settlement's refund, after the answer: shares the account's next write with what waits. */
  async returnCredits(id: string, amount: number): Promise<void> {
    if (!(amount > 0)) return;
    await this.money.give(id, amount);
  }

  /** A settlement's price beyond its reservation, after the answer; no condition on the balance. */
  chargeCredits(id: string, amount: number): Promise<number> {
    return this.money.charge(id, amount);
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
