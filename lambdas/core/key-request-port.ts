import type { ChannelCeilingRecord } from './key-request-record';
import type { KeyRequestRecord } from './key-request-record';
import type { Page } from './types';

/**
 * The store's part for key requests (core/key-requests.ts; items: adapters/store/key-requests.ts),
 * part of the `Store` port. Every decision is one single-item conditional write.
 */
export interface KeyRequestPort {
  /** Conditional create: `false` if the id exists. */
  putKeyRequest(request: KeyRequestRecord): Promise<boolean>;
  getKeyRequest(id: string): Promise<KeyRequestRecord | undefined>;
  /** A project's requests, newest first. */
  listKeyRequests(projectId: string, options: { cursor?: string; limit: number }): Promise<Page<KeyRequestRecord>>;
  /** The `listKeyRequests` cursor that resumes right after `request` (a filtered walk stopping mid-page). */
  keyRequestsCursorAfter(request: KeyRequestRecord): string;
  /**
   * The one-pending-request-per-requester-and-name slot (`slot`: a hash of both), taken for
   * `requestId` until `until`: when free, ended at `now`, or still naming `replacing` (a slot whose
   * request was read and found decided or gone). `false` otherwise.
   */
  takeKeyRequestSlot(projectId: string, slot: string, requestId: string, until: number, now: number, replacing?: string): Promise<boolean>;
  /** Who holds a slot, if anyone. */
  keyRequestSlot(projectId: string, slot: string): Promise<{ requestId: string; until: number } | undefined>;
  /** Frees a slot if `requestId` still holds it. */
  releaseKeyRequestSlot(projectId: string, slot: string, requestId: string): Promise<void>;
  /**
   * Takes a pending, unexpired request for one approval until `until`: `false` when it is decided,
   * expired at `now`, or another approval's lock still runs.
   */
  lockKeyRequest(id: string, holder: string, until: number, now: number): Promise<boolean>;
  /** Ends `holder`'s lock (an approval that did not mint). */
  unlockKeyRequest(id: string, holder: string): Promise<void>;
  /**
   * Records the decision, once: conditional on the request still pending and, for an approval, on
   * `holder`'s lock; for a denial, on it being unexpired at `now` and no approval's lock running.
   * The request after the write, or undefined when the condition failed.
   */
  decideKeyRequest(
    id: string,
    decision:
      | { status: 'approved'; holder: string; decidedBy: string; decidedAt: string; keyId: string; keyStart: string; sealedKey: string; claimUntil: number }
      | { status: 'denied'; decidedBy: string; decidedAt: string; denyReason: string; now: number },
  ): Promise<KeyRequestRecord | undefined>;
  /**
   * The approved key's sealed value handed out once: the claim is recorded on the condition that
   * the value is there, unclaimed and claimable at `now`, and the value removed after it (a claim
   * whose store answer was lost is still this one: its value is not lost). The request with the
   * sealed value, or undefined.
   */
  takeKeyRequestValue(id: string, claimedAt: string, now: number): Promise<KeyRequestRecord | undefined>;
  /** Drops a sealed value past its claim window (nothing if it was claimed meanwhile). */
  dropKeyRequestValue(id: string, now: number): Promise<void>;
  /**
   * Sets a channel's ceiling: conditional on no ceiling when `expectedVersion` is 0, else on the
   * stored one still being at `expectedVersion`. `false` when that condition failed.
   */
  putKeyRequestCeiling(record: ChannelCeilingRecord, expectedVersion: number): Promise<boolean>;
  getKeyRequestCeiling(projectId: string, channel: string): Promise<ChannelCeilingRecord | undefined>;
  /** Removes a channel's ceiling; `false` when there was none. */
  deleteKeyRequestCeiling(projectId: string, channel: string): Promise<boolean>;
}
