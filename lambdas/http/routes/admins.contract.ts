// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import { AUDIT_ACTIONS } from '../../core/authority';
import { contract } from '../route-contract';
import { KeyIdSlot } from '../schemas';
import { KeySchema } from './keys.contract';

/** The chat identities that administer the project (routes/admins.ts). */

export const AdminCheckBody = z.strictObject({
  action: z.enum(AUDIT_ACTIONS),
  keyId: KeyIdSlot('keyId').optional(),
  /**
   * What the person named the key by (as `GET /v1/keys?search=`): an admin's answer carries the
   * matching keys, so a bot resolves the key and asks in one call before it offers a confirmation.
   */
  search: z.string().min(1).max(200).optional(),
});

export const AdminCheckSchema = z.strictObject({
  identity: z.string(),
  admin: z.boolean(),
  /** With `search`, to an admin only: the first 50 matching keys, newest first. */
  matches: z.array(KeySchema).optional(),
});

export const ADMIN_CONTRACT = {
  listAdmins: contract({
    method: 'GET',
    path: '/v1/admins',
    operationId: 'listAdmins',
    summary: 'The chat identities registered as admins of the project',
    tags: ['Admins'],
    auth: 'key',
    success: {
      status: 200,
      description: 'The project’s admins',
      schema: z.strictObject({ object: z.literal('list'), data: z.array(z.strictObject({ identity: z.string() })) }),
    },
  }),
  checkAdmin: contract({
    // A bot asks, with the person's assertion, before offering an admin action; a "no" is audited.
    method: 'POST',
    path: '/v1/admins/check',
    operationId: 'checkAdmin',
    summary: 'Is the person named by X-Keywarden-Actor an admin of the project (and, with search, which keys match)? A "no" is audited as a denied attempt',
    tags: ['Admins'],
    auth: 'key',
    body: AdminCheckBody,
    success: { status: 200, description: 'The person and the answer; for an admin, the keys matching `search`', schema: AdminCheckSchema },
  }),
} as const;
