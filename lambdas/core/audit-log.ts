import { createHash } from 'node:crypto';
import { bytesToBase62 } from './base62';
import { listingCursors, pageSize } from './cursor';
import { KeywardenError } from './errors';
import { newId } from './ids';
import { requireRead } from './policy';
import { principalActor, principalProject, type Principal } from './principal';
import type { Clock, SecretsProvider, Store } from './ports';
import type { AuditOutcome, AuditRecord, Page } from './types';

/**
 * The audit trail (seeds 001/003): every create, edit, disable, enable, rotate, revoke and delete
 * (`AUDIT_ACTIONS`), denied attempts included, an edit's changed fields before → after, with actor, the key it came in with, the bot that relayed it, the key acted on, time
 * and outcome; read back by project, key or actor with sealed cursors.
 */
export class AuditLog {
  constructor(private readonly deps: { store: Store; secrets: SecretsProvider; clock: Clock }) {}

  async query(
    p: Principal,
    query: { keyId?: string; actor?: string; since?: string; cursor?: string; limit?: number },
  ): Promise<Page<AuditRecord>> {
    requireRead(p, 'audit:read');
    const projectId = principalProject(p);
    const cursors = await listingCursors(this.deps.secrets, ['audit', projectId, query.keyId ?? '', query.actor ?? '', query.since ?? '']);
    const page = await this.deps.store.queryAudit({
      projectId,
      keyId: query.keyId,
      actor: query.actor,
      since: query.since,
      cursor: cursors.open(query.cursor),
      limit: pageSize(query.limit),
    });
    return { items: page.items, nextCursor: cursors.seal(page.nextCursor) };
  }

  /**
   * Appends a record. `once`: this is the first record of a key-changing action, and a person's
   * assertion is spent by it — its id and time derive from the signed claims (jti, iat), so it is
   * a conditional create that a replayed assertion finds taken. The replay is then a denied
   * attempt of its own and refused: single use, without a nonce write of its own.
   */
  async record(
    p: Principal,
    action: string,
    outcome: AuditOutcome,
    extra: { keyId?: string; reason?: string; details?: AuditRecord['details'] } = {},
    options: { once?: boolean } = {},
  ): Promise<void> {
    const now = new Date(this.deps.clock.now()).toISOString();
    const assertion = options.once && p.kind === 'key' ? p.person?.assertion : undefined;
    const record: AuditRecord = {
      id: assertion ? assertionRecordId(assertion.jti) : newId('aud'),
      at: assertion ? new Date(assertion.iat * 1000).toISOString() : now,
      projectId: principalProject(p),
      action,
      outcome,
      actor: principalActor(p),
      ...(p.kind === 'key' ? { viaKeyId: p.key.id } : {}),
      ...(p.kind === 'key' && p.person ? { viaBot: p.person.bot } : {}),
      ...(p.kind === 'key' && !p.person && p.via ? { viaBot: p.via } : {}),
      ...extra,
    };
    if (await this.deps.store.putAudit(record, { unique: assertion !== undefined })) return;
    const { details: _details, ...attempt } = record;
    await this.deps.store.putAudit({ ...attempt, id: newId('aud'), at: now, outcome: 'denied', reason: 'actor assertion replayed' });
    throw new KeywardenError('insufficient_permissions', 'The actor assertion was already used.', { param: 'X-Keywarden-Actor' });
  }
}

/** The audit id a person's assertion spends: 88 bits of SHA-256(jti), in the `aud_` + 16 base62 shape. */
function assertionRecordId(jti: string): string {
  return `aud_${bytesToBase62(createHash('sha256').update(jti).digest().subarray(0, 11), 16)}`;
}
