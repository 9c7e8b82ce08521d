/**
 * The DynamoDB store: one table, every write a single-item conditional write, so it runs the same
 * on DynamoDB and on dynalite (no transactions, no TTL reliance: expiry is checked in code).
 *
 * It implements the `Store` port by handing each call to the module of its item family, in
 * `store/`: the table's layout and every key (table.ts — read it first), accounts and credits,
 * projects with their admins and conversations, keys and their admission, the audit and usage
 * logs and the daily usage counters, claims (nonces, the key-managers lease) and console sign-in
 * grants.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ExposureRecord } from '../core/exposure';
import type { AuditQuery, ConsoleGrant, KeyEdit, KeyHoldRelease, ModelCallAdmission, OwnedKind, OwnershipRecord, Store, UsageDayCounts, UsageDayOwner, UsageQuery } from '../core/ports';
import type { DeliveryRecord, StoredEvent, WebhookRecord } from '../core/events';
import type { ChannelCeilingRecord } from '../core/key-request-channel';
import type { KeyRequestRecord } from '../core/key-request-record';
import type { RotationDeliveryRecord } from '../core/rotation-delivery-port';
import type { Account, AuditRecord, ConversationRecord, StoredAccountPolicy, KeyRecord, Project, UsageRecord } from '../core/types';
import type { DynamoWire } from './dynamodb-wire';
import { AccountItems } from './store/accounts';
import { ClaimItems } from './store/claims';
import { ConsoleGrantItems } from './store/console-grants';
import { EventItems } from './store/events';
import { KeyItems } from './store/keys';
import { KeyRequestItems } from './store/key-requests';
import { LogItems } from './store/logs';
import { ProjectItems } from './store/projects';
import { RotationDeliveryItems } from './store/rotation-deliveries';
import { OwnershipItems } from './store/responses';
import { TableAccess } from './store/table-access';
import { UsageDayItems } from './store/usage-days';

export interface DynamoDbStoreOptions {
  tableName: string;
  client: DynamoDBClient;
  /** The hot path's transport; default: one over `client`'s configuration. */
  wire?: DynamoWire;
  /** How long a missed owner record is waited for before it is read again (store/responses.ts); default RECHECK_MS. */
  ownerRecheckMs?: number;
  /** Records owed after the answer held at most before new calls are refused (store/table-access.ts); default MAX_PENDING_RECORDS. */
  maxPendingRecords?: number;
  /** How long a record owed after the answer is sent again while DynamoDB throttles it; default OWED_WAIT_MS. */
  owedWaitMs?: number;
}

export class DynamoDbStore implements Store {
  private readonly accounts: AccountItems;
  private readonly projects: ProjectItems;
  private readonly keys: KeyItems;
  private readonly logs: LogItems;
  private readonly usageDays: UsageDayItems;
  private readonly claims: ClaimItems;
  private readonly consoleGrants: ConsoleGrantItems;
  private readonly events: EventItems;
  private readonly owners: OwnershipItems;
  private readonly keyRequests: KeyRequestItems;
  private readonly rotationDeliveries: RotationDeliveryItems;

  constructor(options: DynamoDbStoreOptions) {
    const db = new TableAccess(options.tableName, options.client, options.wire, { maxPendingRecords: options.maxPendingRecords, owedWaitMs: options.owedWaitMs });
    this.accounts = new AccountItems(db);
    this.projects = new ProjectItems(db);
    this.keys = new KeyItems(db);
    this.logs = new LogItems(db);
    this.usageDays = new UsageDayItems(db);
    this.claims = new ClaimItems(db);
    this.consoleGrants = new ConsoleGrantItems(db);
    this.events = new EventItems(db);
    this.owners = new OwnershipItems(db, options.ownerRecheckMs);
    this.keyRequests = new KeyRequestItems(db);
    this.rotationDeliveries = new RotationDeliveryItems(db);
  }

  // ── accounts and credits (store/accounts.ts) ──
  createAccount(account: Account) { return this.accounts.createAccount(account); }
  getAccount(id: string) { return this.accounts.getAccount(id); }
  listAccounts() { return this.accounts.listAccounts(); }
  setApiAccess(id: string, enabled: boolean) { return this.accounts.setApiAccess(id, enabled); }
  adjustCredits(id: string, delta: number) { return this.accounts.adjustCredits(id, delta); }
  sweepLeases(id: string, now: number) { return this.accounts.sweepLeases(id, now); }
  leasesSettled() { return this.accounts.leasesSettled(); }
  setCreditsLowThreshold(id: string, threshold: number | null) { return this.accounts.setCreditsLowThreshold(id, threshold); }
  nextCreditsLowEpisode(id: string, seen: number) { return this.accounts.nextCreditsLowEpisode(id, seen); }
  setAccountPolicy(id: string, policy: StoredAccountPolicy | null) { return this.accounts.setAccountPolicy(id, policy); }

  // ── projects, admins, conversations (store/projects.ts) ──
  createProject(project: Project) { return this.projects.createProject(project); }
  getProject(id: string) { return this.projects.getProject(id); }
  listProjects(accountId?: string) { return this.projects.listProjects(accountId); }
  setAutomatorKey(projectId: string, keyId: string) { return this.projects.setAutomatorKey(projectId, keyId); }
  nextKeyNumber(projectId: string) { return this.projects.nextKeyNumber(projectId); }
  addAdmin(projectId: string, identity: string, addedBy: string) { return this.projects.addAdmin(projectId, identity, addedBy); }
  removeAdmin(projectId: string, identity: string) { return this.projects.removeAdmin(projectId, identity); }
  listAdmins(projectId: string) { return this.projects.listAdmins(projectId); }
  isAdmin(projectId: string, identity: string) { return this.projects.isAdmin(projectId, identity); }
  putConversation(record: ConversationRecord) { return this.projects.putConversation(record); }
  listConversations(projectId: string, bot?: string) { return this.projects.listConversations(projectId, bot); }

  // ── keys and admission (store/keys.ts) ──
  getKeyWithAdmin(id: string, admin: { projectId: string; identity: string }, options?: { accountId?: string }) { return this.keys.getKeyWithAdmin(id, admin, options); }
  putKey(key: KeyRecord, event?: string, carried?: StoredEvent) { return this.keys.putKey(key, event, carried); }
  listKey(key: KeyRecord) { return this.keys.listKey(key); }
  getKey(id: string) { return this.keys.getKey(id); }
  listKeys(projectId: string, options: { cursor?: string; limit: number; admin?: string }) { return this.keys.listKeys(projectId, options); }
  keysCursorAfter(key: KeyRecord) { return this.keys.keysCursorAfter(key); }
  updateKey(id: string, edit: KeyEdit) { return this.keys.updateKey(id, edit); }
  revokeKey(id: string, at: string, event?: string) { return this.keys.revokeKey(id, at, event); }
  markRotated(id: string, replacementId: string, at: string, graceUntil: number | undefined, version?: number, event?: string) { return this.keys.markRotated(id, replacementId, at, graceUntil, version, event); }
  undoRotation(id: string, replacementId: string, failure: { at: string; reason: string }) { return this.keys.undoRotation(id, replacementId, failure); }
  deleteKey(id: string) { return this.keys.deleteKey(id); }
  markExposed(id: string, exposure: ExposureRecord, event?: string) { return this.keys.markExposed(id, exposure, event); }
  admitKeyUse(id: string, hash: string, now: number, call?: ModelCallAdmission, countIn?: string) { return this.keys.admitKeyUse(id, hash, now, call, countIn); }
  releaseKeyUse(id: string, release: KeyHoldRelease, now: number) { return this.keys.releaseKeyUse(id, release, now); }
  renewKeySlot(id: string, slot: { index: number; holder: string }, until: number) { return this.keys.renewKeySlot(id, slot, until); }

  // ── audit and usage logs (store/logs.ts) ──
  putAudit(record: AuditRecord, options?: { unique?: boolean }) { return this.logs.putAudit(record, options); }
  queryAudit(query: AuditQuery) { return this.logs.queryAudit(query); }
  putUsage(record: UsageRecord) { return this.logs.putUsage(record); }
  queryUsage(query: UsageQuery) { return this.logs.queryUsage(query); }

  // ── daily usage counters (store/usage-days.ts) ──
  addUsageDay(owner: UsageDayOwner, date: string, counts: UsageDayCounts) { return this.usageDays.addUsageDay(owner, date, counts); }
  queryUsageDays(owner: UsageDayOwner, from: string, to: string) { return this.usageDays.queryUsageDays(owner, from, to); }

  // ── nonces and the key-managers lease (store/claims.ts) ──
  claimNonce(nonce: string, expiresAt: number) { return this.claims.claimNonce(nonce, expiresAt); }
  acquireKeyManagersLease(projectId: string, holder: string, until: number, now: number) { return this.claims.acquireKeyManagersLease(projectId, holder, until, now); }
  releaseKeyManagersLease(projectId: string, holder: string) { return this.claims.releaseKeyManagersLease(projectId, holder); }

  // ── lifecycle events, webhooks, deliveries (store/events.ts) ──
  putEvent(item: StoredEvent, options?: { unique?: boolean }) { return this.events.putEvent(item, options); }
  getEvent(id: string) { return this.events.getEvent(id); }
  dueEvents(now: number, limit: number) { return this.events.dueEvents(now, limit); }
  claimEvent(id: string, seenDue: number, until: number) { return this.events.claimEvent(id, seenDue, until); }
  saveEvent(item: StoredEvent, claimedDue: number) { return this.events.saveEvent(item, claimedDue); }
  confirmEvent(id: string, now: number, carrier?: { stored: StoredEvent; key: KeyRecord }) { return this.events.confirmEvent(id, now, carrier); }
  dropPendingEvent(id: string) { return this.events.dropPendingEvent(id); }
  unmarkKeyEvent(keyId: string, eventId: string) { return this.events.unmarkKeyEvent(keyId, eventId); }
  keyEventMarker(keyId: string, eventId: string) { return this.events.keyEventMarker(keyId, eventId); }
  listEvents(projectId: string, options: { cursor?: string; limit: number }) { return this.events.listEvents(projectId, options); }
  putWebhook(webhook: WebhookRecord, options?: { ifSealed?: string }) { return this.events.putWebhook(webhook, options); }
  getWebhook(projectId: string, id: string) { return this.events.getWebhook(projectId, id); }
  listWebhooks(projectId: string) { return this.events.listWebhooks(projectId); }
  deleteWebhook(projectId: string, id: string) { return this.events.deleteWebhook(projectId, id); }
  putDelivery(record: DeliveryRecord) { return this.events.putDelivery(record); }
  listDeliveries(webhookId: string, options: { cursor?: string; limit: number }) { return this.events.listDeliveries(webhookId, options); }

  // ── owners of the upstream's stored responses and conversations (store/responses.ts) ──
  recordOwnership(record: OwnershipRecord) { return this.owners.recordOwnership(record); }
  getOwnership(kind: OwnedKind, id: string) { return this.owners.getOwnership(kind, id); }

  // ── console sign-in links and sessions (store/console-grants.ts) ──
  putConsoleGrant(grant: ConsoleGrant) { return this.consoleGrants.putConsoleGrant(grant); }
  getConsoleGrant(kind: ConsoleGrant['kind'], hash: string) { return this.consoleGrants.getConsoleGrant(kind, hash); }
  spendConsoleLink(hash: string, now: number) { return this.consoleGrants.spendConsoleLink(hash, now); }
  revokeConsoleSession(hash: string, at: number) { return this.consoleGrants.revokeConsoleSession(hash, at); }

  // ── key requests and their pending slots (store/key-requests.ts) ──
  putKeyRequest(request: KeyRequestRecord) { return this.keyRequests.putKeyRequest(request); }
  getKeyRequest(id: string) { return this.keyRequests.getKeyRequest(id); }
  listKeyRequests(projectId: string, options: { cursor?: string; limit: number }) { return this.keyRequests.listKeyRequests(projectId, options); }
  keyRequestsCursorAfter(request: KeyRequestRecord) { return this.keyRequests.keyRequestsCursorAfter(request); }
  takeKeyRequestSlot(projectId: string, slot: string, requestId: string, until: number, now: number, replacing?: string) { return this.keyRequests.takeKeyRequestSlot(projectId, slot, requestId, until, now, replacing); }
  keyRequestSlot(projectId: string, slot: string) { return this.keyRequests.keyRequestSlot(projectId, slot); }
  releaseKeyRequestSlot(projectId: string, slot: string, requestId: string) { return this.keyRequests.releaseKeyRequestSlot(projectId, slot, requestId); }
  lockKeyRequest(id: string, holder: string, until: number, now: number) { return this.keyRequests.lockKeyRequest(id, holder, until, now); }
  unlockKeyRequest(id: string, holder: string) { return this.keyRequests.unlockKeyRequest(id, holder); }
  decideKeyRequest(id: string, decision: Parameters<Store['decideKeyRequest']>[1]) { return this.keyRequests.decideKeyRequest(id, decision); }
  takeKeyRequestValue(id: string, claimedAt: string, now: number) { return this.keyRequests.takeKeyRequestValue(id, claimedAt, now); }
  dropKeyRequestValue(id: string, now: number) { return this.keyRequests.dropKeyRequestValue(id, now); }
  putKeyRequestCeiling(record: ChannelCeilingRecord, expectedVersion: number) { return this.keyRequests.putKeyRequestCeiling(record, expectedVersion); }
  getKeyRequestCeiling(projectId: string, channel: string) { return this.keyRequests.getKeyRequestCeiling(projectId, channel); }
  deleteKeyRequestCeiling(projectId: string, channel: string) { return this.keyRequests.deleteKeyRequestCeiling(projectId, channel); }

  // ── scheduled rotations' values held for their owner (store/rotation-deliveries.ts) ──
  putRotationDelivery(record: RotationDeliveryRecord) { return this.rotationDeliveries.putRotationDelivery(record); }
  getRotationDelivery(projectId: string, keyId: string) { return this.rotationDeliveries.getRotationDelivery(projectId, keyId); }
  listRotationDeliveries(projectId: string) { return this.rotationDeliveries.listRotationDeliveries(projectId); }
  takeRotationDeliveryValue(projectId: string, keyId: string, owner: string, claimedAt: string, now: number) { return this.rotationDeliveries.takeRotationDeliveryValue(projectId, keyId, owner, claimedAt, now); }
  deleteRotationDelivery(projectId: string, keyId: string) { return this.rotationDeliveries.deleteRotationDelivery(projectId, keyId); }
}
