import { KeywardenError } from '../core/errors';
import { checkPermission } from '../core/policy';
import type { OwnershipRecord, Upstream } from '../core/ports';
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
 * 403 — and then 404, nothing reserved, the upstream never called. Returns the owner records, in
 * the order named: where the objects live (`pinnedDeployment`).
 */
export async function requireOwned(ctx: RequestContext, named: OwnedRef[]): Promise<OwnershipRecord[]> {
  const { auth, store } = ctx.services;
  const [key, owners] = await Promise.all([auth.inspect(ctx.bearer()), Promise.all(named.map((ref) => store.getOwnership(ref.kind, ref.id)))]);
  const foreign = named.findIndex((_, i) => !owns(key, owners[i]));
  if (foreign < 0) return owners as OwnershipRecord[];
  requireResponsesScope(await ctx.key());
  const ref = named[foreign]!;
  throw notFound(ref, paramOf(ref));
}

/**
 * The deployment a model call continuing stored objects must go to, and only to (docs/gateway.md
 * §3.5): the one whose owner record names it, when the model lists it — another deployment never
 * stored them, and a failure there is answered as the call's rather than the call carried on
 * elsewhere without its context. Undefined (routed as any call) when no record names a
 * deployment: the object is the default upstream's, or recorded before deployments were (then
 * where it lives is not known, and the call is routed as it always was). A model the named
 * deployment does not serve, or objects at two deployments, cannot be continued: 400, after the
 * key is admitted and counted as for any refusal.
 */
export async function pinnedDeployment(ctx: RequestContext, modelId: string, named: OwnedRef[], owners: OwnershipRecord[]): Promise<string | undefined> {
  const at = owners.map((owner, i) => ({ ref: named[i]!, deployment: owner.deployment })).filter((o): o is { ref: OwnedRef; deployment: string } => o.deployment !== undefined);
  if (at.length === 0) return undefined;
  const model = ctx.services.catalog.find(modelId);
  // An unknown model is the model call's own refusal (404 model_not_found).
  if (!model) return undefined;
  const [first] = at;
  const apart = at.find((o) => o.deployment !== first!.deployment);
  const unserved = model.deployments?.some((d) => d.name === first!.deployment) ? undefined : first;
  if (!apart && !unserved) return first!.deployment;
  requireResponsesScope(await ctx.key());
  const ref = (apart ?? unserved)!.ref;
  const what = ref.kind === 'response' ? `Response '${ref.id}'` : `Conversation '${ref.id}'`;
  throw new KeywardenError(
    'invalid_request_error',
    apart
      ? 'The stored response and conversation named are kept at different upstream deployments; they cannot be continued together.'
      : `${what} is kept at an upstream deployment that does not serve the model ${model.id}; continue it with a model served there.`,
    { param: paramOf(ref) },
  );
}

/**
 * Where a stored response or conversation lives, for the calls on it: the deployment its owner
 * record names (`services.deployments`, built on first use on this instance), else the default
 * upstream (`services.upstream`) — the records written before deployments were named, and those
 * of models without deployments. A record naming a deployment no longer configured is 404: what
 * it stored cannot be reached, and no other upstream is asked for it.
 */
export function storedAt(ctx: RequestContext<unknown, unknown, unknown>, ref: OwnedRef, owner: OwnershipRecord): Upstream {
  const { catalog, deployments, upstream, logger } = ctx.services;
  if (owner.deployment === undefined) return upstream;
  const deployment = catalog.models.flatMap((m) => m.deployments ?? []).find((d) => d.name === owner.deployment);
  if (deployment) return deployments.at(deployment);
  logger.warn('stored object at a deployment no longer configured', { kind: ref.kind, deployment: owner.deployment });
  const what = ref.kind === 'response' ? 'Response' : 'Conversation';
  throw new KeywardenError('not_found', `${what} with id '${ref.id}' is kept at an upstream deployment this gateway no longer serves.`);
}

function paramOf(ref: OwnedRef): string {
  return ref.kind === 'response' ? 'previous_response_id' : 'conversation';
}

/**
 * A stored response's or conversation's routes: the key admitted (and counted) with
 * `responses:write`, the object its project's, else 404 — the same test as `requireOwned`'s.
 */
export async function ownedBy(ctx: RequestContext, ref: OwnedRef): Promise<{ key: KeyRecord; owner: OwnershipRecord }> {
  const key = await storedObjectsKey(ctx);
  const owner = await ctx.services.store.getOwnership(ref.kind, ref.id);
  if (!owner || !owns(key, owner)) throw notFound(ref);
  return { key, owner };
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
 * (store/responses.ts batches the writes), with the deployment that answered (where it lives; absent
 * for the default upstream). A failed write is logged, never thrown: the answer is out, and an
 * unrecorded id only means its owner gets 404 for it (the safe side).
 */
export function recordOwners(ctx: RequestContext, key: KeyRecord, model: string | undefined, refs: OwnedRef[], deployment?: string): Promise<void> | undefined {
  if (refs.length === 0) return undefined;
  const { store, clock, logger } = ctx.services;
  const createdAt = new Date(clock.now()).toISOString();
  return Promise.all(
    refs.map((ref) =>
      store
        .recordOwnership({ ...ref, projectId: key.projectId, accountId: key.accountId, keyId: key.id, createdAt, ...(model ? { model } : {}), ...(deployment ? { deployment } : {}), requestId: ctx.req.requestId })
        .catch((err: unknown) => logger.error('owner record not written', { kind: ref.kind, error: describeError(err) })),
    ),
  ).then(() => undefined);
}
