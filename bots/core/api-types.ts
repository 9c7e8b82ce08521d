/**
 * The JSON shapes of /v1 that the bots read (SPEC §4). Declared here rather than imported from the
 * service: the bots are clients of the HTTP API like any integration, so these mirror the wire format.
 */
export type KeyType = 'privileged' | 'viewer' | 'system';
export type KeyStatus = 'active' | 'revoked' | 'expired';
export type BotName = 'slack' | 'teams';

/** A key as `GET /v1/keys` presents it: never the secret, only the visible `start`. */
export interface ApiKey {
  object: 'api_key';
  id: string;
  projectId: string;
  name: string;
  type: KeyType;
  protected: boolean;
  prefix: string;
  start: string;
  status: KeyStatus;
  scopes: string[];
  createdAt: string;
  createdBy: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  rotatedFrom: string | null;
  replacedBy: string | null;
  graceUntil: string | null;
}

/** Create and rotate: the only responses that carry a raw key. */
export interface ApiIssuedKey extends ApiKey {
  key: string;
  setupScript: string;
  /** Rotate: the old key as it stands after the rotation (revoked now, or active until `graceUntil`). */
  replaced?: ApiKey;
}

export interface ApiMe extends ApiKey {
  project: { id: string; name: string } | null;
  account: { id: string; name: string; apiAccess: boolean; credits: number } | null;
  environment: string;
}

export interface ApiAuditRecord {
  id: string;
  at: string;
  action: string;
  outcome: 'success' | 'denied' | 'error';
  actor: string;
  viaKeyId?: string;
  viaBot?: string;
  keyId?: string;
  reason?: string;
  details?: Record<string, string | number | boolean>;
}

export interface ApiVerifyResult {
  valid: boolean;
  code?: string;
  keyId?: string;
  projectId?: string;
  type?: KeyType;
  scopes?: string[];
  status?: KeyStatus;
}

/** Body of `POST /v1/keys` as the bots send it. */
export interface CreateKeyRequest {
  name?: string;
  type?: 'privileged' | 'viewer';
  scopes?: string[];
  expiresIn?: string;
  prefix?: string;
}

/**
 * A failed call, as data. `code` is the API's error code (`insufficient_quota`, `not_found`, …) or
 * `unreachable` when no HTTP answer came back. The message never contains a submitted key.
 */
export interface ApiError {
  status: number;
  code: string;
  message: string;
  /** The request part the error is about, when the API names one (e.g. `X-Keywarden-Actor`). */
  param?: string;
  retryAfterSeconds?: number;
}

export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };
