import type { ApiAuditRecord, ApiExposureUsage, ApiKey, UsageTotal } from './api-types';
import type { CommandName, CreateOptions, HelpEntry } from './command-grammar';
import type { BudgetPeriod } from '../../lambdas/core/types';
import type { PendingAction } from './pending-action';

/**
 * Everything the conversation core can say, as data. Edges render each kind in their own idiom
 * (Slack blocks, Teams Adaptive Cards) and choose the transport; the `visibility` rules are part of
 * the contract:
 *
 * - No reply carries a key value. A new key (`NewKeyReply`, below) goes only to the edge's
 *   `PrivateDelivery` (private-delivery.ts); the asking conversation gets `key_delivered`, which
 *   names the key by its start.
 * - `confirm` and `leak_alert` carry a `PendingAction` for a button; the click comes back through
 *   `Conversation.confirm(action, clicker)` with the CLICKER's identity.
 * - Everything else is safe to show where it was asked; edges still pass all text through
 *   `redactKeys` as a second line of defence.
 */
export type Reply =
  | { kind: 'text'; text: string }
  | { kind: 'help'; entries: readonly HelpEntry[]; topic?: CommandName }
  | { kind: 'key_list'; keys: ApiKey[]; search?: string; more: boolean }
  | { kind: 'key_details'; key: ApiKey }
  /** The key matched several; the person should use the id. */
  | { kind: 'ambiguous'; query: string; candidates: ApiKey[] }
  /** A form for `create` with no arguments (Slack opens a modal). Submit via `Conversation.submitCreate`. */
  | { kind: 'create_form'; defaults: CreateOptions; scopes: readonly string[] }
  /** A new key went privately to the person (`new_key` through the PrivateDelivery); no value here. */
  | { kind: 'key_delivered'; action: 'create' | 'rotate'; key: ApiKey; where: 'here' | 'elsewhere'; replaced?: ReplacedKey }
  /** Rotate/revoke/delete/pause/resume/limit: what will be hit; nothing happens until `action` comes back from a button. */
  /** `summary` is the whole question in one line; `consequence` just what will happen; `change` the field before → after. */
  | { kind: 'confirm'; action: PendingAction; key: ApiKey; summary: string; consequence: string; change?: KeyChange }
  /** `key`: as it now stands (a deleted key: as it was). */
  | { kind: 'done'; action: DoneAction; key: ApiKey; by: string }
  /** `by`: who cancelled (a platform identity). */
  | { kind: 'cancelled'; by?: string }
  | { kind: 'audit_list'; key: ApiKey; entries: ApiAuditRecord[] }
  /**
   * `usage [key]`: totals since `since` (00:00 UTC today) — of `key` when one was named, else of
   * the project (`all`, over `keys` keys) with the `top` keys by credits — and over `period`
   * (the key's budget period, else the month; its budget standing is `key.budget`). `complete`:
   * false when the API stopped counting (10,000 records).
   */
  | {
      kind: 'usage';
      since: string;
      key?: ApiKey;
      all: UsageTotals;
      top: UsageRow[];
      keys: number;
      complete: boolean;
      period: { period: BudgetPeriod; since: string; all: UsageTotals; complete: boolean };
    }
  | {
      kind: 'whoami';
      identity: string;
      isAdmin: boolean;
      project: { id: string; name: string } | null;
      botKey: { id: string; start: string };
      environment: string;
    }
  | { kind: 'chat_answer'; text: string }
  /** A one-time console sign-in link: only ever said privately (Slack ephemeral, Teams 1:1). */
  | { kind: 'console_link'; url: string; expiresAt: string }
  | {
      kind: 'leak_alert';
      audience: 'poster' | 'admin';
      key: ApiKey;
      /** Who posted it (identity); the edge may turn it into a mention. */
      poster: string;
      /** What the exposure pipeline did with it at once; absent when it could not be asked (then `revoke` may be offered). */
      handled?: 'revoked' | 'rotated';
      /** Present only when the key still works and the recipient may revoke (is an admin). */
      revoke?: PendingAction;
    }
  /** `Show usage` on an exposure notice: what the key did since it was first seen exposed (exposure-notices.ts). */
  | { kind: 'exposure_usage'; key: ApiKey; usage: ApiExposureUsage }
  | { kind: 'error'; code: ReplyErrorCode; message: string; retryAfterSeconds?: number };

/** Calls, tokens and credits over some time. */
export interface UsageTotals {
  requests: number;
  totalTokens: number;
  credits: number;
}

/** A key's usage totals, with its name, start and budget when the key could be read (a deleted key: the id alone). */
export type UsageRow = UsageTotal & { key?: Pick<ApiKey, 'name' | 'start' | 'status' | 'budget'> };

export type DoneAction = 'revoke' | 'delete' | 'pause' | 'resume' | 'limit' | 'budget';

/** One field of a key as a change will leave it: `Status: active → paused`. */
export interface KeyChange {
  label: 'Status' | 'Rate limit' | 'Budget';
  before: string;
  after: string;
}

export type ReplyErrorCode =
  | 'unknown_command'
  | 'invalid_command'
  | 'not_admin'
  | 'not_found'
  | 'out_of_credits'
  | 'rate_limited'
  | 'api_access_disabled'
  | 'stale_confirmation'
  | 'refused'
  /** The person could not be reached privately, so no key was issued. */
  | 'no_private_channel'
  /** A key was issued but could not be delivered privately (created: revoked at once). */
  | 'undelivered'
  | 'unavailable'
  | 'api_error';

/**
 * The key a rotation replaced. `graceUntil` is set only while the old key still works (an
 * overlap); null means it stopped working when the rotation returned.
 */
export interface ReplacedKey {
  id: string;
  start: string;
  graceUntil: string | null;
}

export type LeakAlertReply = Extract<Reply, { kind: 'leak_alert' }>;
/**
 * THE ONE MESSAGE THAT CARRIES A KEY VALUE. Not a `Reply`: the core never answers with it, it
 * hands it to the edge's `PrivateDelivery` (private-delivery.ts), which sends it to `to` only.
 */
export interface NewKeyReply {
  kind: 'new_key';
  action: 'create' | 'rotate';
  key: ApiKey;
  /** The raw key. Private delivery only; never logged, never in a channel. */
  secret: string;
  /** The external coworker setup script, with the key in it: same privacy as `secret`. */
  setupScript: string;
  /** Rotate: the key that was replaced, and until when it still works. */
  replaced?: ReplacedKey;
  /** The identity the key must be delivered to. */
  to: string;
}
export type KeyDeliveredReply = Extract<Reply, { kind: 'key_delivered' }>;

export function text(value: string): Reply {
  return { kind: 'text', text: value };
}

export type ErrorReply = Extract<Reply, { kind: 'error' }>;

export function errorReply(code: ReplyErrorCode, message: string, retryAfterSeconds?: number): ErrorReply {
  return retryAfterSeconds === undefined ? { kind: 'error', code, message } : { kind: 'error', code, message, retryAfterSeconds };
}
