/**
 * Owner records of the objects the upstream stores for a caller (OpenAI's stored responses, and
 * conversation ids): `RESPONSE#<id> / RESPONSE`, `CONVERSATION#<id> / CONVERSATION` (table.ts).
 *
 * Written after the answer in the same BatchWriteItem as the call's usage record (table-access.ts
 * `putOwed`: puts owed in one turn share a call), over the lean transport (purpose `usage`: never
 * on a request's critical path). A plain put is safe: the id is the upstream's, minted for the recorded call, so
 * writing it again (a retry) writes the same owner.
 *
 * Read only for a request that names such an id (a retrieve, `previous_response_id`, …), strongly
 * consistent. The record of a response lands just after its answer went out, so a client that
 * continues at once can arrive first: a read waits for this instance's own write in flight, and a
 * miss is read once more after RECHECK_MS (another instance may still be writing it). Only unknown
 * and foreign ids pay that wait.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { OwnedKind, OwnershipRecord, Store } from '../../core/ports';
import { strip, type TableAccess } from './table-access';
import { itemKey } from './table';

/** Kept as long as the usage record it sits beside (DynamoDB TTL in AWS; never relied on). */
const OWNER_RETENTION_S = 400 * 86_400;
/** A miss is read again after this long: the record of an answer just sent may still be on its way. */
export const RECHECK_MS = 300;

export type OwnershipStore = Pick<Store, 'recordOwnership' | 'getOwnership'>;

export class OwnershipItems implements OwnershipStore {
  /** This instance's writes in flight, by item: a read of one waits for it. */
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly db: TableAccess,
    private readonly recheckMs = RECHECK_MS,
  ) {}

  recordOwnership(record: OwnershipRecord): Promise<void> {
    const key = itemKey.owned(record.kind, record.id);
    const item = marshall({ ...key, ttl: Math.floor(Date.parse(record.createdAt) / 1000) + OWNER_RETENTION_S, ...record }, { removeUndefinedValues: true });
    const slot = `${key.pk}\u0000${key.sk}`;
    const write = this.db.putOwed(item);
    const settled: Promise<void> = write.catch(() => undefined).finally(() => {
      if (this.inFlight.get(slot) === settled) this.inFlight.delete(slot);
    });
    this.inFlight.set(slot, settled);
    return write;
  }

  async getOwnership(kind: OwnedKind, id: string): Promise<OwnershipRecord | undefined> {
    const key = itemKey.owned(kind, id);
    await this.inFlight.get(`${key.pk}\u0000${key.sk}`);
    const found = await this.read(key);
    if (found || this.recheckMs <= 0) return found;
    await new Promise((resolve) => setTimeout(resolve, this.recheckMs));
    return this.read(key);
  }

  private async read(key: { pk: string; sk: string }): Promise<OwnershipRecord | undefined> {
    const out = await this.db.doc.send(new GetCommand({ TableName: this.db.name, Key: key, ConsistentRead: true }));
    return out.Item ? strip<OwnershipRecord>(out.Item) : undefined;
  }
}
