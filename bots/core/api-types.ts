import type { ApiKey, CallInput, CallOutput } from '../../lambdas/http/client';

/**
 * The JSON shapes of /v1 that the bots read (SPEC §4), taken from the contract the server serves
 * (lambdas/http/contract.ts through the typed client): the bots are clients of the HTTP API like
 * any integration, and these types cannot drift from what the server answers.
 */
export type KeyStatus = ApiKey['status'];
export type BotName = 'slack' | 'teams';
/** The body of an edit in place (`PATCH /v1/keys/:id`). */
export type UpdateKeyRequest = CallInput<'updateKey'>['body'];
/** What the API did with a key value the leak guard saw (`POST /v1/bots/leaks`). */
export type ApiLeakReport = CallOutput<'reportLeak'>;
/** What `POST /v1/keys/{id}/report-exposed` did with the key. */
export type ApiExposureReport = CallOutput<'reportExposed'>;
/** What a key did since it was first seen exposed (`GET /v1/keys/{id}/exposure`). */
export type ApiExposureUsage = CallOutput<'exposureUsage'>;
/** GET /v1/keys/{id}/stragglers: the callers still on a rotated-out key. */
export type ApiStragglers = CallOutput<'keyStragglers'>;
/** A key request as the API answers it (`POST /v1/key-requests` and its decisions). */
export type ApiKeyRequest = CallOutput<'createKeyRequest'>;
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
