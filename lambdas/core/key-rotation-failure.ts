import type { LifecycleEvent } from './events';
import { eventActor, eventIdFor, eventKey } from './event-outbox';
import type { Principal } from './principal';
import type { KeyRecord, KeyRotationSetting } from './types';

/**
 * `key.rotation_failed` (issue 25 point 2; docs/events.md): a scheduled rotation whose new value
 * could not be delivered — refused before anything was rotated (`stage: preflight`), or undone
 * after (`stage: delivery`: the replacement revoked, the old key given back). The old key works
 * on either way. Its id derives from the key and the failure's time, so however often the job
 * records it the webhooks and the bus get it once.
 *
 * The details name the destination by kind and a non-secret description (the secret's ARN, the
 * owner's chat identity) and the reason as recorded on the key (already passed through
 * redactKeys): never a key value.
 */
export function rotationFailedEvent(
  p: Principal,
  key: KeyRecord,
  failure: { at: string; reason: string; stage: 'preflight' | 'delivery'; replacement?: string; oldKeyKept?: boolean },
): LifecycleEvent {
  const to = key.rotation?.deliverTo;
  return {
    id: eventIdFor('key.rotation_failed', key.id, failure.at),
    type: 'key.rotation_failed',
    timestamp: failure.at,
    data: {
      account: key.accountId,
      project: key.projectId,
      key: eventKey(key),
      actor: eventActor(p),
      details: {
        targetKind: targetKind(to),
        target: targetDescription(to),
        reason: failure.reason,
        stage: failure.stage,
        ...(failure.replacement ? { replacement: failure.replacement } : {}),
        ...(failure.oldKeyKept !== undefined ? { oldKeyKept: failure.oldKeyKept } : {}),
      },
    },
  };
}

/** `secrets_manager` or `owner`. */
export function targetKind(to: KeyRotationSetting['deliverTo'] | undefined): string {
  if (!to) return 'unknown';
  return 'secretsManagerArn' in to ? 'secrets_manager' : 'owner';
}

/** The destination as people read it: an ARN or a chat identity (names, never a value). */
export function targetDescription(to: KeyRotationSetting['deliverTo'] | undefined): string {
  if (!to) return 'unknown';
  return 'secretsManagerArn' in to ? to.secretsManagerArn : to.owner;
}
