import type { ActorId, KeyRecord } from './types';

/**
 * Who is asking. A key principal may carry a verified person (a chat admin acting through a bot);
 * an operator principal is the CLI working with the store directly (AWS credentials or local data).
 */
export type Principal =
  | { kind: 'key'; key: KeyRecord; person?: Person; via?: FrontEnd }
  | { kind: 'operator'; actor: ActorId; projectId: string };

/** A front end a key acts through without a person (the console, signed in with a key): named in the audit. */
export type FrontEnd = 'console';

export function principalProject(p: Principal): string {
  return p.kind === 'key' ? p.key.projectId : p.projectId;
}

/** The actor named in audit records: the person first, then the key, then the operator. */
export function principalActor(p: Principal): ActorId {
  if (p.kind === 'operator') return p.actor;
  return p.person ? p.person.identity : `key:${p.key.id}`;
}

/**
 * A person acting through a bot (or another front end, `bot` naming it). When a bot vouched for
 * them with a signed assertion, `assertion` is what spends it: the first audit record of a
 * key-changing action is keyed by it, so the assertion acts once (audit-log.ts).
 */
export interface Person {
  identity: string;
  bot: string;
  assertion?: { jti: string; iat: number };
}
