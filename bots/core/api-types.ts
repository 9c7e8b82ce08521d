import type { ApiKey, CallInput } from '../../lambdas/http/client';

/**
 * The JSON shapes of /v1 that the bots read (SPEC §4), taken from the contract the server serves
 * (lambdas/http/contract.ts through the typed client): the bots are clients of the HTTP API like
 * any integration, and these types cannot drift from what the server answers.
 */
export type KeyStatus = ApiKey['status'];
export type BotName = 'slack' | 'teams';
/** The body of an edit in place (`PATCH /v1/keys/:id`). */
export type UpdateKeyRequest = CallInput<'updateKey'>['body'];
/** One key's calls, tokens and credits over a period (`GET /v1/usage`'s totals). */
export interface UsageTotal {
  keyId: string;
  requests: number;
  totalTokens: number;
  credits: number;
}
export type {
  ApiAuditRecord,
  ApiConversationReference,
  ApiError,
  ApiIssuedKey,
  ApiKey,
  ApiMe,
  ApiResult,
  ApiVerifyResult,
  CreateKeyRequest,
} from '../../lambdas/http/client';
