// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import { contract } from '../route-contract';
import { ActorSlot, isoTime, KeyIdSlot } from '../schemas';

/** Who did what to which key (routes/audit.ts). */

export const AuditQuerySchema = z.object({
  keyId: KeyIdSlot('keyId').optional(),
  actor: ActorSlot.optional(),
  since: z.iso.datetime().optional(),
  cursor: z.string().max(2000).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});

export const AuditRecordSchema = z
  .strictObject({
    id: z.string(),
    at: isoTime,
    projectId: z.string(),
    action: z.string().describe('key.create, key.update, key.disable, key.enable, key.rotate, key.revoke, key.delete, console.…'),
    outcome: z.enum(['success', 'denied', 'error']),
    actor: z.string(),
    viaKeyId: z.string().optional(),
    viaBot: z.string().optional(),
    keyId: z.string().optional(),
    reason: z.string().optional(),
    details: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
      .optional()
      .describe('key.update: each changed field, "before → after"'),
  })
;

export const AUDIT_CONTRACT = {
  listAudit: contract({
    method: 'GET',
    path: '/v1/audit',
    operationId: 'listAudit',
    summary: 'Audit records of the project (every create, edit, disable, enable, rotate, revoke and delete, denied attempts included), newest first',
    tags: ['Audit'],
    auth: 'key',
    query: AuditQuerySchema,
    success: {
      status: 200,
      description: 'A page of audit records',
      schema: z.strictObject({ object: z.literal('list'), data: z.array(AuditRecordSchema), nextCursor: z.string().nullable() }),
    },
  }),
} as const;
