import type { ApiAuditRecord, ApiIssuedKey, ApiMe, CallInput, CallOutput, ApiKey as ClientApiKey } from '../../lambdas/http/client';

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

/**
 * Where the page keeps its session's binding (lambdas/core/console-cookie.ts): storage is per
 * origin, port included, where cookies are per host. A session cookie another site on this host
 * tossed in has no binding here, so the API refuses it instead of acting in the other project.
 */
const BINDING = 'keywarden.console.binding';

function binding(): string | null {
  try {
    return localStorage.getItem(BINDING);
  } catch {
    return null;
  }
}

function keepBinding(value: string | undefined): void {
  try {
    if (value) localStorage.setItem(BINDING, value);
    else localStorage.removeItem(BINDING);
  } catch {
    // storage refused (private mode): the session cannot be proved, and the API asks to sign in
  }
}

/** `ifMatch`: the version of the resource as the page showed it; a stale one is `409 conflict`. */
export interface CallOptions {
  ifMatch?: number;
}

export async function api<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown, options: CallOptions = {}): Promise<T> {
  let res: Response;
  const bound = binding();
  try {
    res = await fetch(`/v1${path}`, {
      method,
      credentials: 'same-origin',
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(bound ? { 'x-keywarden-console': bound } : {}),
        ...(options.ifMatch === undefined ? {} : { 'if-match': String(options.ifMatch) }),
      },
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
  if (method === 'POST' && path === '/console/sessions') keepBinding((data as { binding?: string } | undefined)?.binding);
  if (method === 'DELETE' && path === '/console/session') keepBinding(undefined);
  return data as T;
}

/**
 * The wire shapes, from the typed client (lambdas/http/client.ts): the same schemas the server
 * answers with, so the page cannot drift from the API. Types only: nothing of the server is bundled.
 */
export type ApiKey = ClientApiKey;
/** Create and rotate: the one answer that carries a raw key, kept in memory while its callout shows. */
export type IssuedKey = ApiIssuedKey;
export type Session = CallOutput<'getConsoleSession'>;
export type Me = ApiMe;
export type UsageTotal = CallOutput<'listUsage'>['totals'][number];
export type AuditRecord = ApiAuditRecord;
export type KeyList = CallOutput<'listKeys'>;
export type AuditList = CallOutput<'listAudit'>;
/** An edit in place: only the fields that change. */
export type KeyUpdate = CallInput<'updateKey'>['body'];
export type ModelList = CallOutput<'listModels'>;
/** Requests, tokens and credits per UTC day, oldest first (GET /v1/usage/daily). */
export type DailyUsage = CallOutput<'dailyUsage'>;
/** What a report of an exposed key did (POST /v1/keys/{id}/report-exposed). */
export type ExposureOutcome = CallOutput<'reportExposed'>;
/** What a key did since it was first seen exposed (GET /v1/keys/{id}/exposure). */
export type ExposureUsage = CallOutput<'exposureUsage'>;

/** A key as the list shows it: an issued key without its raw value or script. */
export function listed(issued: IssuedKey): ApiKey {
  const { key: _key, setupScript: _script, replaced: _replaced, ...rest } = issued as IssuedKey & Record<string, unknown>;
  return rest as ApiKey;
}
