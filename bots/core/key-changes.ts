import type { ApiKey, ApiResult } from './api-types';
import { formatRateLimit, type Command } from './command-grammar';
import { actionFailure, apiFailure } from './failure-replies';
import type { AdminAction, KeywardenClient } from './keywarden-client';
import { budgetSpentText, budgetText, keyLine, rateLimitText, statusWord } from './key-text';
import type { PendingAction } from './pending-action';
import { errorReply, text, type KeyChange, type Reply } from './replies';

/**
 * The changes in place a bot offers on a key (issue 21): `pause`, `resume`, `limit` and `budget`. Each is a
 * question first — the field as read, before → after — and a change only on the click, and then
 * only of the version that was shown (`If-Match`): a key changed in between is not overwritten,
 * the clicker is told to look again. Who may is the API's call, with the clicker's assertion.
 */
export type ChangeCommand = Extract<Command, { name: 'pause' | 'resume' | 'limit' | 'budget' }>;
export type ChangeOp = ChangeCommand['name'];

/** The audit action each change is checked (and recorded) as. */
export const CHANGE_ACTIONS: Readonly<Record<ChangeOp, AdminAction>> = { pause: 'key.disable', resume: 'key.enable', limit: 'key.update', budget: 'key.update' };

const VERB: Record<ChangeOp, string> = { pause: 'Pause', resume: 'Resume', limit: 'Change the rate limit of', budget: 'Change the budget of' };
const CANNOT: Record<ChangeOp, string> = { pause: 'paused', resume: 'resumed', limit: 'given a new limit', budget: 'given a new budget' };

/** What the person is asked about `key` as just read: a confirmation, or why there is nothing to confirm. */
export function changeQuestion(command: ChangeCommand, key: ApiKey, nowMs: number): Reply {
  const line = keyLine(key, nowMs);
  if (key.status === 'revoked' || key.status === 'expired') return errorReply('refused', `${line} is ${key.status}: it cannot be ${CANNOT[command.name]}.`);
  const action: PendingAction = { v: 1, op: command.name, keyId: key.id, version: key.version, origin: 'confirm', iat: Math.floor(nowMs / 1000) };
  switch (command.name) {
    case 'pause':
      if (key.protected) return errorReply('refused', `${line} is the Protected Automator key: it can be rotated, never paused.`);
      if (key.status === 'disabled') return text(`${line} is already paused. \`resume\` starts it again.`);
      return question(action, key, line, { label: 'Status', before: 'active', after: 'paused' }, 'Calls with the key are refused until it is resumed; it stays listed and keeps its settings.');
    case 'resume':
      if (key.status !== 'disabled') return text(`${line} is not paused.`);
      return question(action, key, line, { label: 'Status', before: 'paused', after: 'active' }, 'The key works again at once, with the settings it had.');
    case 'limit': {
      const { rateLimit } = command;
      if (rateLimit.limit === key.rateLimit.limit && rateLimit.windowSeconds === key.rateLimit.windowSeconds) {
        return text(`${line} already allows ${rateLimitText(rateLimit)}.`);
      }
      const change: KeyChange = { label: 'Rate limit', before: rateLimitText(key.rateLimit), after: rateLimitText(rateLimit) };
      return question({ ...action, rateLimit }, key, line, change, `The new limit (${formatRateLimit(rateLimit)}) applies from the key’s next request.`);
    }
    case 'budget': {
      const { budget } = command;
      const current = key.budget;
      if (budget === null ? current === null : current !== null && current.credits === budget.credits && current.period === budget.period) {
        return text(current ? `${line} already has a budget of ${budgetText(current)}.` : `${line} has no budget.`);
      }
      const change: KeyChange = { label: 'Budget', before: budgetText(current), after: budgetText(budget) };
      const standing = current ? ` Now: ${budgetSpentText(current, nowMs)}.` : '';
      const consequence = budget
        ? `From the key’s next call it may spend at most ${budgetText(budget)} (UTC ${budget.period === 'total' ? 'in all' : 'calendar periods'}); the account balance still applies.${standing}`
        : `The key is no longer capped by a budget of its own; the account balance still applies.${standing}`;
      return question({ ...action, budget }, key, line, change, consequence);
    }
  }
}

function question(action: PendingAction, key: ApiKey, line: string, change: KeyChange, consequence: string): Reply {
  const op = action.op as ChangeOp;
  return {
    kind: 'confirm',
    key,
    action,
    change,
    consequence,
    summary: `${VERB[op]} ${line}? ${change.label}: ${change.before} → ${change.after}. ${consequence}`,
  };
}

/**
 * The click: the change, as `clicker`, only of the version asked about (`If-Match`). The API
 * checks the version of an edit in its conditional write; for pause and resume the key is read
 * first as well, so a key that moved on since the question is not paused or resumed on the
 * strength of what the person saw before. A 409 whose key has moved on is a stale confirmation
 * too; any other refusal is said as the API gave it.
 */
export async function applyChange(client: KeywardenClient, action: PendingAction, clicker: string): Promise<Reply> {
  const op = action.op as ChangeOp;
  if (op === 'pause' || op === 'resume') {
    const current = await client.getKey(action.keyId);
    if (!current.ok) return apiFailure(current.error);
    if (current.value.version !== action.version) return stale(current.value);
  }
  const result: ApiResult<ApiKey> =
    op === 'pause'
      ? await client.disableKey(clicker, action.keyId, action.version)
      : op === 'resume'
        ? await client.enableKey(clicker, action.keyId, action.version)
        : await client.updateKey(clicker, action.keyId, op === 'limit' ? { rateLimit: action.rateLimit! } : { budget: action.budget ?? null }, action.version);
  if (result.ok) return { kind: 'done', action: op, key: result.value, by: clicker };
  if (result.error.status === 409) {
    const current = await client.getKey(action.keyId);
    if (current.ok && current.value.version !== action.version) return stale(current.value);
  }
  return actionFailure(result.error);
}

function stale(key: ApiKey): Reply {
  return errorReply(
    'stale_confirmation',
    `“${key.name}” changed since this confirmation was shown (it is ${statusWord(key.status)}, ${rateLimitText(key.rateLimit)}, budget ${budgetText(key.budget)} now), so nothing was done. Run the command again to see it as it stands.`,
  );
}
