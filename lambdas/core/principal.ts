import type { ActorId, KeyRecord } from './types';

/**
 * Who is asking. A key principal may carry a verified person (a chat admin acting through a bot);
 * an operator principal is the CLI working with the store directly (AWS credentials or local data).
 */
export type Principal =
  | { kind: 'key'; key: KeyRecord; person?: { identity: string; bot: string } }
  | { kind: 'operator'; actor: ActorId; projectId: string };

export function principalProject(p: Principal): string {
  return p.kind === 'key' ? p.key.projectId : p.projectId;
}

/** The actor named in audit records: the person first, then the key, then the operator. */
export function principalActor(p: Principal): ActorId {
  if (p.kind === 'operator') return p.actor;
  return p.person ? p.person.identity : `key:${p.key.id}`;
}
