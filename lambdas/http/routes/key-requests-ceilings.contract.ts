// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import { CHANNEL_MAX_LENGTH, CHANNEL_PATTERN } from '../../core/key-request-channel';
import { SCOPES } from '../../core/scopes';
import { contract } from '../route-contract';
import { duration, isoTime } from '../schemas';
import { BudgetBody } from './keys.contract';

/**
 * Per-channel ceilings on key requests (routes/key-requests-ceilings.ts, core/key-request-ceilings.ts):
 * what requests from one chat channel may ask for at most. Set, read and cleared by a key manager.
 */

export const ChannelSlot = z
  .string()
  .max(CHANNEL_MAX_LENGTH)
  .regex(CHANNEL_PATTERN, 'channel must be slack:<team>:<channel> or teams:<tenant>:<conversation id>')
  .describe('A chat channel: slack:<team>:<channel> or teams:<tenant>:<conversation id>');

export const CeilingBody = z
  .strictObject({
    type: z.enum(['viewer', 'privileged']).optional().describe('The widest key type requests may ask for'),
    scopes: z.array(z.enum(SCOPES)).max(SCOPES.length).optional().describe('The scopes requests may ask for, at most'),
    budget: BudgetBody.optional().describe('The widest budget: a request asking for none or more is refused'),
    expiresIn: duration('ceiling.expiresIn').optional().describe('The longest lifetime: a request asking for none (the default year) or longer is refused'),
  })
  .describe('Every axis left out is unbounded');

export const SetCeilingBody = z.strictObject({ channel: ChannelSlot, ceiling: CeilingBody });
export const ChannelQuery = z.object({ channel: ChannelSlot });

export const CeilingSchema = z.strictObject({
  object: z.literal('key_request_ceiling'),
  channel: z.string(),
  ceiling: z.strictObject({
    type: z.enum(['viewer', 'privileged']).nullable(),
    scopes: z.array(z.string()).nullable(),
    budget: BudgetBody.nullable(),
    maxLifetimeSeconds: z.number().int().nullable(),
  }),
  version: z.number().int(),
  setBy: z.string(),
  setAt: isoTime,
});

const tags = ['Key requests'];

export const KEY_REQUEST_CEILING_CONTRACT = {
  setKeyRequestCeiling: contract({
    method: 'POST',
    path: '/v1/key-requests/ceilings',
    operationId: 'setKeyRequestCeiling',
    summary: 'Set (replace) a chat channel’s ceiling: requests from it asking beyond are refused 403 with the reason, when made and when approved. Key managers only',
    tags,
    auth: 'key',
    body: SetCeilingBody,
    success: { status: 200, description: 'The ceiling as stored', schema: CeilingSchema },
    errors: [409],
  }),
  getKeyRequestCeiling: contract({
    method: 'GET',
    path: '/v1/key-requests/ceilings',
    operationId: 'getKeyRequestCeiling',
    summary: 'A chat channel’s ceiling on key requests. Key managers only',
    tags,
    auth: 'key',
    query: ChannelQuery,
    success: { status: 200, description: 'The ceiling', schema: CeilingSchema },
    errors: [404],
  }),
  clearKeyRequestCeiling: contract({
    method: 'DELETE',
    path: '/v1/key-requests/ceilings',
    operationId: 'clearKeyRequestCeiling',
    summary: 'Removes a chat channel’s ceiling. Key managers only',
    tags,
    auth: 'key',
    query: ChannelQuery,
    success: { status: 200, description: 'Removed', schema: z.strictObject({ object: z.literal('key_request_ceiling'), channel: z.string(), deleted: z.literal(true) }) },
    errors: [404],
  }),
} as const;
