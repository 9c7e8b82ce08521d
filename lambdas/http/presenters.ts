import { budgetState } from '../core/budget';
import { nextRotationAt } from '../core/key-rotation';
import { keyStatus } from '../core/key-status';
import type { KeyRecord } from '../core/types';

/** The public view of a key: everything but the hash. */
export function presentKey(key: KeyRecord, now: number) {
  return {
    object: 'api_key' as const,
    id: key.id,
    projectId: key.projectId,
    name: key.name,
    type: key.type,
    protected: key.type === 'system',
    prefix: key.prefix,
    start: key.start,
    status: keyStatus(key, now),
    version: key.version ?? 1,
    metadata: key.metadata ?? {},
    scopes: key.scopes,
    roles: key.roles,
    context: key.context,
    rateLimit: key.rateLimit,
    models: key.models ?? null,
    budget: presentBudget(key, now),
    tokenLimit: key.tokenLimit ?? null,
    maxConcurrent: key.maxConcurrent ?? null,
    createdAt: key.createdAt,
    createdBy: key.createdBy,
    expiresAt: key.expiresAt === null ? null : new Date(key.expiresAt).toISOString(),
    lastUsedAt: key.lastUsedAt ?? null,
    revokedAt: key.revokedAt ?? null,
    rotatedFrom: key.rotatedFrom ?? null,
    replacedBy: key.replacedBy ?? null,
    graceUntil: key.graceUntil === undefined ? null : new Date(key.graceUntil).toISOString(),
    exposure: key.exposure ?? null,
    rotation: presentRotation(key),
    rotatedIn: key.rotatedIn ?? null,
  };
}

/** The schedule as set, when it runs next, and its last undelivered rotation. */
function presentRotation(key: KeyRecord) {
  if (!key.rotation) return null;
  const { every, overlap, deliverTo } = key.rotation;
  return { every, overlap, deliverTo, nextRotationAt: new Date(nextRotationAt(key)!).toISOString(), lastFailure: key.rotationFailure ?? null };
}

function presentBudget(key: KeyRecord, now: number) {
  const state = budgetState(key, now);
  if (!state) return null;
  const { limit, period, spent, remaining, resetsAt } = state;
  return { credits: limit, period, spent, remaining, resetsAt: resetsAt === null ? null : new Date(resetsAt).toISOString() };
}

export type PublicKey = ReturnType<typeof presentKey>;
