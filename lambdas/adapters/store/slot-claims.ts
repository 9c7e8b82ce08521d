import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { slotAttribute } from './key-admission-plan';
import { unlessConditionFails, type TableAccess } from './table-access';
import { itemKey } from './table';

/** Concurrency slots this instance is claiming or holds, per key: never planned twice here (key-admission.ts). */
export class SlotClaims {
  private readonly byKey = new Map<string, Set<number>>();

  /** The slots of key `id` claimed here (undefined: none). */
  of(id: string): Set<number> | undefined {
    return this.byKey.get(id);
  }

  claim(id: string, index: number): void {
    const set = this.byKey.get(id) ?? new Set<number>();
    set.add(index);
    this.byKey.set(id, set);
  }

  release(id: string, index: number): void {
    const set = this.byKey.get(id);
    set?.delete(index);
    if (set?.size === 0) this.byKey.delete(id);
  }
}

/** Extends a held slot's lease (a long stream): `false` when the slot is no longer this holder's. */
export async function renewSlot(db: TableAccess, id: string, slot: { index: number; holder: string }, until: number): Promise<boolean> {
  const out = await unlessConditionFails(
    db.doc.send(
      new UpdateCommand({
        TableName: db.name,
        Key: itemKey.key(id),
        UpdateExpression: 'SET #slot.u = :until',
        ConditionExpression: '#slot.h = :holder',
        ExpressionAttributeNames: { '#slot': slotAttribute(slot.index) },
        ExpressionAttributeValues: { ':until': until, ':holder': slot.holder },
      }),
    ),
  );
  return out !== undefined;
}
