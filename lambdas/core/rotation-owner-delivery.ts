import { IDENTITY_PATTERN } from './actor-assertion';
import type { AuditLog } from './audit-log';
import { KeywardenError } from './errors';
import { keyStatus } from './key-status';
import { OWNER_CLAIM_WINDOW_MS, type DeliveryOutcome, type RotationDelivery } from './key-rotation';
import type { IssuedKey } from './key-service';
import { requireRead } from './policy';
import { principalProject, type Principal } from './principal';
import type { Clock, SecretsProvider, Store } from './ports';
import { deliveryPending, type RotationDeliveryPort, type RotationDeliveryRecord } from './rotation-delivery-port';
import { sealValue, unsealValue } from './sealed-values';
import type { KeyRecord, KeyRotationSetting } from './types';

/**
 * Scheduled rotation delivered privately to the key's chat owner (issue 25 point 2,
 * `deliverTo: {"owner": "<chat identity>"}`), in the shape the approved key requests use: the job
 * never talks to Slack or Teams. It holds the new value SEALED (sealed-values.ts) in a record for
 * the owner; the bots, polling `GET /v1/rotation-deliveries`, tell the owner privately (Slack DM,
 * Teams 1:1) with a `Collect key` button; the click comes back as `POST
 * /v1/keys/{id}/rotation-delivery/claim` with the clicker's actor assertion, and only the owner's
 * gets the value — once: the sealed value is removed by the write that hands it out.
 *
 * Timing (key-rotation.ts `rotationOverlapMs`): the owner has OWNER_CLAIM_WINDOW_MS (a day) to
 * collect, and the old key's overlap runs that much longer (capped at 7 days), so whenever the
 * owner collects, the old key still works for about `overlap` after. Not collected in time, the
 * job undoes the rotation as it undoes any undelivered one (`lapsed`, key-rotation-schedule.ts):
 * the replacement nobody holds is revoked, the old key given back, the admins told
 * (`key.rotation_failed`, the bots' rotation failure notices). The old key is never ended early
 * for a value nobody collected.
 *
 * Who may be an owner (preflight, before anything is rotated): a well-formed chat identity of a
 * person the project knows — one of its admins, or someone a bot has met in it (a saved private
 * chat). On Teams the saved 1:1 chat is required: the bot cannot open one on its own.
 *
 * Never in a log, audit record, event or error: the value. The audit names the key, the owner and
 * the collector.
 */
export const SEAL_INFO = 'keywarden rotation delivery values v1';

/** Why a refusal, before the rotation: every reason starts so (operators and tests read it). */
const UNAVAILABLE = 'private delivery to a chat owner is not available';

export type RotationDeliveryStore = RotationDeliveryPort & Pick<Store, 'isAdmin' | 'listConversations' | 'getKey'>;

export class RotationOwnerDelivery implements RotationDelivery {
  constructor(private readonly deps: { store: RotationDeliveryStore; secrets: SecretsProvider; clock: Clock; audit: AuditLog }) {}

  async preflight(to: KeyRotationSetting['deliverTo'], key: KeyRecord): Promise<string | undefined> {
    if (!('owner' in to)) return 'not an owner delivery';
    const owner = to.owner;
    // Nobody holds the Automator key's value (SPEC §3), and an undone rotation of it would leave the project's pointer on the revoked replacement.
    if (key.type === 'system') return `${UNAVAILABLE}: the Automator key is rotated for the platform, never handed to a person`;
    if (!IDENTITY_PATTERN.test(owner)) return `${UNAVAILABLE}: ${owner} is not a chat identity (slack:<team>:<user> or teams:<tenant>:<aadObjectId>)`;
    const platform = owner.split(':')[0]!;
    const met = (await this.deps.store.listConversations(key.projectId)).filter((c) => c.identity === owner);
    if (platform === 'teams' && !met.some((c) => c.bot === 'teams')) {
      return `${UNAVAILABLE}: the Teams bot has no 1:1 chat with ${owner} in this project (they say hello to the bot once)`;
    }
    if (met.length === 0 && !(await this.deps.store.isAdmin(key.projectId, owner))) {
      return `${UNAVAILABLE}: ${owner} is not an admin of this project, nor a person its bots have met`;
    }
    return undefined;
  }

  /** Held, sealed, for the owner to collect within a day: "delivered" to the job, which keeps the rotation. */
  async deliver(to: KeyRotationSetting['deliverTo'], issued: { key: KeyRecord; secret: string }): Promise<DeliveryOutcome> {
    if (!('owner' in to)) return { delivered: false, reason: 'not an owner delivery' };
    const { key } = issued;
    if (!key.rotatedFrom) return { delivered: false, reason: 'the key holding the value replaces no key' };
    const now = this.deps.clock.now();
    const record: RotationDeliveryRecord = {
      projectId: key.projectId,
      accountId: key.accountId,
      keyId: key.id,
      keyName: key.name,
      keyStart: key.start,
      replacedKeyId: key.rotatedFrom,
      owner: to.owner,
      createdAt: new Date(now).toISOString(),
      claimUntil: now + OWNER_CLAIM_WINDOW_MS,
      sealedKey: await sealValue(this.deps.secrets, SEAL_INFO, bindOf(key.projectId, key.id, to.owner), issued.secret),
    };
    if (!(await this.deps.store.putRotationDelivery(record))) return { delivered: false, reason: `a value for ${key.id} is already held` };
    return { delivered: true, where: `held for ${to.owner} to collect until ${new Date(record.claimUntil).toISOString()}` };
  }

  /** The project's held values, without them: what the bots tell owners about. Needs `keys:read`. */
  async list(p: Principal, query: { pending?: boolean } = {}): Promise<RotationDeliveryRecord[]> {
    requireRead(p, 'keys:read');
    const now = this.deps.clock.now();
    const all = await this.deps.store.listRotationDeliveries(principalProject(p));
    return all.filter((r) => !query.pending || deliveryPending(r, now));
  }

  /**
   * The new value, to its owner only, once, within the window: a bot acting for the owner (their
   * actor assertion, which the first audit record spends). Anyone else is refused and audited.
   */
  async claim(p: Principal, keyId: string): Promise<IssuedKey> {
    const record = await this.deps.store.getRotationDelivery(principalProject(p), keyId);
    if (!record) throw new KeywardenError('not_found', `No rotated value of key ${keyId} is held for collection in this project.`);
    const details = { replacedKeyId: record.replacedKeyId, owner: record.owner };
    const refuse = async (error: KeywardenError, reason: string): Promise<never> => {
      await this.audit(p, 'denied', { keyId, reason, details }, true);
      throw error;
    };
    // A bot's signed assertion only: the value then goes into the bot's private reply (a console session names a person but signs nothing).
    if (p.kind !== 'key' || !p.person?.assertion) {
      return refuse(new KeywardenError('insufficient_permissions', 'Only the key’s owner collects its rotated value, through the bot (their X-Keywarden-Actor assertion).'), 'not a person through a bot');
    }
    if (p.person.identity !== record.owner) {
      return refuse(new KeywardenError('insufficient_permissions', 'Only the key’s owner can collect its rotated value.'), 'not the owner');
    }
    const now = this.deps.clock.now();
    if (record.claimedAt) return refuse(new KeywardenError('conflict', `The rotated value of key ${keyId} was already collected.`), 'already collected');
    if (!deliveryPending(record, now)) return refuse(new KeywardenError('conflict', `The rotated value of key ${keyId} was not collected in time; the rotation is undone.`), 'collection window over');
    const key = await this.deps.store.getKey(keyId);
    if (!key || keyStatus(key, now) !== 'active') return refuse(new KeywardenError('conflict', `Key ${keyId} no longer works: there is nothing to collect.`), 'key no longer active');
    await this.audit(p, 'success', { keyId, details }, true);
    const taken = await this.deps.store.takeRotationDeliveryValue(record.projectId, keyId, record.owner, new Date(now).toISOString(), now);
    if (!taken?.sealedKey) {
      await this.audit(p, 'error', { keyId, reason: 'already collected', details }).catch(() => undefined);
      throw new KeywardenError('conflict', `The rotated value of key ${keyId} was already collected.`);
    }
    return { key, secret: await unsealValue(this.deps.secrets, SEAL_INFO, bindOf(record.projectId, keyId, record.owner), taken.sealedKey) };
  }

  /** Records whose window is over at `now`, collected or not: the job closes each (key-rotation-schedule.ts). */
  async lapsed(projectId: string, now: number): Promise<RotationDeliveryRecord[]> {
    return (await this.deps.store.listRotationDeliveries(projectId)).filter((r) => now >= r.claimUntil);
  }

  /** The record gone (a value still sealed in it goes with it). */
  close(record: RotationDeliveryRecord): Promise<void> {
    return this.deps.store.deleteRotationDelivery(record.projectId, record.keyId);
  }

  private async audit(p: Principal, outcome: 'success' | 'denied' | 'error', extra: Parameters<AuditLog['record']>[3], once = false): Promise<void> {
    await this.deps.audit.record(p, 'key.rotation_delivery.claim', outcome, extra, { once });
  }
}

/** What a sealed value is bound to: its project, key and owner (a copy elsewhere does not open). */
function bindOf(projectId: string, keyId: string, owner: string): string {
  return `rotation-delivery:${projectId}:${keyId}:${owner}`;
}
