import type { Reply } from '../../core';
import { SLASH_COMMAND } from '../blocks/action-ids';
import type { PublicReply } from '../blocks/reply-message';

/** A chat's answer (never a key or a form: those only answer commands). */
export function isPublic(reply: Reply): reply is PublicReply {
  return reply.kind !== 'key_delivered' && reply.kind !== 'create_form';
}

/** Without a trigger_id there is no modal: point at the slash command instead. */
export function formless(reply: Reply): Exclude<Reply, { kind: 'create_form' }> {
  return reply.kind === 'create_form'
    ? { kind: 'text', text: `Use ${SLASH_COMMAND} create to open the form, or give the details: create <name> --type viewer|privileged --scopes a,b --expires 90d` }
    : reply;
}
