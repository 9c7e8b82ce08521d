import { KeywardenError } from '../core/errors';
import { checkPermission } from '../core/policy';
import type { OwnershipRecord } from '../core/ports';
import type { KeyRecord } from '../core/types';
import { describeError } from './log-safe';
import type { OwnedRef } from './openai-apis';
import type { RequestContext } from './request-context';

/**
 * Stored responses and conversations belong to the project whose call created them (issue 24):
 * the upstream keeps them under the platform's one key, so without this any project holding a
 * leaked id could read, continue, cancel or delete another's. Every id the gateway relays is
 * recorded against the caller's project after the answer (`recordOwners`), and every request that
 * names one is refused unless the caller's project owns it, before any charge or upstream call
 * (`requireOwned`, `ownedBy`).
 */

/** What OpenAI itself says of an id it does not know, so a foreign id reads as an unknown one. */
export function notFound(ref: OwnedRef, param?: string): KeywardenError {
  const what = ref.kind === 'response' ? (param === 'previous_response_id' ? 'Previous response' : 'Response') : 'Conversation';
  return new KeywardenError('not_found', `${what} with id '${ref.id}' not found.`, param ? { param } : {});
}

/**
 * Before a model call that continues stored objects (`previous_response_id`, `conversation`): the
 * key is looked up without counting (its admission, and count, are the model call's) beside the
 * owner records, one round trip, and only for requests that name such an id. When one is not the
 * key's project's, the call is refused as any refused request is — the key admitted and counted,
 * so a bad key is still its 401, a rate-limited one its 429, a key without `responses:write` its
 * 403 — and then 404, nothing reserved, the upstream never called.
 */
export async function requireOwned(ctx: RequestContext, named: OwnedRef[]): Promise<void> {
  const { auth, store } = ctx.services;
  const [key, owners] = await Promise.all([auth.inspect(ctx.bearer()), Promise.all(named.map((ref) => store.getOwnership(ref.kind, ref.id)))]);
  const foreign = named.findIndex((_, i) => !owns(key, owners[i]));
  if (foreign < 0) return;
  requireResponsesScope(await ctx.key());
  const ref = named[foreign]!;
  throw notFound(ref, ref.kind === 'response' ? 'previous_response_id' : 'conversation');
}

/**
 * A stored response's or conversation's routes: the key admitted (and counted) with
 * `responses:write`, the object its project's, else 404 — the same test as `requireOwned`'s.
 */
export async function ownedBy(ctx: RequestContext, ref: OwnedRef): Promise<KeyRecord> {
  const key = await storedObjectsKey(ctx);
  if (!owns(key, await ctx.services.store.getOwnership(ref.kind, ref.id))) throw notFound(ref);
  return key;
}

/** The one ownership test: an owner record exists and names the key's project. */
function owns(key: KeyRecord | undefined, owner: OwnershipRecord | undefined): boolean {
  return key !== undefined && owner !== undefined && owner.projectId === key.projectId;
}

/** A route that creates a stored object (a conversation): the key admitted (and counted) with `responses:write`. */
export async function storedObjectsKey(ctx: RequestContext): Promise<KeyRecord> {
  return requireResponsesScope(await ctx.key());
}

/**
 * Stored responses and conversations are the chat runtime's: the scope of the model calls that
 * create and continue them (SPEC §3: a key that may not call the model may not read or steer
 * what its calls left either).
 */
function requireResponsesScope(key: KeyRecord): KeyRecord {
  if (!checkPermission(key, 'responses:write').allowed) throw new KeywardenError('insufficient_permissions', 'This key lacks the responses:write permission.');
  return key;
}

/**
 * After the answer: what the upstream stored for this call is recorded as the key's project's
 * (store/responses.ts batches the writes). A failed write is logged, never thrown: the answer is
 * out, and an unrecorded id only means its owner gets 404 for it (the safe side).
 */
export function recordOwners(ctx: RequestContext, key: KeyRecord, model: string | undefined, refs: OwnedRef[]): Promise<void> | undefined {
  if (refs.length === 0) return undefined;
  const { store, clock, logger } = ctx.services;
  const createdAt = new Date(clock.now()).toISOString();
  return Promise.all(
    refs.map((ref) =>
      store
        .recordOwnership({ ...ref, projectId: key.projectId, accountId: key.accountId, keyId: key.id, createdAt, ...(model ? { model } : {}), requestId: ctx.req.requestId })
        .catch((err: unknown) => logger.error('owner record not written', { kind: ref.kind, error: describeError(err) })),
    ),
  ).then(() => undefined);
}
