/**
 * Console sign-in links and sessions: CONSOLE#<sha256 of the token> / LINK | SESSION. Expiry is
 * checked in code (and in the conditions); `ttl` only lets DynamoDB sweep the item some time after
 * it ended.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ConsoleGrant, Store } from '../../core/ports';
import { strip, unlessConditionFails, type TableAccess } from './table-access';
import { itemKey } from './table';

export type ConsoleGrantStore = Pick<Store, 'putConsoleGrant' | 'getConsoleGrant' | 'spendConsoleLink' | 'revokeConsoleSession'>;

export class ConsoleGrantItems implements ConsoleGrantStore {
  constructor(private readonly db: TableAccess) {}

  /**
   * Each conditional write here carries a mark of itself (`wr`): the SDK sends a write again when
   * its answer is lost, and a resend of one that had landed fails its own condition; the item,
   * read then, says whether it was this write (a link is then spent by this sign-in, not before).
   */
  async putConsoleGrant(grant: ConsoleGrant): Promise<boolean> {
    return this.db.putOnce({ ...itemKey.consoleGrant(grant.kind, grant.hash), ...grant, ttl: Math.ceil(grant.expiresAt / 1000) + 86_400 });
  }

  async getConsoleGrant(kind: ConsoleGrant['kind'], hash: string): Promise<ConsoleGrant | undefined> {
    const out = await this.db.doc.send(new GetCommand({ TableName: this.db.name, Key: itemKey.consoleGrant(kind, hash), ConsistentRead: true }));
    return out.Item ? strip<ConsoleGrant>(out.Item) : undefined;
  }

  async spendConsoleLink(hash: string, now: number): Promise<ConsoleGrant | undefined> {
    const spent = await this.db.updateOnce({
      Key: itemKey.consoleGrant('link', hash),
      UpdateExpression: 'SET usedAt = :now',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(usedAt) AND expiresAt > :now',
      ExpressionAttributeValues: { ':now': now },
    });
    return spent ? strip<ConsoleGrant>(spent) : undefined;
  }

  async revokeConsoleSession(hash: string, at: number): Promise<boolean> {
    const out = await unlessConditionFails(
      this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.name,
          Key: itemKey.consoleGrant('session', hash),
          UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :at)',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':at': at },
        }),
      ),
    );
    return out !== undefined;
  }
}
