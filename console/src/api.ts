/**
 * The console's one way to /v1: same origin, the HttpOnly session cookie rides along (the page
 * never sees it), JSON in and out. Failures are ApiError with the API's own code and message.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/v1${path}`, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'unreachable', 'Keywarden could not be reached. Check your connection and try again.');
  }
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const error = (data as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(res.status, error?.code ?? 'error', error?.message ?? `The request failed (HTTP ${res.status}).`);
  }
  return data as T;
}

export interface ApiKey {
  id: string;
  name: string;
  type: 'privileged' | 'viewer' | 'system';
  protected: boolean;
  prefix: string;
  start: string;
  status: 'active' | 'revoked' | 'expired';
  scopes: string[];
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  replacedBy: string | null;
  graceUntil: string | null;
}

/** Create and rotate: the one answer that carries a raw key, kept in memory while its callout shows. */
export interface IssuedKey extends ApiKey {
  key: string;
  setupScript: string;
  /** Rotation: the old key as it now stands. */
  replaced?: ApiKey;
}

export interface Session {
  kind: 'person' | 'key';
  actor: string;
  projectId: string;
  keyId: string;
  expiresAt: string;
}

export interface Me {
  project: { id: string; name: string } | null;
  account: { id: string; name: string; apiAccess: boolean; credits: number } | null;
  environment: string;
  setupScript: string;
}

export interface UsageTotal {
  keyId: string;
  requests: number;
  totalTokens: number;
  credits: number;
}

export interface AuditRecord {
  id: string;
  at: string;
  action: string;
  outcome: 'success' | 'denied' | 'error';
  actor: string;
  viaKeyId?: string;
  viaBot?: string;
  keyId?: string;
  reason?: string;
}

export interface List<T> {
  data: T[];
  nextCursor: string | null;
}

/** A key as the list shows it: an issued key without its raw value or script. */
export function listed(issued: IssuedKey): ApiKey {
  const { key: _key, setupScript: _script, replaced: _replaced, ...rest } = issued as IssuedKey & Record<string, unknown>;
  return rest as ApiKey;
}
