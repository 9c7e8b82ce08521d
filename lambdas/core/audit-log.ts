import { listingCursors } from './cursor';
import { newId } from './ids';
import { requireRead } from './policy';
import { principalActor, principalProject, type Principal } from './principal';
import type { Clock, SecretsProvider, Store } from './ports';
import type { AuditOutcome, AuditRecord, Page } from './types';

/**
 * The audit trail (seeds 001/003): every create, rotate, revoke and delete, denied attempts
 * included, with actor, the key it came in with, the bot that relayed it, the key acted on, time
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
      limit: Math.min(Math.max(query.limit ?? 50, 1), 200),
    });
    return { items: page.items, nextCursor: cursors.seal(page.nextCursor) };
  }

  async record(
    p: Principal,
    action: string,
    outcome: AuditOutcome,
    extra: { keyId?: string; reason?: string; details?: AuditRecord['details'] } = {},
  ): Promise<void> {
    await this.deps.store.putAudit({
      id: newId('aud'),
      at: new Date(this.deps.clock.now()).toISOString(),
      projectId: principalProject(p),
      action,
      outcome,
      actor: principalActor(p),
      ...(p.kind === 'key' ? { viaKeyId: p.key.id } : {}),
      ...(p.kind === 'key' && p.person ? { viaBot: p.person.bot } : {}),
      ...extra,
    });
  }
}
