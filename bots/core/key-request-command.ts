import type { CallInput } from '../../lambdas/http/client';
import { apiFailure } from './failure-replies';
import type { KeywardenClient } from './keywarden-client';
import { announceRequest, requestedKeyText, type PersonNotifier } from './key-request-approvals';
import type { RequestOptions } from './request-command';
import type { Reply } from './replies';

import type { ApiKeyRequest } from './api-types';

export type { ApiKeyRequest };
export type KeyRequestBody = CallInput<'createKeyRequest'>['body'];

/**
 * `request <name> … --reason "…"` (SPEC §5): anyone in a conversation with the bot asks the
 * project's admins for a key. The call carries the person's assertion, so the requester the API
 * records is the person, not the bot's key — and only that person, through the bot, can collect
 * the key once an admin approves it. Nothing here is an admin action: no admin check is asked.
 * The project's admins on this platform get the approval card privately (key-request-approvals.ts).
 *
 * `channel` is where it was asked, as the edge read it from the verified platform payload
 * (request-channel.ts; undefined in a direct message): the API holds the request to that
 * channel's ceiling, now and again at approval, and refuses it with the reason when it goes beyond.
 */
export async function askForKey(client: KeywardenClient, options: RequestOptions, asker: string, notifier?: PersonNotifier, channel?: string): Promise<Reply> {
  const body: KeyRequestBody = {
    name: options.name,
    reason: options.reason,
    ...(options.type ? { type: options.type } : {}),
    // Words as the person typed them: the API checks them against the vocabulary and answers 400.
    ...(options.scopes ? { scopes: options.scopes as NonNullable<KeyRequestBody['scopes']> } : {}),
    ...(options.models ? { models: options.models } : {}),
    ...(options.budget ? { budget: options.budget } : {}),
    ...(options.expires ? { expiresIn: options.expires } : {}),
    ...(channel ? { channel } : {}),
  };
  const result = await client.requestKey(asker, body);
  if (!result.ok) return apiFailure(result.error);
  const reached = notifier ? await announceRequest(client, notifier, result.value) : 0;
  return { kind: 'text', text: requestedText(result.value, reached) };
}

/** What the asker is told: exactly the key asked for, who was asked (`reached` admins here), and what happens next. */
export function requestedText(r: ApiKeyRequest, reached = 0): string {
  const asked = reached > 0 ? `Sent ${reached === 1 ? 'an admin' : `${reached} admins`} of the project` : 'Asked the project’s admins';
  return (
    `${asked} your request for a key “${r.key.name}” (${requestedKeyText(r)}). Request ${r.id}: ` +
    `an admin approves or denies it; undecided, it expires on ${r.expiresAt.slice(0, 10)}. ` +
    'Once approved, I message you privately with a button to collect the key: it goes only to you.'
  );
}
