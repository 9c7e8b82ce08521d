/**
 * The DynamoDB store: one table, every write a single-item conditional write, so it runs the same
 * on DynamoDB and on dynalite (no transactions, no TTL reliance: expiry is checked in code).
 *
 * Item layouts (pk / sk → indexes):
 *   account   ACCOUNT#<id> / ACCOUNT            (no index: written twice by every model call)
 *   account directory entry
 *             ACCOUNT#<id> / DIRECTORY          gsi1: ACCOUNTS / <createdAt>#<id>
 *   project   PROJECT#<id> / PROJECT            gsi1: ACCOUNT#<acct>#PROJECTS / <createdAt>#<id>
 *                                               gsi2: PROJECTS / <createdAt>#<id>
 *   admin     PROJECT#<id> / ADMIN#<identity>
 *   key       KEY#<id> / KEY                    gsi1: PROJECT#<pid>#KEYS / <createdAt>#<id>
 *   audit     PROJECT#<pid>#AUDIT / <at>#<id>   gsi1: KEY#<keyId>#AUDIT / <at>#<id>
 *                                               gsi2: PROJECT#<pid>#ACTOR#<actor> / <at>#<id>
 *   usage     PROJECT#<pid>#USAGE / <at>#<requestId>
 *                                               gsi1: KEY#<keyId>#USAGE / <at>#<requestId>
 *                                               gsi2: PROJECT#<pid>#REQUEST#<requestId> / USAGE
 *   conversation PROJECT#<pid> / CONV#<bot>#<identity>
 *   nonce     NONCE#<value> / NONCE
 *   lease     PROJECT#<id> / LEASE#KEY-MANAGERS   (held while a key that manages keys is revoked or deleted)
 *   console   CONSOLE#<sha256(token)> / LINK | SESSION   (sign-in links and sessions; no raw token)
 *
 * Access patterns:
 *   authenticate + rate-limit a key    UpdateItem KEY#<id> (conditional; 1 round trip when warm)
 *   key by id / by raw key             GetItem KEY#<id> (ids derive from the raw key, see hashing.ts)
 *   keys of a project, newest first    Query gsi1 PROJECT#<pid>#KEYS
 *   reserve credits                    UpdateItem ACCOUNT#<id> (conditional on gate and balance)
 *   settle credits                     UpdateItem ACCOUNT#<id> (unconditional add; may leave debt)
 *   audit by project / key / actor     Query table / gsi1 / gsi2, newest first
 *   project admins                     Query PROJECT#<id> begins_with ADMIN#
 *   a key and "is this person an admin" BatchGetItem KEY#<id> + ADMIN#<identity> (1 round trip)
 *   a person's action, once            PutItem audit (attribute_not_exists; its sort key derives
 *                                       from the signed assertion, so a replay finds it taken)
 *   one-time nonces                    PutItem NONCE#<v> (attribute_not_exists)
 *   key-managers lease                 PutItem PROJECT#<id>/LEASE#KEY-MANAGERS (absent, ended or own)
 *   console link, once                 UpdateItem CONSOLE#<h>/LINK (unused and unexpired)
 *
 * Rate limit: the key item carries its own window (rlResetAt, rlCount) and limit (rlMax, rlWindowMs);
 * a request is admitted by one conditional increment, so admitted requests in a window never exceed
 * the limit however many Lambda instances race.
 */
import { ConditionalCheckFailedException, DynamoDBClient, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { roundCredits } from '../core/credits';
import { KeywardenError } from '../core/errors';
import { keyStatus } from '../core/key-status';
import type { AdmitOutcome, AuditQuery, ReserveOutcome, Store, UsageQuery } from '../core/ports';
import type { Account, AuditRecord, ConversationRecord, KeyRecord, Page, Project, UsageRecord } from '../core/types';
import { TABLE_SCHEMA } from './table-schema';
import type { ConsoleGrant } from '../core/ports';
import { backoff } from '../core/backoff';
import { DynamoWire } from './dynamodb-wire';
import { GroupCommit } from './group-commit';

const AUDIT_RETENTION_S = 400 * 86_400;

const k = {
  account: (id: string) => ({ pk: `ACCOUNT#${id}`, sk: 'ACCOUNT' }),
  accountDirectory: (id: string) => ({ pk: `ACCOUNT#${id}`, sk: 'DIRECTORY' }),
  project: (id: string) => ({ pk: `PROJECT#${id}`, sk: 'PROJECT' }),
  admin: (projectId: string, identity: string) => ({ pk: `PROJECT#${projectId}`, sk: `ADMIN#${identity}` }),
  key: (id: string) => ({ pk: `KEY#${id}`, sk: 'KEY' }),
  projectKeys: (projectId: string) => `PROJECT#${projectId}#KEYS`,
  projectAudit: (projectId: string) => `PROJECT#${projectId}#AUDIT`,
  keyAudit: (keyId: string) => `KEY#${keyId}#AUDIT`,
  actorAudit: (projectId: string, actor: string) => `PROJECT#${projectId}#ACTOR#${actor}`,
  projectUsage: (projectId: string) => `PROJECT#${projectId}#USAGE`,
  keyUsage: (keyId: string) => `KEY#${keyId}#USAGE`,
  requestUsage: (projectId: string, requestId: string) => `PROJECT#${projectId}#REQUEST#${requestId}`,
  nonce: (value: string) => ({ pk: `NONCE#${value}`, sk: 'NONCE' }),
  keyManagersLease: (projectId: string) => ({ pk: `PROJECT#${projectId}`, sk: 'LEASE#KEY-MANAGERS' }),
};

/** Attribute values the hot-path writes use on every call, built once. */
const ACCOUNT_SK: AttributeValue = { S: 'ACCOUNT' };
const KEY_SK: AttributeValue = { S: 'KEY' };
const ACTIVE: AttributeValue = { S: 'active' };
const ONE: AttributeValue = { N: '1' };
const TRUE: AttributeValue = { BOOL: true };

const INTERNAL_ATTRIBUTES = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'ttl', 'rlResetAt', 'rlCount', 'rlMax', 'rlWindowMs', 'keyCounter'];

function strip<T>(item: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) if (!INTERNAL_ATTRIBUTES.includes(name)) out[name] = value;
  return out as T;
}

function isConditionFailure(err: unknown): boolean {
  return err instanceof ConditionalCheckFailedException || (err as { name?: string })?.name === 'ConditionalCheckFailedException';
}

/** Runs a conditional write; `undefined` when its condition did not hold, any other failure thrown. */
async function unlessConditionFails<T>(write: Promise<T>): Promise<T | undefined> {
  try {
    return await write;
  } catch (err) {
    if (isConditionFailure(err)) return undefined;
    throw err;
  }
}

function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined;
}

function decodeCursor(cursor: string | undefined): Record<string, unknown> | undefined {
  if (!cursor) return undefined;
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new KeywardenError('invalid_request_error', 'The cursor is not valid.', { param: 'cursor' });
}

export interface DynamoDbStoreOptions {
  tableName: string;
  client: DynamoDBClient;
  /** The hot path's transport; default: one over `client`'s configuration. */
  wire?: DynamoWire;
}

/** Most items one BatchWriteItem takes (DynamoDB's limit). */
const MAX_BATCH_WRITE = 25;
/** Rounds a batch's unprocessed items are sent again before their callers are told. */
const UNPROCESSED_ROUNDS = 5;

export function createDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export class DynamoDbStore implements Store {
  private readonly doc: DynamoDBDocumentClient;
  /**
   * The writes every gateway call makes (admission, reservation, settlement, usage record) go over
   * the lean transport with attribute values built by hand; everything else uses the SDK.
   */
  private readonly wire: DynamoWire;
  private readonly table: string;
  /** Usage records, written in shared BatchWriteItems when several are waiting. */
  private readonly usageWrites: GroupCommit<Record<string, AttributeValue>>;
  /** Settlement refunds per account: those waiting on one account go out as one sum. */
  private readonly creditReturns = new Map<string, GroupCommit<number>>();

  constructor(options: DynamoDbStoreOptions) {
    this.doc = createDocumentClient(options.client);
    this.wire = options.wire ?? new DynamoWire(options.client);
    this.table = options.tableName;
    this.usageWrites = new GroupCommit({
      maxBatch: MAX_BATCH_WRITE,
      slotOf: (item) => `${item.pk?.S}\u0000${item.sk?.S}`,
      write: (items) => this.batchPut(items),
    });
  }

  // ── accounts ──────────────────────────────────────────────────────────────

  /**
   * The balance item carries no index attributes: every model call writes it twice (reservation,
   * settlement), and an indexed item would write its one `ACCOUNTS` index partition as often, for
   * every account at once. Listing goes through a directory entry per account instead, written
   * once, first: an account is never unlisted, and an entry whose account was never created is
   * skipped when listing.
   */
  async createAccount(account: Account): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.table, Item: accountDirectoryEntry(account) }));
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...k.account(account.id), ...account },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async getAccount(id: string): Promise<Account | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: k.account(id), ConsistentRead: true }));
    return out.Item ? strip<Account>(out.Item) : undefined;
  }

  /**
   * Every account, oldest first: the directory's entries, then their balance items read together.
   * An account stored before the directory existed (its balance item itself indexed) is listed as
   * it is and moved out of the index on the way (entry written, index attributes removed).
   */
  async listAccounts(): Promise<Account[]> {
    const entries = await this.queryAll({ IndexName: TABLE_SCHEMA.gsi1.name, KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': 'ACCOUNTS' } });
    const legacy = entries.filter((entry) => entry.sk === 'ACCOUNT').map((entry) => strip<Account>(entry));
    const listed = await this.batchGetAll(
      entries.filter((entry) => entry.sk === 'DIRECTORY').map((entry) => k.account(String(entry.id))),
    );
    const byId = new Map<string, Account>([...legacy, ...listed.map((item) => strip<Account>(item))].map((account) => [account.id, account]));
    // Best effort: the listing above is right either way, and an account not moved now is moved next time.
    await Promise.all(legacy.map((account) => this.moveOutOfIndex(account).catch(() => undefined)));
    const order = [...new Set(entries.map((entry) => String(entry.id)))];
    return order.flatMap((id) => byId.get(id) ?? []);
  }

  /** An account stored with its balance item indexed: its directory entry, then the item unindexed (idempotent). */
  private async moveOutOfIndex(account: Account): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.table, Item: accountDirectoryEntry(account) }));
    await unlessConditionFails(
      this.doc.send(
        new UpdateCommand({ TableName: this.table, Key: k.account(account.id), UpdateExpression: 'REMOVE gsi1pk, gsi1sk', ConditionExpression: 'attribute_exists(pk)' }),
      ),
    );
  }

  async setApiAccess(id: string, enabled: boolean): Promise<Account | undefined> {
    const out = await unlessConditionFails(
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: k.account(id),
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
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: k.account(id),
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
      this.wire.send<{ Attributes?: Record<string, AttributeValue> }>('UpdateItem', {
        TableName: this.table,
        Key: { pk: { S: `ACCOUNT#${id}` }, sk: ACCOUNT_SK },
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
    await this.wire.send('UpdateItem', {
      TableName: this.table,
      Key: { pk: { S: `ACCOUNT#${id}` }, sk: ACCOUNT_SK },
      UpdateExpression: 'SET credits = credits + :a',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':a': { N: String(roundCredits(amount)) } },
    }, 'settle');
  }

  /** Hot path (after the answer): the low-level client, like the refund; no condition on the balance. */
  async chargeCredits(id: string, amount: number): Promise<number> {
    const out = await this.wire.send<{ Attributes?: Record<string, AttributeValue> }>('UpdateItem', {
      TableName: this.table,
      Key: { pk: { S: `ACCOUNT#${id}` }, sk: ACCOUNT_SK },
      UpdateExpression: 'SET credits = credits - :a',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':a': { N: String(roundCredits(amount)) } },
      ReturnValues: 'UPDATED_NEW',
    }, 'settle');
    return Number(out.Attributes?.credits?.N);
  }

  // ── projects and admins ───────────────────────────────────────────────────

  async createProject(project: Project): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          ...k.project(project.id),
          gsi1pk: `ACCOUNT#${project.accountId}#PROJECTS`,
          gsi1sk: `${project.createdAt}#${project.id}`,
          gsi2pk: 'PROJECTS',
          gsi2sk: `${project.createdAt}#${project.id}`,
          keyCounter: 0,
          ...project,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async getProject(id: string): Promise<Project | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: k.project(id), ConsistentRead: true }));
    return out.Item ? strip<Project>(out.Item) : undefined;
  }

  async listProjects(accountId?: string): Promise<Project[]> {
    const input: Omit<QueryCommandInput, 'TableName'> = accountId
      ? { IndexName: TABLE_SCHEMA.gsi1.name, KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': `ACCOUNT#${accountId}#PROJECTS` } }
      : { IndexName: TABLE_SCHEMA.gsi2.name, KeyConditionExpression: 'gsi2pk = :p', ExpressionAttributeValues: { ':p': 'PROJECTS' } };
    return (await this.queryAll(input)).map((i) => strip<Project>(i));
  }

  async setAutomatorKey(projectId: string, keyId: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: k.project(projectId),
        UpdateExpression: 'SET automatorKeyId = :k',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':k': keyId },
      }),
    );
  }

  async nextKeyNumber(projectId: string): Promise<number> {
    const out = await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: k.project(projectId),
        UpdateExpression: 'ADD keyCounter :one',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(out.Attributes?.keyCounter);
  }

  async addAdmin(projectId: string, identity: string, addedBy: string): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...k.admin(projectId, identity), identity, addedBy, addedAt: new Date().toISOString() },
      }),
    );
  }

  async removeAdmin(projectId: string, identity: string): Promise<boolean> {
    const out = await this.doc.send(new DeleteCommand({ TableName: this.table, Key: k.admin(projectId, identity), ReturnValues: 'ALL_OLD' }));
    return out.Attributes !== undefined;
  }

  async listAdmins(projectId: string): Promise<string[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :a)',
      ExpressionAttributeValues: { ':p': `PROJECT#${projectId}`, ':a': 'ADMIN#' },
      ConsistentRead: true,
    });
    return items.map((i) => String(i.identity));
  }

  async isAdmin(projectId: string, identity: string): Promise<boolean> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: k.admin(projectId, identity), ConsistentRead: true }));
    return out.Item !== undefined;
  }

  async getKeyWithAdmin(id: string, admin: { projectId: string; identity: string }): Promise<{ key?: KeyRecord; admin: boolean }> {
    const found = await this.batchGetAll([k.key(id), k.admin(admin.projectId, admin.identity)]);
    const keyItem = found.find((item) => item.sk === 'KEY');
    return { ...(keyItem ? { key: toKey(keyItem) } : {}), admin: found.some((item) => item.sk !== 'KEY') };
  }

  // ── keys ──────────────────────────────────────────────────────────────────

  async putKey(key: KeyRecord): Promise<boolean> {
    const out = await unlessConditionFails(
      this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...k.key(key.id),
            gsi1pk: k.projectKeys(key.projectId),
            gsi1sk: `${key.createdAt}#${key.id}`,
            ...key,
            expiresAt: key.expiresAt ?? undefined,
            rlMax: key.rateLimit.limit,
            rlWindowMs: key.rateLimit.windowSeconds * 1000,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    return out !== undefined;
  }

  async getKey(id: string): Promise<KeyRecord | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: k.key(id), ConsistentRead: true }));
    return out.Item ? toKey(out.Item) : undefined;
  }

  async listKeys(projectId: string, options: { cursor?: string; limit: number }): Promise<Page<KeyRecord>> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: TABLE_SCHEMA.gsi1.name,
        KeyConditionExpression: 'gsi1pk = :p',
        ExpressionAttributeValues: { ':p': k.projectKeys(projectId) },
        ScanIndexForward: false,
        Limit: options.limit,
        ExclusiveStartKey: decodeCursor(options.cursor),
      }),
    );
    return { items: (out.Items ?? []).map(toKey), nextCursor: encodeCursor(out.LastEvaluatedKey) };
  }

  keysCursorAfter(key: KeyRecord): string {
    // The index's LastEvaluatedKey for this item: its table key and its gsi1 key.
    return encodeCursor({ ...k.key(key.id), gsi1pk: k.projectKeys(key.projectId), gsi1sk: `${key.createdAt}#${key.id}` })!;
  }

  async revokeKey(id: string, at: string): Promise<KeyRecord | undefined> {
    const out = await unlessConditionFails(
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: k.key(id),
          // Idempotent: a second revoke keeps the first revocation time.
          UpdateExpression: 'SET #s = :revoked, revokedAt = if_not_exists(revokedAt, :at)',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':revoked': 'revoked', ':at': at },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return out ? toKey(out.Attributes ?? {}) : undefined;
  }

  async markRotated(id: string, replacementId: string, at: string, graceUntil: number | undefined): Promise<boolean> {
    const revokeNow = graceUntil === undefined;
    const out = await unlessConditionFails(
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: k.key(id),
          UpdateExpression: revokeNow
            ? 'SET replacedBy = :r, #s = :revoked, revokedAt = :at'
            : 'SET replacedBy = :r, graceUntil = :g',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(replacedBy)',
          ExpressionAttributeNames: revokeNow ? { '#s': 'status' } : undefined,
          ExpressionAttributeValues: revokeNow ? { ':r': replacementId, ':revoked': 'revoked', ':at': at } : { ':r': replacementId, ':g': graceUntil },
        }),
      ),
    );
    return out !== undefined;
  }

  async deleteKey(id: string): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.table, Key: k.key(id) }));
  }

  async admitKeyUse(id: string, hash: string, now: number): Promise<AdmitOutcome> {
    const validity =
      'attribute_exists(pk) AND #h = :hash AND #s = :active' +
      ' AND (attribute_not_exists(expiresAt) OR expiresAt > :now)' +
      ' AND (attribute_not_exists(graceUntil) OR graceUntil > :now)';
    const names = { '#h': 'hash', '#s': 'status' };
    // Hot path (every authenticated call): the low-level client with its attribute values built by hand.
    const values: Record<string, AttributeValue> = { ':hash': { S: hash }, ':active': ACTIVE, ':now': { N: String(now) }, ':one': ONE, ':used': { S: new Date(now).toISOString() } };
    const itemKey = { pk: { S: `KEY#${id}` }, sk: KEY_SK };
    const admit = (update: string, condition: string) =>
      unlessConditionFails(
        this.wire.send<{ Attributes?: Record<string, AttributeValue> }>('UpdateItem', {
          TableName: this.table,
          Key: itemKey,
          UpdateExpression: update,
          ConditionExpression: `${validity} AND ${condition}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }, 'admit'),
      );
    for (let attempt = 0; attempt < 3; attempt++) {
      const out =
        // Warm path: inside the current window and under the limit.
        (await admit('SET rlCount = rlCount + :one, lastUsedAt = :used', 'rlResetAt > :now AND rlCount < rlMax')) ??
        // First request of a new window.
        (await admit(
          'SET rlCount = :one, rlResetAt = :now + rlWindowMs, lastUsedAt = :used',
          '(attribute_not_exists(rlResetAt) OR rlResetAt <= :now) AND rlMax >= :one',
        ));
      if (out) return admitted(unmarshall(out.Attributes ?? {}));
      const refused = await this.refusedUse(id, hash, now);
      // Lost a race at a window boundary but there is room: try again.
      if (!refused.key || !refused.usable || (refused.window.resetAt > now && refused.window.count >= refused.key.rateLimit.limit)) {
        return { admitted: false, key: refused.key, window: refused.window };
      }
    }
    // Still contended after three tries: refused as rate-limited, with the window as it stands.
    const { key, window } = await this.refusedUse(id, hash, now);
    return { admitted: false, key, window: key ? { ...window, count: Math.max(window.count, key.rateLimit.limit) } : window };
  }

  /** The key item after a refused admission, read consistently: the one model of its window. */
  private async refusedUse(id: string, hash: string, now: number) {
    const { Item: item } = await this.doc.send(new GetCommand({ TableName: this.table, Key: k.key(id), ConsistentRead: true }));
    const window = { count: Number(item?.rlCount ?? 0), resetAt: Number(item?.rlResetAt ?? now) };
    if (!item) return { key: undefined, usable: false, window };
    const key = toKey(item);
    return { key, usable: key.hash === hash && keyStatus(key, now) === 'active', window };
  }

  // ── audit and nonces ──────────────────────────────────────────────────────

  async putAudit(record: AuditRecord, options: { unique?: boolean } = {}): Promise<boolean> {
    const sort = `${record.at}#${record.id}`;
    const put = this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: k.projectAudit(record.projectId),
          sk: sort,
          ...(record.keyId ? { gsi1pk: k.keyAudit(record.keyId), gsi1sk: sort } : {}),
          gsi2pk: k.actorAudit(record.projectId, record.actor),
          gsi2sk: sort,
          ttl: Math.floor(Date.parse(record.at) / 1000) + AUDIT_RETENTION_S,
          ...record,
        },
        ...(options.unique ? { ConditionExpression: 'attribute_not_exists(pk)' } : {}),
      }),
    );
    return (await unlessConditionFails(put)) !== undefined;
  }

  async queryAudit(query: AuditQuery): Promise<Page<AuditRecord>> {
    const since = query.since ?? '0';
    const input: Omit<QueryCommandInput, 'TableName'> = query.keyId
      ? {
          IndexName: TABLE_SCHEMA.gsi1.name,
          KeyConditionExpression: 'gsi1pk = :p AND gsi1sk >= :since',
          FilterExpression: query.actor ? 'projectId = :proj AND actor = :actor' : 'projectId = :proj',
          ExpressionAttributeValues: { ':p': k.keyAudit(query.keyId), ':since': since, ':proj': query.projectId, ...(query.actor ? { ':actor': query.actor } : {}) },
        }
      : query.actor
        ? {
            IndexName: TABLE_SCHEMA.gsi2.name,
            KeyConditionExpression: 'gsi2pk = :p AND gsi2sk >= :since',
            ExpressionAttributeValues: { ':p': k.actorAudit(query.projectId, query.actor), ':since': since },
          }
        : {
            KeyConditionExpression: 'pk = :p AND sk >= :since',
            ExpressionAttributeValues: { ':p': k.projectAudit(query.projectId), ':since': since },
          };
    return this.newestFirst<AuditRecord>(input, query);
  }

  /** One page of a log (audit, usage), newest first, with the store cursor to the next. */
  private async newestFirst<T>(input: Omit<QueryCommandInput, 'TableName'>, page: { limit: number; cursor?: string }): Promise<Page<T>> {
    const out = await this.doc.send(
      new QueryCommand({ TableName: this.table, ...input, ScanIndexForward: false, Limit: page.limit, ExclusiveStartKey: decodeCursor(page.cursor) }),
    );
    return { items: (out.Items ?? []).map((i) => strip<T>(i)), nextCursor: encodeCursor(out.LastEvaluatedKey) };
  }

  // ── conversations ─────────────────────────────────────────────────────────

  async putConversation(record: ConversationRecord): Promise<void> {
    await this.doc.send(
      new PutCommand({ TableName: this.table, Item: { pk: `PROJECT#${record.projectId}`, sk: `CONV#${record.bot}#${record.identity}`, ...record } }),
    );
  }

  async listConversations(projectId: string, bot?: string): Promise<ConversationRecord[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :c)',
      ExpressionAttributeValues: { ':p': `PROJECT#${projectId}`, ':c': bot ? `CONV#${bot}#` : 'CONV#' },
      ConsistentRead: true,
    });
    return items.map((i) => strip<ConversationRecord>(i));
  }

  // ── usage ─────────────────────────────────────────────────────────────────

  putUsage(record: UsageRecord): Promise<void> {
    const sort = `${record.at}#${record.requestId}`;
    const item = marshall(
      {
        pk: k.projectUsage(record.projectId),
        sk: sort,
        gsi1pk: k.keyUsage(record.keyId),
        gsi1sk: sort,
        gsi2pk: k.requestUsage(record.projectId, record.requestId),
        gsi2sk: 'USAGE',
        ttl: Math.floor(Date.parse(record.at) / 1000) + AUDIT_RETENTION_S,
        ...record,
      },
      { removeUndefinedValues: true },
    );
    return this.usageWrites.add(item);
  }

  /** One BatchWriteItem of puts; what DynamoDB leaves unprocessed is sent again, with backoff. */
  private async batchPut(items: Record<string, AttributeValue>[]): Promise<void> {
    let requests: unknown[] = items.map((Item) => ({ PutRequest: { Item } }));
    for (let round = 0; ; round++) {
      const out = await this.wire.send<{ UnprocessedItems?: Record<string, unknown[]> }>('BatchWriteItem', { RequestItems: { [this.table]: requests } }, 'usage');
      requests = out.UnprocessedItems?.[this.table] ?? [];
      if (requests.length === 0) return;
      if (round + 1 >= UNPROCESSED_ROUNDS) throw new Error(`${requests.length} usage records were left unprocessed by DynamoDB.`);
      await backoff(round);
    }
  }

  async queryUsage(query: UsageQuery): Promise<Page<UsageRecord>> {
    const since = query.since ?? '0';
    const input: Omit<QueryCommandInput, 'TableName'> = query.requestId
      ? {
          IndexName: TABLE_SCHEMA.gsi2.name,
          KeyConditionExpression: 'gsi2pk = :p',
          ExpressionAttributeValues: { ':p': k.requestUsage(query.projectId, query.requestId) },
        }
      : query.keyId
        ? {
            IndexName: TABLE_SCHEMA.gsi1.name,
            KeyConditionExpression: 'gsi1pk = :p AND gsi1sk >= :since',
            FilterExpression: 'projectId = :proj',
            ExpressionAttributeValues: { ':p': k.keyUsage(query.keyId), ':since': since, ':proj': query.projectId },
          }
        : {
            KeyConditionExpression: 'pk = :p AND sk >= :since',
            ExpressionAttributeValues: { ':p': k.projectUsage(query.projectId), ':since': since },
          };
    return this.newestFirst<UsageRecord>(input, query);
  }

  async claimNonce(nonce: string, expiresAt: number): Promise<boolean> {
    const out = await unlessConditionFails(
      this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...k.nonce(nonce), ttl: Math.ceil(expiresAt / 1000) + 60 },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    return out !== undefined;
  }

  async acquireKeyManagersLease(projectId: string, holder: string, until: number, now: number): Promise<boolean> {
    const out = await unlessConditionFails(
      this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...k.keyManagersLease(projectId), holder, until, ttl: Math.ceil(until / 1000) + 3_600 },
          ConditionExpression: 'attribute_not_exists(pk) OR #until <= :now OR holder = :holder',
          ExpressionAttributeNames: { '#until': 'until' },
          ExpressionAttributeValues: { ':now': now, ':holder': holder },
        }),
      ),
    );
    return out !== undefined;
  }

  async releaseKeyManagersLease(projectId: string, holder: string): Promise<void> {
    await unlessConditionFails(
      this.doc.send(
        new DeleteCommand({
          TableName: this.table,
          Key: k.keyManagersLease(projectId),
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':holder': holder },
        }),
      ),
    );
  }

  // ── console sign-in links and sessions ─────────────────────────────────────
  // CONSOLE#<sha256 of the token> / LINK | SESSION. Expiry is checked in code (and in the
  // conditions); `ttl` only lets DynamoDB sweep the item some time after it ended.

  async putConsoleGrant(grant: ConsoleGrant): Promise<boolean> {
    const out = await unlessConditionFails(
      this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...consoleKey(grant.kind, grant.hash), ...grant, ttl: Math.ceil(grant.expiresAt / 1000) + 86_400 },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    return out !== undefined;
  }

  async getConsoleGrant(kind: ConsoleGrant['kind'], hash: string): Promise<ConsoleGrant | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: consoleKey(kind, hash), ConsistentRead: true }));
    return out.Item ? strip<ConsoleGrant>(out.Item) : undefined;
  }

  async spendConsoleLink(hash: string, now: number): Promise<ConsoleGrant | undefined> {
    const out = await unlessConditionFails(
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: consoleKey('link', hash),
          UpdateExpression: 'SET usedAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(usedAt) AND expiresAt > :now',
          ExpressionAttributeValues: { ':now': now },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return out?.Attributes ? strip<ConsoleGrant>(out.Attributes) : undefined;
  }

  async revokeConsoleSession(hash: string, at: number): Promise<boolean> {
    const out = await unlessConditionFails(
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: consoleKey('session', hash),
          UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :at)',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':at': at },
        }),
      ),
    );
    return out !== undefined;
  }

  /** The items at `keys` that exist (consistent reads, 100 to a call, in no particular order). */
  private async batchGetAll(keys: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
    const found: Record<string, unknown>[] = [];
    for (let from = 0; from < keys.length; from += 100) {
      let pending = keys.slice(from, from + 100);
      // BatchGetItem may hand some keys back unprocessed under throttling: ask again for those only.
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) await new Promise((done) => setTimeout(done, Math.min(20 * 2 ** attempt, 500)));
        if (attempt === 8) throw new KeywardenError('service_unavailable', 'The key store is busy; try again.');
        const out = await this.doc.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true } } }));
        found.push(...(out.Responses?.[this.table] ?? []));
        pending = out.UnprocessedKeys?.[this.table]?.Keys ?? [];
      }
    }
    return found;
  }

  private async queryAll(input: Omit<QueryCommandInput, 'TableName'>): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(new QueryCommand({ TableName: this.table, ...input, ExclusiveStartKey: start }));
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }
}

/** An account's entry in the `ACCOUNTS` listing (its id and creation time: nothing that changes). */
function accountDirectoryEntry(account: Pick<Account, 'id' | 'createdAt'>): Record<string, unknown> {
  return { ...k.accountDirectory(account.id), gsi1pk: 'ACCOUNTS', gsi1sk: `${account.createdAt}#${account.id}`, id: account.id, createdAt: account.createdAt };
}

function consoleKey(kind: ConsoleGrant['kind'], hash: string): { pk: string; sk: string } {
  return { pk: `CONSOLE#${hash}`, sk: kind === 'link' ? 'LINK' : 'SESSION' };
}

function toKey(item: Record<string, unknown>): KeyRecord {
  const key = strip<KeyRecord>(item);
  key.expiresAt = typeof item.expiresAt === 'number' ? item.expiresAt : null;
  return key;
}

function admitted(item: Record<string, unknown>): AdmitOutcome {
  return {
    admitted: true,
    key: toKey(item),
    window: { count: Number(item.rlCount), resetAt: Number(item.rlResetAt) },
  };
}
