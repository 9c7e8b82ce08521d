/**
 * Accounts and their credits: the balance item every model call writes twice (reservation,
 * settlement, over the lean transport), and the directory entry each account is listed through.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { roundCredits } from '../../core/credits';
import type { ReserveOutcome, Store } from '../../core/ports';
import type { Account } from '../../core/types';
import { GroupCommit } from './group-commit';
import { strip, unlessConditionFails, type TableAccess } from './table-access';
import { itemKey, partition, sortKey, TABLE_SCHEMA } from './table';

/** Attribute values the hot-path writes use on every call, built once. */
const ACCOUNT_SK: AttributeValue = { S: sortKey.account };
const TRUE: AttributeValue = { BOOL: true };

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
>;

export class AccountItems implements AccountStore {
  /** Settlement refunds per account: those waiting on one account go out as one sum. */
  private readonly creditReturns = new Map<string, GroupCommit<number>>();

  constructor(private readonly db: TableAccess) {}

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

  async reserveCredits(id: string, amount: number): Promise<ReserveOutcome> {
    // Hot path (every model call): the low-level client with its attribute values built by hand.
    const out = await unlessConditionFails(
      this.db.wire.send<{ Attributes?: Record<string, AttributeValue> }>('UpdateItem', {
        TableName: this.db.name,
        Key: { pk: { S: partition.account(id) }, sk: ACCOUNT_SK },
        UpdateExpression: 'SET credits = credits - :a',
        ConditionExpression: 'attribute_exists(pk) AND apiAccess = :on AND credits >= :a',
        ExpressionAttributeValues: { ':a': { N: String(amount) }, ':on': TRUE },
        ReturnValues: 'UPDATED_NEW',
      }, 'reserve'),
    );
    if (out) return { ok: true, balance: Number(out.Attributes?.credits?.N) };
    const account = await this.getAccount(id);
    if (!account) return { ok: false, reason: 'not_found', balance: 0 };
    return { ok: false, reason: account.apiAccess ? 'insufficient' : 'disabled', balance: account.credits };
  }

  returnCredits(id: string, amount: number): Promise<void> {
    if (!(amount > 0)) return Promise.resolve();
    let queue = this.creditReturns.get(id);
    if (!queue) {
      queue = new GroupCommit<number>({
        maxBatch: Number.MAX_SAFE_INTEGER,
        write: (amounts) => this.addCredits(id, amounts.reduce((sum, a) => sum + a, 0)),
        onIdle: () => this.creditReturns.delete(id),
      });
      this.creditReturns.set(id, queue);
    }
    return queue.add(amount);
  }

  private async addCredits(id: string, amount: number): Promise<void> {
    await this.db.wire.send('UpdateItem', {
      TableName: this.db.name,
      Key: { pk: { S: partition.account(id) }, sk: ACCOUNT_SK },
      UpdateExpression: 'SET credits = credits + :a',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':a': { N: String(roundCredits(amount)) } },
    }, 'settle');
  }

  /** Hot path (after the answer): the low-level client, like the refund; no condition on the balance. */
  async chargeCredits(id: string, amount: number): Promise<number> {
    const out = await this.db.wire.send<{ Attributes?: Record<string, AttributeValue> }>('UpdateItem', {
      TableName: this.db.name,
      Key: { pk: { S: partition.account(id) }, sk: ACCOUNT_SK },
      UpdateExpression: 'SET credits = credits - :a',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':a': { N: String(roundCredits(amount)) } },
      ReturnValues: 'UPDATED_NEW',
    }, 'settle');
    return Number(out.Attributes?.credits?.N);
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
