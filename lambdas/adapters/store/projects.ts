/**
 * Projects and what lives in a project's partition beside it: its admins and where its bots reach
 * people (conversations). The key-managers lease shares the partition but is a claim (claims.ts).
 */
import { GetCommand, PutCommand, UpdateCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { KeywardenError } from '../../core/errors';
import type { Store } from '../../core/ports';
import type { ConversationRecord, Project } from '../../core/types';
import { strip, type TableAccess } from './table-access';
import { itemKey, partition, sortKey, TABLE_SCHEMA } from './table';

export type ProjectStore = Pick<
  Store,
  | 'createProject'
  | 'getProject'
  | 'listProjects'
  | 'setAutomatorKey'
  | 'nextKeyNumber'
  | 'addAdmin'
  | 'removeAdmin'
  | 'listAdmins'
  | 'isAdmin'
  | 'putConversation'
  | 'listConversations'
>;

export class ProjectItems implements ProjectStore {
  constructor(private readonly db: TableAccess) {}

  /** A resend after a lost answer finds this put landed (TableAccess.putOnce); another project of the id refuses it. */
  async createProject(project: Project): Promise<void> {
    const created = await this.db.putOnce({
      ...itemKey.project(project.id),
      gsi1pk: partition.accountProjects(project.accountId),
      gsi1sk: sortKey.timeline(project.createdAt, project.id),
      gsi2pk: partition.projects,
      gsi2sk: sortKey.timeline(project.createdAt, project.id),
      keyCounter: 0,
      ...project,
    });
    if (!created) throw new KeywardenError('conflict', `Project ${project.id} already exists.`);
  }

  async getProject(id: string): Promise<Project | undefined> {
    const out = await this.db.doc.send(new GetCommand({ TableName: this.db.name, Key: itemKey.project(id), ConsistentRead: true }));
    return out.Item ? strip<Project>(out.Item) : undefined;
  }

  async listProjects(accountId?: string): Promise<Project[]> {
    const input: Omit<QueryCommandInput, 'TableName'> = accountId
      ? { IndexName: TABLE_SCHEMA.gsi1.name, KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': partition.accountProjects(accountId) } }
      : { IndexName: TABLE_SCHEMA.gsi2.name, KeyConditionExpression: 'gsi2pk = :p', ExpressionAttributeValues: { ':p': partition.projects } };
    return (await this.db.queryAll(input)).map((i) => strip<Project>(i));
  }

  async setAutomatorKey(projectId: string, keyId: string): Promise<void> {
    await this.db.doc.send(
      new UpdateCommand({
        TableName: this.db.name,
        Key: itemKey.project(projectId),
        UpdateExpression: 'SET automatorKeyId = :k',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':k': keyId },
      }),
    );
  }

  async nextKeyNumber(projectId: string): Promise<number> {
    const out = await this.db.doc.send(
      new UpdateCommand({
        TableName: this.db.name,
        Key: itemKey.project(projectId),
        UpdateExpression: 'ADD keyCounter :one',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(out.Attributes?.keyCounter);
  }

  // ── admins ────────────────────────────────────────────────────────────────

  async addAdmin(projectId: string, identity: string, addedBy: string): Promise<void> {
    await this.db.doc.send(
      new PutCommand({
        TableName: this.db.name,
        Item: { ...itemKey.admin(projectId, identity), identity, addedBy, addedAt: new Date().toISOString() },
      }),
    );
  }

  async removeAdmin(projectId: string, identity: string): Promise<boolean> {
    // Told "removed" also when the delete's answer was lost (TableAccess.deleteOnce).
    return this.db.deleteOnce(itemKey.admin(projectId, identity));
  }

  async listAdmins(projectId: string): Promise<string[]> {
    const items = await this.db.queryAll({
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :a)',
      ExpressionAttributeValues: { ':p': partition.project(projectId), ':a': sortKey.admins },
      ConsistentRead: true,
    });
    return items.map((i) => String(i.identity));
  }

  async isAdmin(projectId: string, identity: string): Promise<boolean> {
    const out = await this.db.doc.send(new GetCommand({ TableName: this.db.name, Key: itemKey.admin(projectId, identity), ConsistentRead: true }));
    return out.Item !== undefined;
  }

  // ── conversations ─────────────────────────────────────────────────────────

  async putConversation(record: ConversationRecord): Promise<void> {
    await this.db.doc.send(
      new PutCommand({ TableName: this.db.name, Item: { ...itemKey.conversation(record.projectId, record.bot, record.identity), ...record } }),
    );
  }

  async listConversations(projectId: string, bot?: string): Promise<ConversationRecord[]> {
    const items = await this.db.queryAll({
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :c)',
      ExpressionAttributeValues: { ':p': partition.project(projectId), ':c': sortKey.conversations(bot) },
      ConsistentRead: true,
    });
    return items.map((i) => strip<ConversationRecord>(i));
  }
}
