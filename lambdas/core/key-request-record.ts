import { randomBase62 } from './base62';
import { DAY_MS } from './duration';
import type { Budget, RateLimit, Role, TokenLimit } from './types';

/**
 * A request for a key (SPEC §3 "Request", issue 25 point 1): what was asked, by whom and why, and
 * how it was decided. The status rules live here, with the record, for every layer that needs them
 * (the core, the store's conditions, the presenters).
 */

/** How long a request waits for a decision, and how long an approved key waits to be claimed. */
export const KEY_REQUEST_TTL_MS = 7 * DAY_MS;

export const KEY_REQUEST_ID_PATTERN = /^kreq_[0-9A-Za-z]{16}$/;

/** Public, non-secret id of a request: `kreq_` + 16 base62 (95 bits; unguessable is not relied on). */
export function newKeyRequestId(): string {
  return `kreq_${randomBase62(16)}`;
}

export const KEY_REQUEST_STATUSES = ['pending', 'approved', 'denied', 'expired'] as const;
export type KeyRequestStatus = (typeof KEY_REQUEST_STATUSES)[number];

/**
 * Exactly the key a request asks for: the fields of `POST /v1/keys`, resolved where resolving
 * needs no actor (type, and the scopes, so the approver sees the very list the key will hold).
 * Anything left out gets, at approval, the default the approver's own create would give.
 */
export interface RequestedKey {
  name: string;
  type: 'privileged' | 'viewer';
  scopes: string[];
  roles?: Role[];
  context?: Record<string, string>;
  prefix?: string;
  /** Lifetime from the approval, in ms. */
  expiresInMs?: number;
  rateLimit?: RateLimit;
  models?: string[];
  budget?: Budget;
  tokenLimit?: TokenLimit;
  maxConcurrent?: number;
}

export interface KeyRequestRecord {
  id: string;
  projectId: string;
  /** Who asks: the person (`slack:T:U`, `teams:…`) when a bot vouched for one, else `key:<id>`. */
  requester: string;
  /** The key the request came in with (a bot's key, for a person), and the bot that relayed it. */
  viaKeyId?: string;
  viaBot?: string;
  key: RequestedKey;
  reason: string;
  /** The chat channel it was asked from (a bot vouched for it): that channel's ceiling binds it. */
  channel?: string;
  /** As stored: `expired` is never stored, it is a pending request past `expiresAt` (`keyRequestStatus`). */
  status: 'pending' | 'approved' | 'denied';
  createdAt: string;
  /** Epoch ms: a pending request can no longer be decided from then on. */
  expiresAt: number;
  /** An approval in progress (between taking the request and recording the key): its holder and end. */
  lockHolder?: string;
  lockUntil?: number;
  decidedBy?: string;
  decidedAt?: string;
  denyReason?: string;
  /** Approved: the key minted for it. */
  keyId?: string;
  keyStart?: string;
  /** Approved and not yet claimed: the raw key, sealed (AES-256-GCM, key-requests.ts). Removed once claimed (then by the claim; by the sweep at `claimUntil` if that removal failed). */
  sealedKey?: string;
  /** Epoch ms: the approved key can no longer be claimed from then on. */
  claimUntil?: number;
  claimedAt?: string;
}

/** The status as callers see it: a pending request past its week is `expired`. */
export function keyRequestStatus(r: Pick<KeyRequestRecord, 'status' | 'expiresAt'>, now: number): KeyRequestStatus {
  return r.status === 'pending' && now >= r.expiresAt ? 'expired' : r.status;
}

/** The approved key waits for its requester: sealed, until claimed or until `claimUntil`. */
export function claimable(r: KeyRequestRecord, now: number): boolean {
  return r.status === 'approved' && r.sealedKey !== undefined && r.claimedAt === undefined && now < (r.claimUntil ?? 0);
}

/** A chat channel's ceiling on requests: the rule is key-request-ceiling.ts; an axis left out is unbounded. */
export interface RequestCeiling {
  type?: 'viewer' | 'privileged';
  scopes?: string[];
  budget?: Budget;
  maxLifetimeMs?: number;
}

/** A channel's ceiling as stored: one item per project and channel (key-request-channel.ts), changed under its version. */
export interface ChannelCeilingRecord {
  projectId: string;
  channel: string;
  ceiling: RequestCeiling;
  /** 1 on the first set; each change is conditional on the version it read. */
  version: number;
  setBy: string;
  setAt: string;
}
