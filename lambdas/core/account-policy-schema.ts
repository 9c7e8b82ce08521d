// Namespace import: `import { z }` defeats tree-shaking and drags every locale into the bundle.
import * as z from 'zod';
import { BUDGET_PERIODS, type AccountPolicy } from './types';

/**
 * An account policy as an operator sets it (core/account-policy.ts says what each limit means),
 * validated before it is stored (`OperatorService.setAccountPolicy`). Apart from the rules so the
 * console, which shows them, does not carry zod.
 */

/** Lifetimes run from one hour (anything shorter is no key to hand out) to ten years. */
const MIN_LIFETIME_S = 3_600;
const MAX_LIFETIME_S = 10 * 366 * 86_400;

export const AccountPolicySchema: z.ZodType<AccountPolicy> = z.strictObject({
  maxKeyLifetimeSeconds: z.number().int().min(MIN_LIFETIME_S).max(MAX_LIFETIME_S).optional().describe('No key lives longer than this from its creation, rotation or edit'),
  expiryRequired: z.boolean().optional().describe('Every key expires (implied by maxKeyLifetimeSeconds)'),
  allowedKeyTypes: z
    .array(z.enum(['viewer', 'privileged']))
    .min(1)
    .refine((types) => new Set(types).size === types.length, 'each type once')
    .optional()
    .describe('The key types the account may hold'),
  maxRateLimit: z
    .strictObject({ limit: z.number().int().min(1), windowSeconds: z.number().int().min(1).max(86_400) })
    .optional()
    .describe('No key admits more requests per window, nor a higher sustained rate'),
  maxBudget: z
    .strictObject({ credits: z.number().positive(), period: z.enum(BUDGET_PERIODS) })
    .optional()
    .describe('Every key has a budget no wider than this'),
  privilegedRequiresApproval: z.boolean().optional().describe('A privileged key is only minted by approving a key request'),
});
