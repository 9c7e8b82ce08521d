import type { CallInput, CallOutput } from '../../lambdas/http/client';
import { apiFailure } from './failure-replies';
import type { KeywardenClient } from './keywarden-client';
import type { RequestOptions } from './request-command';
import type { Reply } from './replies';

/** A key request as the API answers it (`POST /v1/key-requests`). */
export type ApiKeyRequest = CallOutput<'createKeyRequest'>;
export type KeyRequestBody = CallInput<'createKeyRequest'>['body'];

/**
 * `request <name> … --reason "…"` (SPEC §5): anyone in a conversation with the bot asks the
 * project's admins for a key. The call carries the person's assertion, so the requester the API
 * records is the person, not the bot's key — and only that person, through the bot, can collect
 * the key once an admin approves it. Nothing here is an admin action: no admin check is asked.
 */
export async function askForKey(client: KeywardenClient, options: RequestOptions, asker: string): Promise<Reply> {
  const body: KeyRequestBody = {
    name: options.name,
    reason: options.reason,
    ...(options.type ? { type: options.type } : {}),
    // Words as the person typed them: the API checks them against the vocabulary and answers 400.
    ...(options.scopes ? { scopes: options.scopes as NonNullable<KeyRequestBody['scopes']> } : {}),
    ...(options.models ? { models: options.models } : {}),
    ...(options.budget ? { budget: options.budget } : {}),
    ...(options.expires ? { expiresIn: options.expires } : {}),
  };
  const result = await client.requestKey(asker, body);
  if (!result.ok) return apiFailure(result.error);
  return { kind: 'text', text: requestedText(result.value) };
}

/** What the asker is told: exactly the key asked for, and what happens next. */
export function requestedText(r: ApiKeyRequest): string {
  const k = r.key;
  const parts = [
    k.type,
    `scopes ${k.scopes.join(', ')}`,
    ...(k.models ? [`models ${k.models.join(', ')}`] : []),
    ...(k.budget ? [`budget ${k.budget.credits}/${k.budget.period}`] : []),
    ...(k.expiresInSeconds !== null ? [`expires ${Math.round(k.expiresInSeconds / 86_400) || '<1'}d after approval`] : []),
  ];
  return (
    // Says only what happens today: the approval card and the private delivery in chat are not built yet.
    `Asked the project’s admins for a key “${k.name}” (${parts.join('; ')}). Request ${r.id}: ` +
    `an admin approves or denies it; undecided, it expires on ${r.expiresAt.slice(0, 10)}. The key, once approved, goes only to you.`
  );
}
