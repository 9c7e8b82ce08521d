/**
 * Claims: items whose conditional put is the whole point — a one-time nonce (a bot's delivery, a
 * replayed request) taken once, and a project's key-managers lease held by one holder at a time.
 */
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Store } from '../../core/ports';
import { unlessConditionFails, type TableAccess } from './table-access';
import { itemKey } from './table';

export type ClaimStore = Pick<Store, 'claimNonce' | 'acquireKeyManagersLease' | 'releaseKeyManagersLease'>;

export class ClaimItems implements ClaimStore {
  constructor(private readonly db: TableAccess) {}

  /**
   * The nonce put carries a mark of itself (`wr`): a resend of the put after its answer was lost
   * (the SDK sends it again) finds its own claim there — this claim landing, not one taken before.
   */
  async claimNonce(nonce: string, expiresAt: number): Promise<boolean> {
    return this.db.putOnce({ ...itemKey.nonce(nonce), ttl: Math.ceil(expiresAt / 1000) + 60 });
  }

  async acquireKeyManagersLease(projectId: string, holder: string, until: number, now: number): Promise<boolean> {
    const out = await unlessConditionFails(
      this.db.doc.send(
        new PutCommand({
          TableName: this.db.name,
          Item: { ...itemKey.keyManagersLease(projectId), holder, until, ttl: Math.ceil(until / 1000) + 3_600 },
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
      this.db.doc.send(
        new DeleteCommand({
          TableName: this.db.name,
          Key: itemKey.keyManagersLease(projectId),
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':holder': holder },
        }),
      ),
    );
  }
}
