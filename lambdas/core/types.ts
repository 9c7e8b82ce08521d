import type { ExposureRecord } from './exposure';
import type { KeyType, Scope } from './scopes';

/** Who did something: an API key, a chat user through a bot, a CLI operator, or the system. */
export type ActorId = string; // `key:<id>` | `slack:<team>:<user>` | `teams:<tenant>:<aad>` | `cli:<user>` | `system`

export interface Account {
  id: string;
  name: string;
  /** The API product gate. */
  apiAccess: boolean;
  /**
   * Usage allowance, in credits. Below zero is debt (usage served beyond the balance is never
   * forgiven, docs/gateway.md §3): the account's model calls are refused until a grant repays it.
   */
  credits: number;
  createdAt: string;
  /** `account.credits_low` is announced when the balance falls below this (set by an operator); absent = never. */
  creditsLowThreshold?: number;
  /** Which low-balance episode the account is in (each announced once); absent = 0. */
  creditsLowEpisode?: number;
  /** Limits an operator set on every key of the account (core/account-policy.ts); absent = none. */
  policy?: StoredAccountPolicy;
}

/** An account's policy (core/account-policy.ts: the rules and their zod schema); each limit absent = none. */
export interface AccountPolicy {
  maxKeyLifetimeSeconds?: number;
  expiryRequired?: boolean;
  allowedKeyTypes?: Exclude<KeyType, 'system'>[];
  maxRateLimit?: RateLimit;
  maxBudget?: Budget;
  privilegedRequiresApproval?: boolean;
}

/** The policy as stored on the account: with who set it and when. */
export type StoredAccountPolicy = AccountPolicy & { updatedAt?: string; updatedBy?: string };

export interface Project {
  id: string;
  accountId: string;
  name: string;
  createdAt: string;
  /** Id of the project's Protected Automator (system) key. */
  automatorKeyId?: string;
}

/** Permissions a role grants, with row filters; `${context.x}` in a filter reads the key's context. */
export interface Role {
  name: string;
  permissions: string[];
  filters?: Record<string, string>;
}

export interface RateLimit {
  limit: number;
  windowSeconds: number;
}

/** Budget periods, in UTC calendar terms: a day from 00:00, a week from Monday, a month from the 1st; `total` never resets. */
export const BUDGET_PERIODS = ['day', 'week', 'month', 'total'] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

/** A key's own spending cap (credits per period), on top of its account's balance. */
export interface Budget {
  credits: number;
  period: BudgetPeriod;
}

/** Settled usage tokens a key may use per window. */
export interface TokenLimit {
  tokens: number;
  windowSeconds: number;
}

export type StoredKeyStatus = 'active' | 'disabled' | 'revoked';
export type KeyStatus = StoredKeyStatus | 'expired';

export interface KeyRecord {
  id: string;
  projectId: string;
  accountId: string;
  name: string;
  prefix: string;
  /** Non-secret visible preview, e.g. `archie_4fQa`. */
  start: string;
  /** HMAC-SHA-256 of the raw key; never leaves the service. */
  hash: string;
  type: KeyType;
  scopes: Scope[];
  roles: Role[];
  context: Record<string, string>;
  createdAt: string;
  /** Epoch ms; null never expires (system keys). */
  expiresAt: number | null;
  lastUsedAt?: string;
  status: StoredKeyStatus;
  revokedAt?: string;
  createdBy: ActorId;
  rateLimit: RateLimit;
  /** Model ids this key may call; absent = every model of the catalog. */
  models?: string[];
  /** Credits per period this key may spend (reservations included); absent = only the account's balance. */
  budget?: Budget;
  /**
   * Budget state, written by admission and settlement: credits left in the current period
   * (reservations in flight taken out) and when that period ends (epoch ms). Both absent, or a
   * `budgetResetAt` in the past, mean the period has not started: all of `budget.credits` is left.
   */
  budgetLeft?: number;
  budgetResetAt?: number;
  /** Settled usage tokens per window; absent = no token limit. */
  tokenLimit?: TokenLimit;
  /** Token-window state: tokens settled in the window ending at `tokensResetAt` (epoch ms). */
  tokensUsed?: number;
  tokensResetAt?: number;
  /** Most model calls of this key in flight at once (streams included); absent = no cap. */
  maxConcurrent?: number;
  /**
   * Set by the store on every key it writes since issue 23's write units: the key's daily counts are
   * not added to its account's day items, the account's days are summed from its keys' (store/usage-days.ts).
   * Absent on keys stored before: their calls are added to both, as then.
   */
  accountDaysSummed?: boolean;
  /** Grows with every change (edit, pause, resume); absent on keys stored before it existed = 1. */
  version?: number;
  /** Free-form labels: shown and searchable, never used for authorization. */
  metadata?: Record<string, string>;
  rotatedFrom?: string;
  replacedBy?: string;
  /** Epoch ms until which a rotated-out key still works (overlap window). */
  graceUntil?: number;
  /** Set once, the first time the key was found exposed (core/exposure.ts). */
  exposure?: ExposureRecord;
  /** Rotated on schedule, the new value delivered where the key lives (core/key-rotation.ts); copied to each replacement. */
  rotation?: KeyRotationSetting;
  /** The last scheduled rotation that could not deliver its value (it was undone: this key kept working). */
  rotationFailure?: { at: string; reason: string };
  /**
   * On a replacement: the key it replaced stops once it has had no call for this long, before its
   * overlap ends (`revokeWhenIdle` on rotate; core/key-rotation-schedule.ts checks it).
   */
  revokeOldWhenIdleMs?: number;
  /** On a replacement: the chat conversation the rotation was asked in, told of stragglers (core/rotation-origin.ts). */
  rotatedIn?: { channel: string; thread?: string; serviceUrl?: string };
}

/**
 * A key's rotation schedule (issue 25 point 2): `every` and `overlap` as given (`90d`, `1h`), and
 * where the new value goes: a Secrets Manager secret (by ARN), or privately to a chat identity.
 */
export interface KeyRotationSetting {
  every: string;
  overlap: string;
  /** `roleArn`: the customer's role Keywarden assumes to write a secret in their account (key-rotation.ts). */
  deliverTo: { secretsManagerArn: string; roleArn?: string } | { owner: string };
}

export type AuditOutcome = 'success' | 'denied' | 'error';

export interface AuditRecord {
  id: string;
  at: string;
  projectId: string;
  action: string;
  outcome: AuditOutcome;
  /** Primary actor: the person for bot actions, else the key / operator. */
  actor: ActorId;
  /** The API key the request came in with, when there was one. */
  viaKeyId?: string;
  /** The bot that relayed an action for a person. */
  viaBot?: string;
  keyId?: string;
  reason?: string;
  details?: Record<string, string | number | boolean>;
}

/** One authenticated call (SPEC §4 "Usage"; seed 003: each authenticated request logs the key it used). */
export interface UsageRecord {
  requestId: string;
  at: string;
  projectId: string;
  accountId: string;
  keyId: string;
  /** The route as declared, e.g. `POST /v1/chat/completions`. */
  route: string;
  status: number;
  /** Gateway calls only: the public model id asked for, whether it streamed, tokens, credits. */
  model?: string;
  streamed?: boolean;
  /** As the upstream reported it; `cachedInputTokens` (part of `inputTokens`) when it reported any. */
  usage?: { inputTokens: number; outputTokens: number; totalTokens: number; cachedInputTokens?: number };
  credits: number;
  /**
   * Gateway calls of a model with upstream deployments (MODEL_UPSTREAMS): the deployment that
   * answered, by its name; its prices are what `credits` charged. Absent for the single upstream.
   */
  deployment?: string;
  /**
   * Who called, as far as the edge can tell (issue 22: what an exposed key did, and from where):
   * the caller's address as the edge saw it, and its user agent cut to 200 characters with any
   * key in it redacted. Kept as long as the record (400 days).
   */
  sourceIp?: string;
  userAgent?: string;
}

/**
 * Where a bot can reach a person privately, as the platform described it when the person
 * installed the bot or wrote to it (a Bot Framework conversation reference for Teams).
 */
export interface ConversationRecord {
  projectId: string;
  identity: string;
  bot: string;
  reference: ConversationReference;
  updatedAt: string;
}

export interface ConversationReference {
  channelId: string;
  serviceUrl: string;
  conversation: { id: string; tenantId?: string; conversationType?: string };
  bot: { id: string; name?: string };
  user?: { id: string; aadObjectId?: string; name?: string };
}

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}
