// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import { MODEL_ID_PATTERN } from '../core/models';
import { parseDuration } from '../core/duration';
import { findKeysInText } from '../core/key-scan';
import { KEY_ID_PATTERN } from '../core/key-service';
import { ExposedKeyError } from './errors';

/**
 * What every surface's schemas are built from (lambdas/http/routes/*.contract.ts): the slots that
 * refuse a raw key, identifiers, durations, times, and the one error body.
 */

/**
 * Every value we keep or look up by passes here first: a raw key inside it is never stored or
 * looked up — it is thrown as exposed (the router revokes it and answers 400).
 */
function refuseKeys(param: string) {
  return (value: string) => {
    const [found] = findKeysInText(value);
    if (found !== undefined) throw new ExposedKeyError(param, found);
  };
}

/** A string that is looked up or stored: bounded, and never a raw key. */
export const safeText = (param: string, max: number) =>
  z
    .string()
    .max(max)
    .check((ctx) => refuseKeys(param)(ctx.value));

/** An id slot (path, query or body): a well-formed id or a 400, checked before any lookup. */
export const idSlot = (param: string, pattern: RegExp, what: string) =>
  safeText(param, 200).regex(pattern, `${param} must be ${what}`);

export const KeyIdSlot = (param: string) => idSlot(param, KEY_ID_PATTERN, 'a key id (key_ and 22 letters or digits)');
export const ModelIdSlot = (param: string) => idSlot(param, MODEL_ID_PATTERN, 'a model id');
/** Actors in audit records: `key:<id>`, `slack:<team>:<user>`, `teams:<tenant>:<aad>`, `cli:<user>`, `system`. */
export const ActorSlot = idSlot('actor', /^[A-Za-z0-9][A-Za-z0-9:_.@-]{0,199}$/, 'an actor such as key:key_…, slack:T…:U… or teams:…');

/**
 * Names of context entries and filter attributes: identifiers only. Names such as `constructor`
 * or `__proto__` would shadow Object.prototype in every layer that reads them (policy, marshalling).
 */
export const AttributeName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,99}$/, 'names must start with a letter and use only letters, digits, _ . -')
  .refine((name) => !(name in Object.prototype), 'that name is reserved');
export const duration = (what: string) =>
  z.string().refine((v) => parseDuration(v) !== undefined && parseDuration(v)! > 0, {
    message: `${what} must look like 90d, 12h, 30m or 45s`,
  });

export const isoTime = z.string().describe('ISO 8601 date-time');
export const nullableTime = isoTime.nullable();

/** Every error answer, whatever the route (errors.ts `toErrorResponse`). */
export const ErrorBody = z
  .strictObject({
    error: z.strictObject({
      message: z.string(),
      type: z.string(),
      code: z.string(),
      param: z.string().nullable(),
    }),
  })
;
