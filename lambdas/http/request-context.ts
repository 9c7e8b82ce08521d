import type { Logger } from '@aws-lambda-powertools/logger';
import { KeywardenError } from '../core/errors';
import type { Principal } from '../core/principal';
import type { KeyCheck } from '../core/authenticator';
import type { KeyAdmission } from '../core/model-call';
import type { ModelCallAdmission } from '../core/ports';
import type { KeyRecord } from '../core/types';
import type { Services } from '../services-core';
import { requestTime } from '../core/ids';
import { parseKey } from '../core/key-format';
import { bindingMatches, CONSOLE_BINDING_HEADER, readSessionCookie } from '../core/console-cookie';
import { consoleIsHttps, consoleOrigins } from '../config';
import { consoleSessions, type ConsoleAdmission, type ConsoleSessionInfo } from '../core/console-sessions';
import { assertionOf, bearerToken, checkHeaders, requireValid } from './auth';
import { HttpError } from './errors';
import type { HttpRequest } from './types';

/** Validated input of a request, as the route's schemas declare it. */
export interface RouteInput<P = unknown, Q = unknown, B = unknown> {
  params: P;
  query: Q;
  body: B;
}

/**
 * What a route handler gets: the request, its validated input, services, and auth on demand —
 * a bearer key, or a console session checked for its binding and, for a state change, its origin.
 */
export class RequestContext<P = unknown, Q = unknown, B = unknown> {
  /** Headers every response of this request carries (rate-limit state once authenticated). */
  readonly responseHeaders: Record<string, string> = {};
  private caller?: KeyRecord;
  /** A valid key refused only by its rate limit: not admitted, but the call is still its. */
  private limited?: KeyRecord;
  /** A console session (cookie, no bearer key), once `key()` has admitted it. */
  private session?: ConsoleAdmission;
  /** The UTC day this call's admission counted it in on its key's item (not a model call: Store.admitKeyUse). */
  private countedIn?: string;

  constructor(
    readonly req: HttpRequest,
    readonly input: RouteInput<P, Q, B>,
    readonly services: Services,
  ) {}

  get params(): P {
    return this.input.params;
  }

  get logger(): Logger {
    return this.services.logger;
  }

  /** Whether this call's admission counted it in its key's day: its usage record adds nothing there (core/usage.ts). */
  get countedOnAdmission(): boolean {
    return this.countedIn !== undefined;
  }

  /** The authenticated key, once `key()` has admitted it. */
  get authenticated(): KeyRecord | undefined {
    return this.caller;
  }

  /**
   * The key this call is recorded against (SPEC §4 usage, seed 003): the admitted key, or a valid
   * key its rate limit refused. Never a revoked, expired or unknown one.
   */
  get attributedTo(): KeyRecord | undefined {
    return this.caller ?? this.limited;
  }

  /**
   * The bearer token, checked without any I/O: present, and of the key format with a valid
   * checksum (anything else is a 401 that never reaches storage).
   */
  bearer(): string {
    const token = bearerToken(this.req);
    if (!token) {
      throw new KeywardenError('invalid_api_key', 'You didn\'t provide an API key. Send it as "Authorization: Bearer <key>".');
    }
    if (!parseKey(token).ok) throw new KeywardenError('invalid_api_key', 'Incorrect API key provided.');
    return token;
  }

  /** Authenticates the bearer key and counts the request against its rate limit. */
  async key(): Promise<KeyRecord> {
    if (this.caller) return this.caller;
    // A request with no bearer key may come from the console with its session cookie.
    if (bearerToken(this.req) === undefined) {
      const cookie = sessionCookieOf(this.req, this.services);
      if (cookie !== undefined) return this.sessionKey(cookie);
    }
    const day = this.dayOfCall();
    const check = await this.services.auth.authenticate(this.bearer(), undefined, day);
    return this.admit(check, {}, day);
  }

  /**
   * The UTC day this call is counted in, when its request id carries when it was made (its usage
   * record bears that time: after-answer.ts), so its admission can count it there.
   */
  private dayOfCall(): string | undefined {
    return requestTime(this.req.requestId)?.slice(0, 10);
  }

  /**
   * A model call's admission (core/model-call.ts): the bearer key checked and counted like `key()`,
   * and in the same write its budget reservation, token window and concurrency slot. A refusal by
   * one of those is data for the model call (its key is still this call's, for the usage record);
   * every other refusal is thrown as from `key()`.
   */
  async modelCallKey(call?: ModelCallAdmission): Promise<KeyAdmission> {
    // Without `call` (a model it does not know) nothing settles after it: its admission counts it.
    const day = call ? undefined : this.dayOfCall();
    const check = await this.services.auth.authenticate(this.bearer(), call, day);
    if (check.result !== 'over_limit') {
      const key = this.admit(check, {}, day);
      return { result: 'valid', key, ...(check.result === 'valid' && check.hold ? { hold: check.hold } : {}) };
    }
    this.logger.appendKeys({ keyId: check.key.id, projectId: check.key.projectId });
    this.limited = check.key;
    Object.assign(this.responseHeaders, checkHeaders(check, this.services.clock.now()));
    return check;
  }

  /**
   * The one way a key check becomes the caller: logs, rate-limit headers, and the refusal if any.
   * `countedIn`: the day its admission was asked to count the call in, which a valid check did.
   */
  private admit(check: KeyCheck, log: { via?: string }, countedIn: string | undefined): KeyRecord {
    const now = this.services.clock.now();
    if (check.result === 'valid') this.countedIn = countedIn;
    if (check.result === 'rate_limited' || check.result === 'valid') {
      this.logger.appendKeys({ keyId: check.key.id, projectId: check.key.projectId, ...log });
    }
    if (check.result === 'rate_limited') this.limited = check.key;
    Object.assign(this.responseHeaders, checkHeaders(check, now));
    this.caller = requireValid(check, now);
    return this.caller;
  }

  /** The caller as a principal, with a verified person when a bot sent an actor assertion. */
  async principal(): Promise<Principal> {
    const key = await this.key();
    // Its changes' events are confirmed after the answer (core/event-outbox.ts).
    return this.services.events.answeringFor(this.session?.principal ?? (await this.services.auth.principalFor(key, assertionOf(this.req))));
  }

  /** The console session this request came with, once admitted. */
  get consoleSession(): ConsoleSessionInfo | undefined {
    return this.session?.session;
  }

  /**
   * A console session admits its key like a bearer key (counted, rate-limit headers, the same
   * errors); anything that changes state must come from the console's own origin.
   */
  private async sessionKey(token: string): Promise<KeyRecord> {
    requireSameOrigin(this.req, this.services);
    // The page proves the session is its own (console-cookie.ts): a session tossed in from another origin has no binding here.
    if (!bindingMatches(token, this.req.headers[CONSOLE_BINDING_HEADER])) {
      throw new KeywardenError('invalid_api_key', 'This console session was not opened on this page (another site on this host may have set it). Sign in again.');
    }
    const day = this.dayOfCall();
    const admission = await consoleSessions(this.services).admit(token, day);
    const caller = this.admit(admission.check, { via: 'console' }, day);
    this.session = admission;
    return caller;
  }
}

/**
 * The console session token a request carries, if any. More than one session cookie, or one under
 * a name that is not ours, is refused: the server cannot tell the person's own from one another
 * site tossed in (console-cookie.ts), so it acts on neither.
 */
export function sessionCookieOf(req: HttpRequest, services: Services): string | undefined {
  const cookie = readSessionCookie(req.headers.cookie, consoleIsHttps(services.config));
  if (cookie.kind === 'tossed') {
    throw new HttpError(
      400,
      'invalid_request_error',
      'This request carries more than one Keywarden console session cookie, or one this site did not set: another site on this host may have planted it. Nothing was done. Clear this site’s cookies, then sign in again.',
      'Cookie',
    );
  }
  return cookie.kind === 'one' ? cookie.token : undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Cookie-authenticated calls that change state come from the console's own origin only: the
 * configured public and console URLs (config.ts `consoleOrigins`), never anything built from the
 * request's own Host or X-Forwarded-Host, which a client chooses. A browser that sends no Origin
 * on a same-origin request still sends Sec-Fetch-Site, which no page can set; a request with
 * neither is refused. SameSite=Strict already keeps other sites' requests cookie-less; this is
 * the second lock.
 */
export function requireSameOrigin(req: HttpRequest, services: Services): void {
  if (SAFE_METHODS.has(req.method)) return;
  const origin = req.headers.origin;
  if (origin ? consoleOrigins(services.config).includes(origin) : req.headers['sec-fetch-site'] === 'same-origin') return;
  throw new KeywardenError('insufficient_permissions', 'Console requests that change anything must come from the console itself (Origin).');
}
