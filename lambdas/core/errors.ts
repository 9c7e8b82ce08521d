/**
 * One error hierarchy for the service. Expected outcomes (invalid key, rate limited, …) are data,
 * not exceptions; these are for the unexpected and for rules broken by a caller. HTTP status codes
 * are assigned only at the edge (lambdas/http/errors.ts).
 */
export type ErrorCode =
  | 'invalid_api_key'
  | 'key_expired'
  | 'key_revoked'
  | 'key_disabled'
  | 'insufficient_permissions'
  | 'api_access_disabled'
  | 'rate_limit_exceeded'
  | 'budget_exceeded'
  | 'concurrency_limit_exceeded'
  | 'insufficient_quota'
  | 'invalid_request_error'
  | 'not_found'
  | 'protected_key'
  | 'last_admin_key'
  | 'model_not_found'
  | 'conflict'
  | 'upstream_error'
  | 'upstream_timeout'
  | 'service_unavailable';

export class KeywardenError extends Error {
  override name = 'KeywardenError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /**
     * `param`: the offending input; `retryAfterSeconds`: when retrying can help (429/503);
     * `neverRetry`: no retry can change this answer (a `total` budget spent). Nothing else rides here.
     */
    readonly context: { param?: string; retryAfterSeconds?: number; neverRetry?: boolean } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const API_ACCESS_DISABLED_MESSAGE = 'API access is not enabled for this account.';
