// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import { contract } from '../route-contract';
import { isoTime, KeyIdSlot } from '../schemas';
import { IssuedKeySchema } from './keys.contract';

/**
 * Scheduled rotations delivered privately to the key's chat owner (routes/rotation-deliveries.ts,
 * core/rotation-owner-delivery.ts): the held values, listed without them for the bots to tell
 * their owners, and the owner's one collection through a bot.
 */

export const RotationDeliverySchema = z.strictObject({
  object: z.literal('rotation_delivery'),
  keyId: z.string().describe('The replacement the scheduled rotation made: the key whose value is held'),
  keyName: z.string(),
  keyStart: z.string(),
  replacedKeyId: z.string().describe('The key it replaced, working on until its overlap ends'),
  owner: z.string().describe('The chat identity alone allowed to collect it (slack:…, teams:…)'),
  createdAt: isoTime,
  claimUntil: isoTime.describe('Not collected by then, the rotation is undone: the old key works on and the admins are told'),
  status: z.enum(['pending', 'collected', 'lapsed']),
});

export const ListRotationDeliveriesQuery = z.object({
  status: z.enum(['pending']).optional().describe('pending: only values still waiting for their owner'),
});

const tags = ['Keys'];

export const ROTATION_DELIVERY_CONTRACT = {
  listRotationDeliveries: contract({
    method: 'GET',
    path: '/v1/rotation-deliveries',
    operationId: 'listRotationDeliveries',
    summary: 'Scheduled rotations’ new values held for their chat owner to collect (never the values): what the bots tell owners about. Needs keys:read',
    tags,
    auth: 'key',
    query: ListRotationDeliveriesQuery,
    success: { status: 200, description: 'The project’s held values', schema: z.strictObject({ object: z.literal('list'), data: z.array(RotationDeliverySchema) }) },
  }),
  claimRotationDelivery: contract({
    method: 'POST',
    path: '/v1/keys/:id/rotation-delivery/claim',
    operationId: 'claimRotationDelivery',
    summary: 'The key’s owner collects the value its scheduled rotation made, once, before claimUntil: only a bot acting for the owner (X-Keywarden-Actor naming them); anyone else 403, audited',
    tags,
    auth: 'key',
    params: z.strictObject({ id: KeyIdSlot('id') }),
    success: { status: 200, description: 'The replacement key, its raw value and the setup script: the only answer that carries it', schema: IssuedKeySchema },
    errors: [403, 404, 409],
  }),
} as const;
