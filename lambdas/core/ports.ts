import type { DeliveryRecord, LifecycleEvent, StoredEvent, WebhookRecord } from './events';
import type { ExposureRecord } from './exposure';
import type { KeyRequestPort } from './key-request-port';
import type { RotationDeliveryPort } from './rotation-delivery-port';
import type { Account, AuditRecord, StoredAccountPolicy, ConversationRecord, KeyRecord, Page, Project, UsageRecord } from './types';

/**
 * The store port. Every write is a single-item conditional write (no transactions, no TTL
 * reliance) so the same adapter runs on DynamoDB and on dynalite. Some item families declare their
 * part beside their core module (key requests: key-request-port.ts; held rotation values: rotation-delivery-port.ts).
 */
export interface Store extends KeyRequestPort, RotationDeliveryPort {
  createAccount(account: Account): Promise<void>;
  getAccount(id: string): Promise<Account | undefined>;
  listAccounts(): Promise<Account[]>;
  setApiAccess(id: string, enabled: boolean): Promise<Account | undefined>;
  /**
   * An operator's grant (positive) or withdrawal (negative). A withdrawal never takes the balance
   * below zero (nor deeper into debt); a grant to an account in debt repays it first.
   */
  adjustCredits(id: string, delta: number): Promise<{ ok: true; balance: number } | { ok: false; reason: 'not_found' | 'insufficient' }>;

  createProject(project: Project): Promise<void>;
  getProject(id: string): Promise<Project | undefined>;
  listProjects(accountId?: string): Promise<Project[]>;
  setAutomatorKey(projectId: string, keyId: string): Promise<void>;
  /** Atomic per-project counter for `Console generated key N`. */
  nextKeyNumber(projectId: string): Promise<number>;

  addAdmin(projectId: string, identity: string, addedBy: string): Promise<void>;
  removeAdmin(projectId: string, identity: string): Promise<boolean>;
  listAdmins(projectId: string): Promise<string[]>;
  isAdmin(projectId: string, identity: string): Promise<boolean>;
  /** A key and whether a person is an admin of `admin.projectId`, read together (one round trip); with `accountId`, that account too (`account`, absent if none). */
  getKeyWithAdmin(id: string, admin: { projectId: string; identity: string }, options?: { accountId?: string }): Promise<{ key?: KeyRecord; admin: boolean; account?: Account }>;

  /**
   * Conditional create: fails with `false` if the id exists. `event`: the id of the pending event
   * announcing it, put in the key's marker set by the same write (core/events.ts `StoredEvent`).
   * `carried`: the pending event of the change that stores the key, and the key's listing, carried
   * by this one write (the item sits in the outbox and the key list) until `confirmEvent` with
   * `carrier` — or the outbox sweep (`dueEvents`) for a writer gone before it — writes their own
   * items and takes them off the key, before its first model call pays for them.
   */
  putKey(key: KeyRecord, event?: string, carried?: StoredEvent): Promise<boolean>;
  /**
   * The key's entry in its project's list (`listKeys`), written before the key itself, so a key
   * never exists unlisted (a key change's new key carries it instead: `putKey`'s `carried`). An
   * entry whose key was never written lists nothing.
   */
  listKey(key: KeyRecord): Promise<void>;
  getKey(id: string): Promise<KeyRecord | undefined>;
  /** `admin`: an identity whose admin entry of the project is read with the page's keys (one round trip; the answer's `admin`). */
  listKeys(projectId: string, options: { cursor?: string; limit: number; admin?: string }): Promise<Page<KeyRecord> & { admin?: boolean }>;
  /** The `listKeys` cursor that resumes right after `key` (a filtered walk stopping mid-page). */
  keysCursorAfter(key: KeyRecord): string;
  /**
   * An edit in place (edit, pause, resume) in one write conditional on the key still being at
   * `edit.version`: the key after it (its version one up), `'stale'` when the key changed since it
   * was read, undefined when it is gone.
   */
  updateKey(id: string, edit: KeyEdit): Promise<KeyRecord | 'stale' | undefined>;
  /** Revoke now (idempotent). Returns the record after the write, or undefined if absent. */
  revokeKey(id: string, at: string, event?: string): Promise<KeyRecord | undefined>;
  /**
   * Marks a key as replaced by `replacementId`, revoked now or working until `graceUntil`.
   * Conditional on the key not having been replaced already, and when `version` is given on the
   * key still being at that version (the replacement copied it as it was): `false` otherwise.
   */
  markRotated(id: string, replacementId: string, at: string, graceUntil: number | undefined, version?: number, event?: string): Promise<boolean>;
  /**
   * Undoes a rotation whose new value could not be delivered (core/key-rotation-schedule.ts): the
   * key is no longer replaced and works on, with `failure` recorded. Conditional on the key still
   * being replaced by `replacementId` and not revoked: undefined otherwise.
   */
  undoRotation(id: string, replacementId: string, failure: { at: string; reason: string }): Promise<KeyRecord | undefined>;
  deleteKey(id: string): Promise<void>;
  /** Marks a key exposed, once: `false` when it already was (the first exposure is kept). */
  markExposed(id: string, exposure: ExposureRecord, event?: string): Promise<boolean>;
  /**
   * Authenticates and counts one request against the key's rate-limit window in a single
   * conditional write: admitted only when the key is active, unexpired, inside any grace window,
   * has the expected hash and is under its limit for the window containing `now`.
   * `countIn`: a call that is not a model call (no `call`: nothing to settle after it) is counted
   * in its key's day (`YYYY-MM-DD`) by this write, once if it lands (core/usage.ts `UsageLog.count`).
   */
  admitKeyUse(id: string, hash: string, now: number, call?: ModelCallAdmission, countIn?: string): Promise<AdmitOutcome>;
  /**
   * After a model call: what its admission held goes back (the budget's reservation less the
   * price, the slot) and the tokens it used are counted, in one write on the key item.
   */
  releaseKeyUse(id: string, release: KeyHoldRelease, now: number): Promise<void>;
  /** Completes lease writes whose writer died; idle, revoked and deleted keys' leases go back (store/lease-sweep.ts). */
  sweepLeases(accountId: string, now: number): Promise<{ grantsReturned: number; leasesReturned: number }>;
  /**
   * This process's lease work in flight, finished, and the other writes a key's admission started
   * beside its call (a key still carrying its change's event, unpacked: store/carried-event.ts):
   * after-answer, nothing left running between invocations.
   */
  leasesSettled(): Promise<void>;
  /** Extends a held concurrency slot's lease to `until`: `false` when it is no longer held by that holder. */
  renewKeySlot(id: string, slot: { index: number; holder: string }, until: number): Promise<boolean>;

  /**
   * Appends an audit record. `unique`: a conditional create, `false` when a record with the same
   * time and id exists (how a person's signed assertion is spent once, see AuditLog).
   */
  putAudit(record: AuditRecord, options?: { unique?: boolean }): Promise<boolean>;
  queryAudit(query: AuditQuery): Promise<Page<AuditRecord>>;

  putUsage(record: UsageRecord): Promise<void>;
  /** Usage records of a project, newest first: all, one key's, or one request's. */
  queryUsage(query: UsageQuery): Promise<Page<UsageRecord>>;
  /**
   * Adds one call's counts to a key's or an account's UTC day (`YYYY-MM-DD`), the day's item made
   * by its first call: an unconditional single-item add, after the answer. Additions waiting on
   * the same day at once may go out as one write of their sums.
   */
  addUsageDay(owner: UsageDayOwner, date: string, counts: UsageDayCounts): Promise<void>;
  /** A key's or an account's days from `from` to `to` (inclusive), oldest first, in one query; days without calls are absent. */
  queryUsageDays(owner: UsageDayOwner, from: string, to: string): Promise<UsageDay[]>;

  /** Upserts where a bot reaches a person (one item per project, bot and identity). */
  putConversation(record: ConversationRecord): Promise<void>;
  listConversations(projectId: string, bot?: string): Promise<ConversationRecord[]>;

  /**
   * Records which project an object the upstream stores for a caller belongs to (a response id the
   * gateway relayed, a conversation id): written after the answer, beside the usage record, several
   * waiting ones in one write. The id is the upstream's, minted for the recorded call, so a record
   * never names another project's object.
   */
  recordOwnership(record: OwnershipRecord): Promise<void>;
  /** The owner of an upstream object, read strongly consistent; undefined when never recorded. */
  getOwnership(kind: OwnedKind, id: string): Promise<OwnershipRecord | undefined>;

  /** Records a one-time nonce; false if it was seen before (replay). Bots' delivery claims. */
  claimNonce(nonce: string, expiresAt: number): Promise<boolean>;

  /**
   * Takes a project's key-managers lease for `holder` until `until` (epoch ms): `false` while
   * another holder's lease runs at `now`. Revoking or deleting a key that can manage keys holds it
   * from the last-admin-key check to the write, so two such changes never pass the check together.
   */
  acquireKeyManagersLease(projectId: string, holder: string, until: number, now: number): Promise<boolean>;
  /** Ends `holder`'s lease (a lease since taken by someone else is left alone). */
  releaseKeyManagersLease(projectId: string, holder: string): Promise<void>;

  // ── Lifecycle events: the outbox, webhooks and their delivery log (core/events.ts) ──
  /** Stores an event; `unique`: a conditional create, `false` when its id exists (an event emitted twice). */
  putEvent(item: StoredEvent, options?: { unique?: boolean }): Promise<boolean>;
  getEvent(id: string): Promise<StoredEvent | undefined>;
  /** The outbox: events whose `due` is at or before `now`, soonest first, at most `limit`. */
  dueEvents(now: number, limit: number): Promise<StoredEvent[]>;
  /** Takes an event for one relay pass: moves `due` from `seenDue` to `until`; `false` when it moved since (another relay has it). */
  claimEvent(id: string, seenDue: number, until: number): Promise<boolean>;
  /**
   * A relay pass's outcome (state, targets, next `due`; no `due`: it leaves the outbox),
   * conditional on the pass's claim still holding (`due` still `claimedDue`).
   */
  saveEvent(item: StoredEvent, claimedDue: number): Promise<boolean>;
  /**
   * The writer's confirmation that the change landed: a pending event becomes ready, due at `now`
   * (nothing if it is not pending). `carrier`: the key whose put carried the event and its own
   * listing (`putKey`'s `carried`): the event's item is written ready, the key's listing entry
   * beside it, then both are taken off the key.
   */
  confirmEvent(id: string, now: number, carrier?: { stored: StoredEvent; key: KeyRecord }): Promise<void>;
  /** Drops an event still pending (its change did not land); nothing once it is ready. */
  dropPendingEvent(id: string): Promise<void>;
  /** Whether a key carries an event's marker (its change landed), or is gone. */
  keyEventMarker(keyId: string, eventId: string): Promise<'marked' | 'unmarked' | 'absent'>;
  /** Takes an event's id out of its key's marker set (idempotent; nothing when the key is gone). */
  unmarkKeyEvent(keyId: string, eventId: string): Promise<void>;
  /** A project's events, newest first. */
  listEvents(projectId: string, options: { cursor?: string; limit: number }): Promise<Page<StoredEvent>>;

  /** `ifSealed`: only over the webhook as it is, sealed so (never bringing back a removed one). */
  putWebhook(webhook: WebhookRecord, options?: { ifSealed?: string }): Promise<void>;
  getWebhook(projectId: string, id: string): Promise<WebhookRecord | undefined>;
  listWebhooks(projectId: string): Promise<WebhookRecord[]>;
  /** `false` when there was none. */
  deleteWebhook(projectId: string, id: string): Promise<boolean>;
  /** Upserts one event's delivery to one webhook (one item per pair, rewritten at each attempt). */
  putDelivery(record: DeliveryRecord): Promise<void>;
  /** A webhook's deliveries, newest event first. */
  listDeliveries(webhookId: string, options: { cursor?: string; limit: number }): Promise<Page<DeliveryRecord>>;

  /** Replaces the account's policy (`null` removes it): one conditional write; undefined when there is no such account. */
  setAccountPolicy(accountId: string, policy: StoredAccountPolicy | null): Promise<Account | undefined>;
  /** `account.credits_low`: the balance below which the account's admins hear of it (null: never). */
  setCreditsLowThreshold(accountId: string, threshold: number | null): Promise<Account | undefined>;
  /**
   * Starts the account's next low-balance episode (its balance is back at or above the
   * threshold), conditional on it still being at `seen`: each episode is announced once.
   */
  nextCreditsLowEpisode(accountId: string, seen: number): Promise<boolean>;

  // ── Console sign-in (lambdas/core/console-sessions.ts) ──
  /** Conditional create of a sign-in link or session, stored under its token's hash: `false` if taken. */
  putConsoleGrant(grant: ConsoleGrant): Promise<boolean>;
  getConsoleGrant(kind: ConsoleGrant['kind'], hash: string): Promise<ConsoleGrant | undefined>;
  /** Spends a sign-in link in one conditional write (unused and unexpired at `now`): the link, or undefined. */
  spendConsoleLink(hash: string, now: number): Promise<ConsoleGrant | undefined>;
  /** Ends a session now (idempotent); `false` if there is none. */
  revokeConsoleSession(hash: string, at: number): Promise<boolean>;
}

/**
 * A console sign-in link (single use, minutes) or session (hours), keyed by the SHA-256 of its
 * token: the token itself is never stored. It signs in a chat admin (`identity`, acting through
 * the project's Automator key `keyId`) or a key (`keyId` alone).
 */
export interface ConsoleGrant {
  kind: 'link' | 'session';
  hash: string;
  projectId: string;
  identity?: string;
  keyId: string;
  /** Who issued it: a bot's person, a key, an operator. */
  issuedBy: string;
  createdAt: number;
  expiresAt: number;
  usedAt?: number;
  revokedAt?: number;
}

/** What `Store.updateKey` writes: fields set, optional fields removed, on the version it was read at. */
export interface KeyEdit {
  version: number;
  set: Partial<
    Pick<KeyRecord, 'name' | 'metadata' | 'scopes' | 'roles' | 'context' | 'models' | 'rateLimit' | 'expiresAt' | 'status' | 'budget' | 'tokenLimit' | 'maxConcurrent' | 'budgetResetAt' | 'rotation' | 'rotationFailure'>
  >;
  /** The id of the pending event announcing the edit, put in the key's marker set by the same write. */
  event?: string;
  remove: Array<'metadata' | 'models' | 'expiresAt' | 'budget' | 'tokenLimit' | 'maxConcurrent' | 'budgetLeft' | 'budgetResetAt' | 'tokensUsed' | 'tokensResetAt' | 'rotation'>;
  /** Relative changes, applied to what the item holds at the write (admissions move it in between). */
  add?: { budgetLeft?: number };
}

/**
 * A model call's admission (issue 21): besides counting the request, it takes `reserve` credits
 * from the key's budget, checks its token window and leases a concurrency slot, in the same write.
 */
export interface ModelCallAdmission {
  reserve: number;
}

/** How long a concurrency slot is leased: renewed while its call runs, it frees itself this long after its holder died. */
export const SLOT_LEASE_MS = 60_000;

/** What a model call's admission holds on its key until the call is over, and the windows it saw. */
export interface KeyHold {
  /** Credits `reserved` from the budget of the period ending `periodEnd`; `left` in it after the reservation. */
  budget?: { reserved: number; credits: number; left: number; periodEnd: number };
  /** The token window as admitted: `used` of `limit` tokens settled in the window ending `resetAt`. */
  tokens?: { limit: number; used: number; resetAt: number };
  /** The concurrency slot leased (SLOT_LEASE_MS, renewed while the call runs). */
  slot?: { index: number; holder: string };
  /** Credits reserved from the key's lease (store/key-lease.ts); `balance`: unleased + lease after; `refused`: none taken. */
  credits?: { accountId: string; reserved: number; balance: number; refused?: 'insufficient' | 'disabled' };
}

export interface KeyHoldRelease {
  hold: KeyHold;
  /** Credits the call cost (charged to the budget in place of the reservation); 0 for none. */
  charge: number;
  /** Usage tokens the call settled. */
  tokens: number;
}

export type AdmitOutcome =
  | { admitted: true; key: KeyRecord; window: { count: number; resetAt: number }; hold?: KeyHold }
  | {
      admitted: false;
      key: KeyRecord | undefined;
      window: { count: number; resetAt: number };
      /** A valid key under its rate limit refused by a model-call limit, with that limit's state. */
      refusal?: 'budget' | 'tokens' | 'concurrency';
      hold?: KeyHold;
    };

export interface AuditQuery {
  projectId: string;
  keyId?: string;
  actor?: string;
  since?: string;
  cursor?: string;
  limit: number;
}

export interface UsageQuery {
  projectId: string;
  keyId?: string;
  requestId?: string;
  since?: string;
  cursor?: string;
  limit: number;
}

/**
 * Whose daily counters: one key's, or one account's (every key of it). `summedInto`: the key's
 * account, when the key's days are summed into its account's (`KeyRecord.accountDaysSummed`): its
 * calls are then added to its own day only, and the account's days read them from there.
 */
export type UsageDayOwner = { keyId: string; summedInto?: string } | { accountId: string };

/** What a day counts: calls (usage records), their usage tokens, and the credits charged. */
export interface UsageDayCounts {
  requests: number;
  tokens: number;
  credits: number;
}

/** The upstream objects Keywarden records an owner for (OpenAI's stored responses and conversations). */
export type OwnedKind = 'response' | 'conversation';

/**
 * Who an upstream object belongs to: the project (with the key and account) whose call created it.
 * Only that project may read, continue, cancel or delete it through the gateway.
 */
export interface OwnershipRecord {
  kind: OwnedKind;
  /** The upstream's id (`resp_…`, `conv_…`). */
  id: string;
  projectId: string;
  accountId: string;
  keyId: string;
  /** ISO time the gateway relayed it. */
  createdAt: string;
  /** The public model id of the call that created it. */
  model?: string;
  /** The request id of that call (its usage record). */
  requestId?: string;
  /**
   * The upstream deployment that stores it (MODEL_UPSTREAMS: the one that answered the call that
   * created it); absent: the default upstream (UPSTREAM_BASE_URL), and every record from before.
   */
  deployment?: string;
}

export interface UsageDay extends UsageDayCounts {
  /** The UTC day, `YYYY-MM-DD`. */
  date: string;
}

/** The secrets the functions read (one Secrets Manager secret each in AWS; config.ts names their ARNs). */
export const SECRET_NAMES = ['hashing', 'upstream', 'botAssertion', 'slack', 'teams', 'botViewerKeys'] as const;
export type SecretName = (typeof SECRET_NAMES)[number];

export interface SecretsProvider {
  get<T = unknown>(name: SecretName): Promise<T>;
}

/** The upstream endpoints a model call goes to (OpenAI's paths, relative to the base URL). */
export type UpstreamPath = '/responses' | '/chat/completions' | '/embeddings';

/**
 * The model behind /v1/responses and /v1/chat/completions: any OpenAI-compatible base URL, called
 * with the platform's own key from the secrets provider (never the caller's). A model call hands
 * over the request body as it should reach the upstream (the caller's, with the mapped model).
 */
export interface Upstream {
  readonly label: string;
  /**
   * The upstream's answer. With `stream` its body streams as the upstream sends it; without, the
   * adapter may read it whole first (the answer then holds it in memory, as the caller would).
   */
  forward(path: UpstreamPath, body: string, signal: AbortSignal, options?: { stream?: boolean }): Promise<Response>;
  /**
   * A call on a response the upstream stores (OpenAI's retrieve, delete, cancel and input items),
   * relayed as it answers. Optional: an upstream without it serves no stored responses (the
   * gateway says so, 404). The caller has already checked that the response is the calling project's.
   */
  stored?(call: StoredResponseCall, signal: AbortSignal): Promise<Response>;
  /**
   * A call on OpenAI's Conversations API, relayed as it answers. Optional, as `stored`: an
   * upstream without it serves no conversations (404). The caller has already checked that a
   * named conversation is the calling project's.
   */
  conversations?(call: ConversationCall, signal: AbortSignal): Promise<Response>;
}

/**
 * One call on OpenAI's Conversations API: `POST /conversations`, `GET|POST|DELETE
 * /conversations/<id>`, `GET|POST /conversations/<id>/items`, `GET|DELETE
 * /conversations/<id>/items/<item>`. Ids checked `[A-Za-z0-9_-]`.
 */
export interface ConversationCall {
  method: 'GET' | 'POST' | 'DELETE';
  /** The conversation; absent only to create one. */
  id?: string;
  /** `true`: the conversation's items; an item id: that item. */
  items?: true | string;
  /** Query parameters passed on, already validated (`after`, `limit`, `order`, `include`). */
  query?: ReadonlyArray<readonly [string, string]>;
  /** The JSON body of a POST, serialized from the validated request. */
  body?: string;
}

/** One call on a stored response: its id (checked `[A-Za-z0-9_-]`), what is asked, and the query OpenAI reads. */
export interface StoredResponseCall {
  id: string;
  action: 'retrieve' | 'delete' | 'cancel' | 'input_items';
  /** Query parameters passed on, already validated (`include`, `stream`, `after`, `limit`, …). */
  query?: ReadonlyArray<readonly [string, string]>;
  /** The answer streams (retrieve with `stream=true`). */
  stream?: boolean;
}

/**
 * GitHub's secret scanning public keys (the partner program signs every report with one of them):
 * the PEM of the key an identifier names, or undefined when GitHub does not publish it. The adapter
 * caches them and asks GitHub again for an unknown identifier at most once a minute, so a flood of
 * forged identifiers costs GitHub (and us) one fetch a minute.
 */
export interface GithubScanningKeys {
  publicKey(identifier: string): Promise<string | undefined>;
}

/**
 * The platform's event bus (EventBridge in AWS; none locally): each event put once per call, the
 * ids it could not take returned for a retry.
 */
export interface EventBus {
  readonly label: string;
  put(events: LifecycleEvent[]): Promise<{ failed: Array<{ id: string; reason: string }> }>;
}

/** One webhook attempt's outcome (adapters/webhook-sender.ts). */
export type WebhookAttemptResult = { ok: true; status: number; ms: number } | { ok: false; status?: number; reason: string; ms: number };

/** Sends one signed webhook attempt, SSRF-safe (adapters/webhook-sender.ts). */
export interface WebhookTransport {
  /** Why a URL may not be registered, or undefined when it may. */
  refuse(url: string): Promise<string | undefined>;
  send(delivery: { url: string; secret: string; id: string; payload: string; at: Date }): Promise<WebhookAttemptResult>;
}

/** Where the core says what went wrong without failing the call (the edge's logger in practice). */
export interface Log {
  warn(message: string, attributes: Record<string, unknown>): void;
}

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
