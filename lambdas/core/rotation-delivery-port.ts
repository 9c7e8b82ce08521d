/**
 * A scheduled rotation's new value held for its owner to collect (core/rotation-owner-delivery.ts;
 * items: adapters/store/rotation-deliveries.ts), and the store's part for it, part of the `Store`
 * port. One record per replacement key, in its project; every change one single-item write.
 */
export interface RotationDeliveryRecord {
  projectId: string;
  accountId: string;
  /** The replacement the rotation made: the key whose value is held. */
  keyId: string;
  keyName: string;
  keyStart: string;
  /** The key it replaced, working on until its overlap ends. */
  replacedKeyId: string;
  /** The chat identity (`slack:T…:U…`, `teams:<tenant>:<aad>`) alone allowed to collect it. */
  owner: string;
  createdAt: string;
  /** Epoch ms: collectable before then; after it the job undoes the rotation (never collected). */
  claimUntil: number;
  /** The value, sealed (sealed-values.ts): present until collected. */
  sealedKey?: string;
  claimedAt?: string;
}

/** Pending: still held and collectable at `now`. */
export function deliveryPending(record: RotationDeliveryRecord, now: number): boolean {
  return record.sealedKey !== undefined && record.claimedAt === undefined && now < record.claimUntil;
}

export interface RotationDeliveryPort {
  /** Conditional create: `false` if the replacement already has one. */
  putRotationDelivery(record: RotationDeliveryRecord): Promise<boolean>;
  getRotationDelivery(projectId: string, keyId: string): Promise<RotationDeliveryRecord | undefined>;
  /** A project's held values (a handful at most: one per owner-delivered rotation in its window). */
  listRotationDeliveries(projectId: string): Promise<RotationDeliveryRecord[]>;
  /**
   * Hands the sealed value out once: the collection is recorded on the condition that the value is
   * there and uncollected, on `owner` and on `claimUntil` after `now`, and the value removed after
   * it (a collection whose store answer was lost is still this one: its value is not lost). The
   * record with the sealed value, or undefined when the condition failed.
   */
  takeRotationDeliveryValue(projectId: string, keyId: string, owner: string, claimedAt: string, now: number): Promise<RotationDeliveryRecord | undefined>;
  /** Removes the record (its window over, the rotation kept or undone). */
  deleteRotationDelivery(projectId: string, keyId: string): Promise<void>;
}
