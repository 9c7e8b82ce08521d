import type { AuditLog } from './audit-log';
import { KeywardenError } from './errors';
import type { EventOutbox } from './event-outbox';
import { rotationFailedEvent } from './key-rotation-failure';
import { keyStatus } from './key-status';
import { rotationDue, rotationOverlapMs, type DeliveryOutcome, type RotationDelivery } from './key-rotation';
import type { KeyService } from './key-service';
import type { Principal } from './principal';
import type { Clock, Store } from './ports';
import { redactKeys } from './redact-keys';
import type { RotationDeliveryRecord } from './rotation-delivery-port';
import type { RotationOwnerDelivery } from './rotation-owner-delivery';
import type { KeyRecord, Project } from './types';

/** What one run did. */
export interface RotationRunReport {
  /** Keys rotated on schedule, their new value delivered. */
  rotated: number;
  /** Rotations undone because the value could not be delivered (the old key kept, the admins told). */
  undelivered: number;
  /** Due keys the rotation itself refused (an account policy, a conflict): nothing changed. */
  refused: number;
  /** Old keys ended early by `revokeWhenIdle`: no call for that long during their overlap. */
  revokedIdle: number;
}

export interface KeyRotationScheduleDeps {
  store: Store;
  clock: Clock;
  keys: KeyService;
  audit: AuditLog;
  delivery: RotationDelivery;
  /** Values held for their owner (rotation-owner-delivery.ts): each run closes those whose window is over. */
  owner?: Pick<RotationOwnerDelivery, 'lapsed' | 'close'>;
  /** Where `key.rotation_failed` is stored for the bus and the webhooks (once per failure). */
  events: Pick<EventOutbox, 'emitOnce'>;
  /** What the job did, key by key (ids, never a value). */
  log: { info(message: string, attributes: Record<string, unknown>): void; warn(message: string, attributes: Record<string, unknown>): void; error(message: string, attributes: Record<string, unknown>): void };
}

const PAGE = 200;

/**
 * The daily rotation job (issue 25 points 2 and 4): run by `keywarden reminders run` locally and by
 * the events function's daily schedule in AWS (lambdas/handlers/secret-rotation-schedule.ts).
 *
 * Each key whose `rotation` is due is rotated through `KeyService.rotate` — the authority rule and
 * the account's policy apply as to anyone — by the project's Automator key: the platform acting
 * in the project, named as such in the audit. Then its new value is delivered (RotationDelivery).
 *
 * A value that could not be delivered must not cost the integration its key: the rotation is
 * undone — the old key is given back (`Store.undoRotation`: it works on, with the failure recorded
 * on it and shown in GET /v1/keys/{id}) and the replacement nobody holds is revoked — and the
 * failure is audited (`key.rotate`, outcome `error`) and announced (`key.rotation_failed`, to the
 * bus and the webhooks; the bots tell the admins from the key's `lastFailure`). A day
 * later (RETRY_UNDELIVERED_MS) a run tries again: the job may run every few minutes.
 *
 * An owner delivery holds the value for the owner to collect (rotation-owner-delivery.ts): each run
 * first closes the held values whose collection window is over — one never collected is a
 * delivery that failed, undone as above (the old key, still inside its lengthened overlap, given
 * back); a collected one is just removed.
 *
 * Also each run: a replacement made with `revokeWhenIdle` ends the key it replaced once that key
 * has had no call for so long (its `lastUsedAt`, or the rotation when unused since), before its
 * overlap would.
 *
 * Cost: one walk of every project's keys (as the event sweep) and one query of its held values, one
 * write per rotation.
 */
export class KeyRotationSchedule {
  constructor(private readonly deps: KeyRotationScheduleDeps) {}

  async run(): Promise<RotationRunReport> {
    const report: RotationRunReport = { rotated: 0, undelivered: 0, refused: 0, revokedIdle: 0 };
    for (const project of await this.deps.store.listProjects()) {
      await this.runProject(project, report).catch((err: unknown) =>
        this.deps.log.warn('key rotation schedule: project skipped', { projectId: project.id, error: errorText(err) }),
      );
    }
    return report;
  }

  private async runProject(project: Project, report: RotationRunReport): Promise<void> {
    let actor: Principal | undefined;
    const automator = async () => (actor ??= await this.automator(project));
    for (const held of (await this.deps.owner?.lapsed(project.id, this.deps.clock.now())) ?? []) await this.closeHeld(await automator(), held, report);
    let cursor: string | undefined;
    do {
      const page = await this.deps.store.listKeys(project.id, { limit: PAGE, ...(cursor ? { cursor } : {}) });
      for (const key of page.items) {
        const now = this.deps.clock.now();
        if (rotationDue(key, now) && !failedRecently(key, now)) await this.rotate(await automator(), key, report);
        else if (key.revokeOldWhenIdleMs !== undefined && key.rotatedFrom) await this.retireIdle(await automator(), key, now, report);
      }
      cursor = page.nextCursor;
    } while (cursor);
  }

  /** The project's Automator key as the actor: every power, bounded by the account's policy like any key. */
  private async automator(project: Project): Promise<Principal> {
    const key = project.automatorKeyId ? await this.deps.store.getKey(project.automatorKeyId) : undefined;
    if (!key) throw new KeywardenError('not_found', `Project ${project.id} has no Automator key to rotate on schedule with.`);
    return { kind: 'key', key };
  }

  private async rotate(p: Principal, key: KeyRecord, report: RotationRunReport): Promise<void> {
    const setting = key.rotation!;
    const unfit = await this.deps.delivery.preflight(setting.deliverTo, key).catch((err: unknown) => errorText(err));
    if (unfit) {
      report.undelivered += 1;
      await this.notRotated(p, key, redactKeys(unfit));
      return;
    }
    let issued: Awaited<ReturnType<KeyService['rotate']>>;
    try {
      issued = await this.deps.keys.rotate(p, key.id, rotationOverlapMs(setting));
    } catch (err) {
      // A refusal is audited where it is decided (Authority, the policy gate); a conflict is retried next run.
      report.refused += 1;
      this.deps.log.warn('key rotation schedule: rotation refused', { keyId: key.id, error: errorText(err) });
      return;
    }
    const outcome: DeliveryOutcome = await this.deps.delivery
      .deliver(setting.deliverTo, issued)
      .catch((err: unknown) => ({ delivered: false as const, reason: errorText(err) }));
    if (outcome.delivered) {
      report.rotated += 1;
      this.deps.log.info('key rotation schedule: rotated', { keyId: key.id, replacement: issued.key.id, deliveredTo: outcome.where });
      return;
    }
    report.undelivered += 1;
    await this.undo(p, key, issued.key, redactKeys(outcome.reason));
  }

  /**
   * A held value whose collection window is over: never collected, the rotation is undone (the
   * old key still works: its overlap outlasts the window); collected, there is nothing to do. The
   * record goes either way, the sealed value with it.
   */
  private async closeHeld(p: Principal, held: RotationDeliveryRecord, report: RotationRunReport): Promise<void> {
    try {
      if (!held.claimedAt) {
        const [old, replacement] = await Promise.all([this.deps.store.getKey(held.replacedKeyId), this.deps.store.getKey(held.keyId)]);
        if (old && replacement && old.replacedBy === held.keyId) {
          report.undelivered += 1;
          await this.undo(p, old, replacement, `${held.owner} did not collect the new value by ${new Date(held.claimUntil).toISOString()}`);
        } else {
          this.deps.log.warn('key rotation schedule: uncollected value of a rotation changed since; nothing undone', { keyId: held.replacedKeyId, replacement: held.keyId });
        }
      }
      await this.deps.owner!.close(held);
    } catch (err) {
      // Kept: the next run tries again (the old key's overlap outlasts the window).
      this.deps.log.error('key rotation schedule: held value not closed', { keyId: held.keyId, error: errorText(err) });
    }
  }

  /** The old key given back, the undelivered replacement revoked, the failure audited. */
  private async undo(p: Principal, old: KeyRecord, replacement: KeyRecord, reason: string): Promise<void> {
    const at = new Date(this.deps.clock.now()).toISOString();
    const restored = await this.deps.store.undoRotation(old.id, replacement.id, { at, reason });
    await this.deps.keys.revoke(p, replacement.id).catch((err: unknown) =>
      this.deps.log.error('key rotation schedule: undelivered replacement not revoked', { keyId: replacement.id, error: errorText(err) }),
    );
    await this.deps.audit.record(p, 'key.rotate', 'error', {
      keyId: old.id,
      reason: `scheduled rotation undone: the new value could not be delivered (${reason})`,
      details: { replacement: replacement.id, oldKeyKept: restored !== undefined, scheduled: true },
    });
    await this.announce(rotationFailedEvent(p, old, { at, reason, stage: 'delivery', replacement: replacement.id, oldKeyKept: restored !== undefined }));
    this.deps.log.warn('key rotation schedule: delivery failed, rotation undone', { keyId: old.id, replacement: replacement.id, reason, oldKeyKept: restored !== undefined });
  }

  /** Not rotated because its value could not go where it should: recorded on the key and audited, retried a day later. */
  private async notRotated(p: Principal, key: KeyRecord, reason: string): Promise<void> {
    const at = new Date(this.deps.clock.now()).toISOString();
    const written = await this.deps.store.updateKey(key.id, { version: key.version ?? 1, set: { rotationFailure: { at, reason } }, remove: [] });
    await this.deps.audit.record(p, 'key.rotate', 'error', {
      keyId: key.id,
      reason: `scheduled rotation not done: the new value could not be delivered (${reason})`,
      details: { scheduled: true, recorded: typeof written === 'object' },
    });
    await this.announce(rotationFailedEvent(p, key, { at, reason, stage: 'preflight' }));
    this.deps.log.warn('key rotation schedule: destination refused, not rotated', { keyId: key.id, reason });
  }

  /** `key.rotation_failed` to the outbox; a failure to store it is logged (the key and the audit hold the failure still). */
  private async announce(event: ReturnType<typeof rotationFailedEvent>): Promise<void> {
    await this.deps.events.emitOnce(event).catch((err: unknown) =>
      this.deps.log.error('key rotation schedule: key.rotation_failed not stored', { keyId: event.data.key?.id, error: errorText(err) }),
    );
  }

  /** `revokeWhenIdle`: the replaced key ends once idle that long, while its overlap still runs. */
  private async retireIdle(p: Principal, replacement: KeyRecord, now: number, report: RotationRunReport): Promise<void> {
    const old = await this.deps.store.getKey(replacement.rotatedFrom!);
    if (!old || old.replacedBy !== replacement.id || old.graceUntil === undefined || keyStatus(old, now) !== 'active') return;
    const lastCall = Math.max(Date.parse(old.lastUsedAt ?? replacement.createdAt), Date.parse(replacement.createdAt));
    if (now - lastCall < replacement.revokeOldWhenIdleMs!) return;
    try {
      await this.deps.keys.revoke(p, old.id);
      report.revokedIdle += 1;
      this.deps.log.info('key rotation schedule: idle old key revoked', { keyId: old.id, replacement: replacement.id, idleSince: new Date(lastCall).toISOString() });
    } catch (err) {
      this.deps.log.warn('key rotation schedule: idle old key not revoked', { keyId: old.id, error: errorText(err) });
    }
  }
}

/** A rotation undone for want of delivery is tried again a day later, not on every run (each try is audited). */
export const RETRY_UNDELIVERED_MS = 86_400_000;

function failedRecently(key: KeyRecord, now: number): boolean {
  return key.rotationFailure !== undefined && now - Date.parse(key.rotationFailure.at) < RETRY_UNDELIVERED_MS;
}

function errorText(err: unknown): string {
  return redactKeys(err instanceof Error ? `${err.name}: ${err.message}` : 'unknown error');
}
