/**
 * Scheduled rotations' values held for their owner (core/rotation-owner-delivery.ts): one item
 * per replacement key, in its project's partition, so a project's held values are one Query and
 * a project can never read another's by key id.
 *
 *   rotation delivery  PROJECT#<pid> / ROTDELIV#<replacement key id>   (the value sealed until
 *                                               collected; removed when its window is over)
 *
 * Access patterns:
 *   hold a value                       PutItem (attribute_not_exists; TableAccess.putOnce)
 *   a project's held values            Query PROJECT#<pid> begins_with ROTDELIV#
 *   the value to its owner, once       UpdateItem SET claimedAt (present, unclaimed, owner, unexpired), ALL_NEW;
 *                                      then REMOVE sealedKey (TableAccess.takeSealedOnce)
 *
 * The sort key builder lives here, not in table.ts, only because another change holds table.ts
 * at the moment; it belongs beside the others there (and this layout in its list).
 */
import { DeleteCommand, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { RotationDeliveryPort, RotationDeliveryRecord } from '../../core/rotation-delivery-port';
import { strip, type TableAccess } from './table-access';
import { partition, type ItemKey } from './table';

const SK_PREFIX = 'ROTDELIV#';
const itemOf = (projectId: string, keyId: string): ItemKey => ({ pk: partition.project(projectId), sk: `${SK_PREFIX}${keyId}` });

export class RotationDeliveryItems implements RotationDeliveryPort {
  constructor(private readonly db: TableAccess) {}

  async putRotationDelivery(record: RotationDeliveryRecord): Promise<boolean> {
    return this.db.putOnce({ ...itemOf(record.projectId, record.keyId), ...record });
  }

  async getRotationDelivery(projectId: string, keyId: string): Promise<RotationDeliveryRecord | undefined> {
    const out = await this.db.doc.send(new GetCommand({ TableName: this.db.name, Key: itemOf(projectId, keyId), ConsistentRead: true }));
    return out.Item ? strip<RotationDeliveryRecord>(out.Item) : undefined;
  }

  async listRotationDeliveries(projectId: string): Promise<RotationDeliveryRecord[]> {
    const items: RotationDeliveryRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.db.doc.send(
        new QueryCommand({
          TableName: this.db.name,
          KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)',
          ExpressionAttributeValues: { ':p': partition.project(projectId), ':s': SK_PREFIX },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(out.Items ?? []).map((item) => strip<RotationDeliveryRecord>(item)));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  async takeRotationDeliveryValue(projectId: string, keyId: string, owner: string, claimedAt: string, now: number): Promise<RotationDeliveryRecord | undefined> {
    const taken = await this.db.takeSealedOnce(itemOf(projectId, keyId), {
      claimedAt,
      condition: '#owner = :owner AND claimUntil > :now',
      names: { '#owner': 'owner' },
      values: { ':owner': owner, ':now': now },
    });
    return taken ? strip<RotationDeliveryRecord>(taken) : undefined;
  }

  async deleteRotationDelivery(projectId: string, keyId: string): Promise<void> {
    await this.db.doc.send(new DeleteCommand({ TableName: this.db.name, Key: itemOf(projectId, keyId) }));
  }
}
