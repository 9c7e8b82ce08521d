/**
 * The single table: its physical schema (shared by the CDK stateful stack and the local/test table
 * creation, so both always agree), every item's layout, and the builders of every key string: the
 * item families and the tests that read stored items build their keys here, none by hand.
 *
 * Item layouts (pk / sk → indexes):
 *   account   ACCOUNT#<id> / ACCOUNT            (no index: written by every lease take and return)
 *   lease listing ACCOUNT#<id>#LEASES / KEY#<keyId>   (a key that took a lease from the account; store/key-lease.ts)
 *   account directory entry
 *             ACCOUNT#<id> / DIRECTORY          gsi1: ACCOUNTS / <createdAt>#<id>
 *   project   PROJECT#<id> / PROJECT            gsi1: ACCOUNT#<acct>#PROJECTS / <createdAt>#<id>
 *                                               gsi2: PROJECTS / <createdAt>#<id>
 *   admin     PROJECT#<id> / ADMIN#<identity>
 *   key       KEY#<id> / KEY                    (no index: its admission writes it on every call; keys
 *                                               written before the listing entry existed are in gsi1 too)
 *                                               ud<day>r/t/c: the requests, tokens, credits of a UTC day its
 *                                               model calls' settlements and other calls' admissions counted
 *                                               (keyDayAttributes, usage-days.ts)
 *   key listing entry
 *             KEY#<id> / LIST                   gsi1: PROJECT#<pid>#KEYS / <createdAt>#<id>
 *   audit     PROJECT#<pid>#AUDIT / <at>#<id>   gsi1: KEY#<keyId>#AUDIT / <at>#<id>
 *                                               gsi2: PROJECT#<pid>#ACTOR#<actor> / <at>#<id>
 *   usage     PROJECT#<pid>#USAGE#<s> / <at>#<requestId>   (s = usageShard(requestId), 0–7)
 *                                               gsi1: KEY#<keyId>#USAGE#<k> / <at>#<requestId> (k = s mod 4)
 *                                               gsi2: PROJECT#<pid>#REQUEST#<requestId> / USAGE (only a request id
 *                                               without its time: one with it (`requestTime`) finds its record by
 *                                               key, <at> being that time)
 *             PROJECT#<pid>#USAGE / <at>#<requestId>     (records written before the shards: read, never written)
 *   usage day KEY#<keyId>#USAGEDAY / <YYYY-MM-DD>       (a key's requests, tokens, credits that UTC day: added
 *                                               by calls not counted on the key item; kr/kt/kc: what the key item
 *                                               counted, filed there once the day is over or the key is deleted)
 *                                               gsi2 (a key whose days are summed into its account's):
 *                                               ACCOUNT#<aid>#KEYDAYS / <YYYY-MM-DD>#<keyId>
 *             ACCOUNT#<id>#USAGEDAY / <YYYY-MM-DD>      (the same, for the keys of the account whose days are not
 *                                               summed into it: keys stored before issue 23's write units)
 *   conversation PROJECT#<pid> / CONV#<bot>#<identity>
 *   nonce     NONCE#<value> / NONCE
 *   lease     PROJECT#<id> / LEASE#KEY-MANAGERS   (held while a key that manages keys is revoked or deleted)
 *   console   CONSOLE#<sha256(token)> / LINK | SESSION   (sign-in links and sessions; no raw token)
 *   event     EVENT#<id> / EVENT                gsi1: PROJECT#<pid>#EVENTS | ACCOUNT#<aid>#EVENTS / <timestamp>#<id>
 *                                               gsi2 (while undelivered): OUTBOX / <due, 15 digits>#<id>
 *   webhook   PROJECT#<pid> / WEBHOOK#<id>      (its signing secret sealed)
 *   delivery  WEBHOOK#<id>#DELIVERIES / <eventAt>#<eventId>   (one event's delivery to one webhook)
 *   owner     RESPONSE#<id> / RESPONSE          (the project a stored response the gateway relayed belongs to)
 *             CONVERSATION#<id> / CONVERSATION  (the same, for an OpenAI conversation id)
 *   key request KEYREQ#<id> / KEYREQ           gsi1: PROJECT#<pid>#KEYREQS / <createdAt>#<id>
 *                                               (an approved one holds its key sealed until claimed)
 *   key request slot PROJECT#<pid> / KEYREQ-OPEN#<sha256(requester, name)>   (one pending request
 *                                               per requester and name: which request holds it, until when)
 *   key request ceiling PROJECT#<pid> / KEYREQ-CEIL#<channel>   (what requests from one chat channel
 *                                               may ask for at most; versioned)
 *
 * Access patterns:
 *   authenticate + rate-limit a key    UpdateItem KEY#<id> (conditional; 1 round trip when warm)
 *   key by id / by raw key             GetItem KEY#<id> (ids derive from the raw key, see hashing.ts)
 *   keys of a project, newest first    Query gsi1 PROJECT#<pid>#KEYS (listing entries), then
 *                                       BatchGetItem of their key items (1 more round trip)
 *   reserve credits                    UpdateItem KEY#<id>: the admission takes it from the key's lease;
 *                                       a lease: UpdateItem ACCOUNT#<id> (gate, balance), then KEY#<id> (key-lease.ts)
 *   settle credits                     UpdateItem KEY#<id>: the release puts reserve − price back in the lease (may leave debt)
 *   the balance shown                  GetItem ACCOUNT#<id>, BatchGetItem of its keys with leases, GetItem again (lease-balance.ts)
 *   audit by project / key / actor     Query table / gsi1 / gsi2, newest first
 *   record a call's usage              BatchWriteItem put, in its request's shard (after the answer;
 *                                       waiting records share one write)
 *   usage by project, newest first     Query the 8 shards and the unsharded partition side by side,
 *                                       merged by sort key (store/project-usage.ts)
 *   usage by key / by request          Query gsi1 KEY#<keyId>#USAGE / by request: GetItem of the key its
 *                                       id's time and shard name, else (ids without a time, and records
 *                                       written before) Query gsi2 PROJECT#<pid>#REQUEST#<requestId>
 *   count a call in its day            a settled model call: its key's day in its release write (KEY#<id>);
 *                                       else UpdateItem ADD on the key's day item; the account's day always
 *                                       (after the answer; calls waiting on one day item go out as one write)
 *   file a key's finished days         GetItem KEY#<id>, then SET kr/kt/kc on each finished day's item and
 *                                       REMOVE its counters from the key item (once a day per key and process)
 *   a key's days                       Query KEY#<id>#USAGEDAY, sk BETWEEN, beside GetItem KEY#<id> (the days
 *                                       it still counts)
 *   an account's days                  Query ACCOUNT#<id>#USAGEDAY, sk BETWEEN; Query gsi2 ACCOUNT#<id>#KEYDAYS,
 *                                       sk BETWEEN; beside them its keys (Query gsi1 ACCOUNT#<id>#PROJECTS,
 *                                       each project's gsi1 PROJECT#<pid>#KEYS, BatchGetItem the keys: the
 *                                       days they still count)
 *   project admins                     Query PROJECT#<id> begins_with ADMIN#
 *   a key and "is this person an admin" BatchGetItem KEY#<id> + ADMIN#<identity> (1 round trip)
 *   a person's action, once            PutItem audit (attribute_not_exists; its sort key derives
 *                                       from the signed assertion, so a replay finds it taken)
 *   one-time nonces                    PutItem NONCE#<v> (attribute_not_exists)
 *   key-managers lease                 PutItem PROJECT#<id>/LEASE#KEY-MANAGERS (absent, ended or own)
 *   console link, once                 UpdateItem CONSOLE#<h>/LINK (unused and unexpired)
 *   the outbox: events due now         Query gsi2 OUTBOX, sk <= <now>#~ (a relay then claims each
 *                                       by a conditional write on its `due`)
 *   a key change and its event         the change's own write ADDs the event id to the key's `evts`
 *                                       set: how the relay tells a pending event's change landed
 *   a project's webhooks               Query PROJECT#<pid> begins_with WEBHOOK#
 *   a webhook's delivery log           Query WEBHOOK#<id>#DELIVERIES, newest first
 *   record a relayed response's owner  BatchWriteItem put RESPONSE#<id> (after the answer, beside the
 *                                       usage record; waiting ones share one write)
 *   whose is this response             GetItem RESPONSE#<id> (consistent; only for a request naming one)
 *   a project's key requests           Query gsi1 PROJECT#<pid>#KEYREQS, newest first
 *   one pending request per requester and name
 *                                      PutItem the slot (absent, ended, or naming a request read
 *                                       as decided or gone), then PutItem the request
 *   approve once                       UpdateItem KEYREQ#<id> lock (pending, unexpired, unlocked),
 *                                       mint, UpdateItem decision (pending and still our lock)
 *   the key to its requester, once     UpdateItem SET claimedAt (present, unclaimed, claimable),
 *                                       ALL_NEW; then UpdateItem REMOVE sealedKey (its mark)
 *   a channel's ceiling                GetItem / PutItem (absent, or the version read) / DeleteItem
 *
 * Rate limit: the key item carries its own window (rlResetAt, rlCount) and limit (rlMax, rlWindowMs);
 * a request is admitted by one conditional increment, so admitted requests in a window never exceed
 * the limit however many Lambda instances race.
 */
export const TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Lists keys per project and audit records per key. */
  gsi1: { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  /** Audit records per actor. */
  gsi2: { name: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
  /** Epoch seconds; DynamoDB TTL deletes old audit records in AWS. Never relied on for correctness. */
  ttlAttribute: 'ttl',
} as const;

/**
 * Partitions a project's usage records are spread over. Every model call writes one record, and a
 * partition key takes about 1,000 write units a second in DynamoDB: in one partition a project
 * would stop near 1,000 calls a second; over 8, near 8,000. A project's listing reads all 8 (and
 * the unsharded partition) side by side, so more shards cost every listing more queries.
 * Changing it moves records a reader no longer finds: it is fixed.
 */
export const USAGE_SHARDS = 8;

/**
 * Partitions of gsi1 a key's usage records are spread over: an index partition takes the same
 * 1,000 write units a second, so in one a key would stop near 1,000 calls a second — below the
 * rate limit a key may have. A divisor of USAGE_SHARDS (a record's key shard is its project shard
 * mod this). Fixed, as USAGE_SHARDS is.
 */
export const KEY_USAGE_SHARDS = 4;

/**
 * The shard of a usage record: FNV-1a (32-bit) of its request id, mod USAGE_SHARDS. A function of
 * the request id alone, so a record sent again (a retried batch) lands on the same item and
 * overwrites itself, as it did in one partition.
 */
export function usageShard(requestId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < requestId.length; i++) hash = Math.imul(hash ^ requestId.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % USAGE_SHARDS;
}

/**
 * The key item's counters of one UTC day (`YYYY-MM-DD`): what its model calls' settlements
 * (store/key-release.ts) and its other calls' admissions (key-admission.ts) counted that day,
 * until the day is filed on its day item (store/usage-days.ts).
 * Named `ud<day><r|t|c>`, the day as days since 1970 in base 36 (`udfs6r`): every byte of the key
 * item is paid by each of its writes, two a model call, and one write unit holds 1 KB.
 */
export function keyDayAttributes(date: string): { requests: string; tokens: string; credits: string } {
  const day = Math.floor(Date.parse(`${date}T00:00:00Z`) / 86_400_000).toString(36);
  return { requests: `ud${day}r`, tokens: `ud${day}t`, credits: `ud${day}c` };
}

/** The UTC day (`YYYY-MM-DD`) whose requests a key item attribute counts, if it is such a counter. */
export function keyDayOf(attribute: string): string | undefined {
  const day = /^ud([0-9a-z]{3,4})r$/.exec(attribute)?.[1];
  return day === undefined ? undefined : new Date(parseInt(day, 36) * 86_400_000).toISOString().slice(0, 10);
}

/** A table or index key: the partition and sort key strings. */
export type ItemKey = { pk: string; sk: string };

/** Partition keys, of the table (`pk`) and of the indexes (`gsi1pk`, `gsi2pk`). */
export const partition = {
  account: (id: string) => `ACCOUNT#${id}`,
  /** The keys of an account that took a lease (store/key-lease.ts), apart from its balance item's partition. */
  accountLeases: (id: string) => `ACCOUNT#${id}#LEASES`,
  project: (id: string) => `PROJECT#${id}`,
  key: (id: string) => `KEY#${id}`,
  nonce: (value: string) => `NONCE#${value}`,
  console: (hash: string) => `CONSOLE#${hash}`,
  /** gsi1: every account's directory entry. */
  accounts: 'ACCOUNTS',
  /** gsi2: every project. */
  projects: 'PROJECTS',
  /** gsi1: an account's projects. */
  accountProjects: (accountId: string) => `ACCOUNT#${accountId}#PROJECTS`,
  /** gsi1: a project's keys. */
  projectKeys: (projectId: string) => `PROJECT#${projectId}#KEYS`,
  projectAudit: (projectId: string) => `PROJECT#${projectId}#AUDIT`,
  /** gsi1: one key's audit records. */
  keyAudit: (keyId: string) => `KEY#${keyId}#AUDIT`,
  /** gsi2: one actor's audit records in a project. */
  actorAudit: (projectId: string, actor: string) => `PROJECT#${projectId}#ACTOR#${actor}`,
  /** One shard of a project's usage records (`usageShard` of the request id). */
  projectUsage: (projectId: string, shard: number) => `PROJECT#${projectId}#USAGE#${shard}`,
  /** A project's usage records written before the shards: still read, never written. */
  projectUsageUnsharded: (projectId: string) => `PROJECT#${projectId}#USAGE`,
  /** Every partition a project's usage records are in: the unsharded one, then the shards. */
  projectUsageAll: (projectId: string): string[] => [`PROJECT#${projectId}#USAGE`, ...Array.from({ length: USAGE_SHARDS }, (_, s) => `PROJECT#${projectId}#USAGE#${s}`)],
  /** gsi1: one shard of a key's usage records (`usageShard` of the request id, mod KEY_USAGE_SHARDS). */
  keyUsage: (keyId: string, shard: number) => `KEY#${keyId}#USAGE#${shard}`,
  /** gsi1: a key's usage records written before its shards: still read, never written. */
  keyUsageUnsharded: (keyId: string) => `KEY#${keyId}#USAGE`,
  /** gsi1: every partition a key's usage records are in: the unsharded one, then the shards. */
  keyUsageAll: (keyId: string): string[] => [`KEY#${keyId}#USAGE`, ...Array.from({ length: KEY_USAGE_SHARDS }, (_, s) => `KEY#${keyId}#USAGE#${s}`)],
  /** gsi2: one request's usage record. */
  requestUsage: (projectId: string, requestId: string) => `PROJECT#${projectId}#REQUEST#${requestId}`,
  /** One key's daily counters, one item per UTC day. */
  keyUsageDays: (keyId: string) => `KEY#${keyId}#USAGEDAY`,
  /** One account's daily counters (every key of the account), one item per UTC day. */
  accountUsageDays: (accountId: string) => `ACCOUNT#${accountId}#USAGEDAY`,
  /** gsi2: the day items of an account's keys whose days are summed into the account's (usage-days.ts). */
  accountKeyDays: (accountId: string) => `ACCOUNT#${accountId}#KEYDAYS`,
  event: (id: string) => `EVENT#${id}`,
  /** gsi1: a project's events (account events: the account's). */
  projectEvents: (projectId: string) => `PROJECT#${projectId}#EVENTS`,
  accountEvents: (accountId: string) => `ACCOUNT#${accountId}#EVENTS`,
  /** gsi2: every event not yet delivered everywhere, by when it is due. */
  outbox: 'OUTBOX',
  /** One webhook's delivery log. */
  webhookDeliveries: (webhookId: string) => `WEBHOOK#${webhookId}#DELIVERIES`,
  /** The owner of an upstream object: a stored response, a conversation. */
  owned: (kind: 'response' | 'conversation', id: string) => `${kind === 'response' ? 'RESPONSE' : 'CONVERSATION'}#${id}`,
  keyRequest: (id: string) => `KEYREQ#${id}`,
  /** gsi1: a project's key requests. */
  projectKeyRequests: (projectId: string) => `PROJECT#${projectId}#KEYREQS`,
} as const;

/** Sort keys, of the table (`sk`) and of the indexes (`gsi1sk`, `gsi2sk`). */
export const sortKey = {
  account: 'ACCOUNT',
  accountDirectory: 'DIRECTORY',
  project: 'PROJECT',
  key: 'KEY',
  nonce: 'NONCE',
  keyManagersLease: 'LEASE#KEY-MANAGERS',
  consoleLink: 'LINK',
  consoleSession: 'SESSION',
  /** gsi2: a usage record under its request. */
  requestUsage: 'USAGE',
  admin: (identity: string) => `ADMIN#${identity}`,
  /** begins_with: every admin of a project. */
  admins: 'ADMIN#',
  conversation: (bot: string, identity: string) => `CONV#${bot}#${identity}`,
  /** begins_with: a project's conversations, all or one bot's. */
  conversations: (bot?: string) => (bot ? `CONV#${bot}#` : 'CONV#'),
  /** A log's or listing's order: time (ISO, or the creation time), then id. */
  timeline: (at: string, id: string) => `${at}#${id}`,
  /** A daily counter's UTC day, `YYYY-MM-DD`: sorts as the calendar does. */
  usageDay: (date: string) => date,
  /** gsi2: one key's day among its account's keys' days (`<YYYY-MM-DD>#<keyId>`). */
  accountKeyDay: (date: string, keyId: string) => `${date}#${keyId}`,
  event: 'EVENT',
  webhook: (id: string) => `WEBHOOK#${id}`,
  /** begins_with: every webhook of a project. */
  webhooks: 'WEBHOOK#',
  /** An upstream object's owner record. */
  owned: (kind: 'response' | 'conversation') => (kind === 'response' ? 'RESPONSE' : 'CONVERSATION'),
  /** A key's listing entry: the item that puts the key in its project's list (gsi1), so the key item itself is in no index. */
  keyListing: 'LIST',
  keyRequest: 'KEYREQ',
  /** One requester's pending request for one key name (a hash of both). */
  keyRequestSlot: (slot: string) => `KEYREQ-OPEN#${slot}`,
  /** A chat channel's ceiling on key requests (the channel checked by core/key-request-channel.ts first). */
  keyRequestCeiling: (channel: string) => `KEYREQ-CEIL#${channel}`,
  /** gsi2: an outbox entry, by due time (epoch ms, zero-padded so it sorts as a number). */
  outboxDue: (due: number, id: string) => `${String(Math.max(0, Math.floor(due))).padStart(15, '0')}#${id}`,
} as const;

/** The table key of every item that has one fixed place. */
export const itemKey = {
  account: (id: string): ItemKey => ({ pk: partition.account(id), sk: sortKey.account }),
  accountDirectory: (id: string): ItemKey => ({ pk: partition.account(id), sk: sortKey.accountDirectory }),
  project: (id: string): ItemKey => ({ pk: partition.project(id), sk: sortKey.project }),
  admin: (projectId: string, identity: string): ItemKey => ({ pk: partition.project(projectId), sk: sortKey.admin(identity) }),
  conversation: (projectId: string, bot: string, identity: string): ItemKey => ({ pk: partition.project(projectId), sk: sortKey.conversation(bot, identity) }),
  keyManagersLease: (projectId: string): ItemKey => ({ pk: partition.project(projectId), sk: sortKey.keyManagersLease }),
  key: (id: string): ItemKey => ({ pk: partition.key(id), sk: sortKey.key }),
  /** A key of an account that took a lease: listed until the key is deleted. */
  leaseListing: (accountId: string, keyId: string): ItemKey => ({ pk: partition.accountLeases(accountId), sk: partition.key(keyId) }),
  nonce: (value: string): ItemKey => ({ pk: partition.nonce(value), sk: sortKey.nonce }),
  event: (id: string): ItemKey => ({ pk: partition.event(id), sk: sortKey.event }),
  webhook: (projectId: string, id: string): ItemKey => ({ pk: partition.project(projectId), sk: sortKey.webhook(id) }),
  /** A key's or an account's counters of one UTC day (`YYYY-MM-DD`). */
  usageDay: (owner: { keyId: string } | { accountId: string }, date: string): ItemKey => ({
    pk: 'keyId' in owner ? partition.keyUsageDays(owner.keyId) : partition.accountUsageDays(owner.accountId),
    sk: sortKey.usageDay(date),
  }),
  owned: (kind: 'response' | 'conversation', id: string): ItemKey => ({ pk: partition.owned(kind, id), sk: sortKey.owned(kind) }),
  keyRequest: (id: string): ItemKey => ({ pk: partition.keyRequest(id), sk: sortKey.keyRequest }),
  keyRequestSlot: (projectId: string, slot: string): ItemKey => ({ pk: partition.project(projectId), sk: sortKey.keyRequestSlot(slot) }),
  keyRequestCeiling: (projectId: string, channel: string): ItemKey => ({ pk: partition.project(projectId), sk: sortKey.keyRequestCeiling(channel) }),
  consoleGrant: (kind: 'link' | 'session', hash: string): ItemKey => ({
    pk: partition.console(hash),
    sk: kind === 'link' ? sortKey.consoleLink : sortKey.consoleSession,
  }),
} as const;
