import type { CallOutput } from '../../lambdas/http/client';
import type { ApiResult } from './api-types';
import { apiFailure } from './failure-replies';
import type { Reply } from './replies';
import type { CeilingBody, CeilingCommand } from './request-ceiling-command';
import { isDirectMessages } from './request-channel';

/**
 * Runs `request-ceiling set|show|clear` (parsed by request-ceiling-command.ts) for a person in the
 * channel the edge read from the verified platform payload. Every call carries the person's
 * assertion: whether they may set or read a channel's ceiling is the API's answer (a key manager),
 * and a refusal is audited there.
 */

/** What the command needs of the client: each call as the person (their signed assertion). */
export interface CeilingCalls {
  setRequestCeiling(actor: string, channel: string, ceiling: CeilingBody): Promise<ApiResult<CallOutput<'setKeyRequestCeiling'>>>;
  getRequestCeiling(actor: string, channel: string): Promise<ApiResult<CallOutput<'getKeyRequestCeiling'>>>;
  clearRequestCeiling(actor: string, channel: string): Promise<ApiResult<CallOutput<'clearKeyRequestCeiling'>>>;
}

/** Runs the command for `asker` in `channel` (a channel, or the workspace's direct messages; undefined: neither could be read). */
export async function runRequestCeiling(client: CeilingCalls, command: CeilingCommand, asker: string, channel: string | undefined): Promise<Reply> {
  if (!channel) return { kind: 'text', text: 'A request ceiling belongs to a channel: say this in the channel whose requests it should bound.' };
  const dm = isDirectMessages(channel);
  const from = dm ? 'Requests from direct messages with me (anyone’s, in this workspace)' : 'Requests from this channel';
  switch (command.action) {
    case 'set': {
      const set = await client.setRequestCeiling(asker, channel, command.ceiling);
      return set.ok ? { kind: 'text', text: `${from} may now ask for at most: ${ceilingText(set.value.ceiling)}.` } : apiFailure(set.error);
    }
    case 'show': {
      const got = await client.getRequestCeiling(asker, channel);
      if (!got.ok) return got.error.status === 404 ? { kind: 'text', text: `${dm ? 'Direct messages with me have' : 'This channel has'} no request ceiling: requests from ${dm ? 'them' : 'it'} are bounded by the approving admin alone.` } : apiFailure(got.error);
      return { kind: 'text', text: `${from} may ask for at most: ${ceilingText(got.value.ceiling)} (set by ${got.value.setBy}, ${got.value.setAt.slice(0, 10)}).` };
    }
    case 'clear': {
      const cleared = await client.clearRequestCeiling(asker, channel);
      if (!cleared.ok) return cleared.error.status === 404 ? { kind: 'text', text: `${dm ? 'Direct messages with me had' : 'This channel had'} no request ceiling.` } : apiFailure(cleared.error);
      return { kind: 'text', text: `${dm ? 'The direct messages’' : 'This channel’s'} request ceiling is lifted.` };
    }
  }
}

/** A ceiling in one line, every axis it bounds. */
export function ceilingText(c: CallOutput<'getKeyRequestCeiling'>['ceiling']): string {
  const parts = [
    c.type ? `${c.type} keys` : undefined,
    c.scopes ? `scopes ${c.scopes.join(', ') || 'none'}` : undefined,
    c.budget ? `a budget of ${c.budget.credits}/${c.budget.period}` : undefined,
    c.maxLifetimeSeconds !== null ? `a lifetime of ${Math.max(1, Math.round(c.maxLifetimeSeconds / 86_400))}d` : undefined,
  ].filter(Boolean);
  return parts.join('; ') || 'anything';
}
