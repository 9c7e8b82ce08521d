// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import { parseDuration } from '../core/duration';
import { AUDIT_ACTIONS, KEY_ID_PATTERN, MAX_OVERLAP_MS } from '../core/key-service';
import { KEY_TYPES, SCOPES } from '../core/scopes';

/** Request schemas of /v1 (also the source of the OpenAPI document's request bodies). */
const duration = (what: string) =>
  z.string().refine((v) => parseDuration(v) !== undefined && parseDuration(v)! > 0, {
    message: `${what} must look like 90d, 12h, 30m or 45s`,
  });

export const RoleSchema = z.strictObject({
  name: z.string().min(1).max(100),
  permissions: z.array(z.string().min(1).max(100)).max(100),
  filters: z.record(z.string().max(100), z.string().max(500)).optional(),
});

export const CreateKeyBody = z.strictObject({
  name: z.string().max(200).optional(),
  type: z.enum(KEY_TYPES.filter((t) => t !== 'system') as ['privileged', 'viewer']).optional(),
  scopes: z.array(z.enum(SCOPES)).max(SCOPES.length).optional(),
  roles: z.array(RoleSchema).max(50).optional(),
  context: z.record(z.string().min(1).max(100), z.string().max(500)).optional(),
  prefix: z.string().regex(/^[a-z][a-z0-9]{1,11}$/, 'prefix must match [a-z][a-z0-9]{1,11}').optional(),
  expiresIn: duration('expiresIn').optional(),
  rateLimit: z
    .strictObject({
      limit: z.number().int().min(1).max(1_000_000),
      windowSeconds: z.number().int().min(1).max(86_400),
    })
    .optional(),
});

export const RotateKeyBody = z.strictObject({
  overlap: duration('overlap')
    .refine((v) => parseDuration(v)! <= MAX_OVERLAP_MS, { message: 'overlap must be at most 7d' })
    .optional(),
});

export const VerifyKeyBody = z.strictObject({
  key: z.string().min(1).max(200),
  permission: z.string().min(1).max(100).optional(),
  resource: z.record(z.string().max(100), z.string().max(500)).optional(),
});

export const ListKeysQuery = z.object({
  search: z.string().max(200).optional(),
  type: z.enum(KEY_TYPES).optional(),
  status: z.enum(['active', 'revoked', 'expired']).optional(),
  cursor: z.string().max(2000).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});

export const AuditQuerySchema = z.object({
  keyId: z.string().max(100).optional(),
  actor: z.string().max(200).optional(),
  since: z.iso.datetime().optional(),
  cursor: z.string().max(2000).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});

export const AdminCheckBody = z.strictObject({
  action: z.enum(AUDIT_ACTIONS),
  keyId: z.string().regex(KEY_ID_PATTERN, 'keyId must be a key id').optional(),
});
