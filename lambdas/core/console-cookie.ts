import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The console session cookie: its name and attributes in one place. HttpOnly (no script reads
 * it), SameSite=Strict (no other site's page sends it), Path=/ (the console and /v1 share the
 * origin), 8 hours. Only string work here: the edge sets and reads it (lambdas/http/request-context.ts,
 * lambdas/http/routes/console.ts).
 *
 * Cookie tossing (issue 19 point 6). Cookies are scoped by host, not origin: a page on another
 * port of the same host, or on a sibling subdomain (Domain=.example.com), can set a cookie of our
 * name with a narrower Path (/v1) that the browser sends first, and so sign the victim's console
 * into the attacker's project. Three locks:
 *
 *   1. Behind HTTPS the cookie is `__Host-keywarden_console` (Secure, Path=/, no Domain): no other
 *      origin can set a cookie of that name.
 *   2. A request carrying any other cookie of the session's name — a second one, a case variant,
 *      a `__Secure-`/`__Host-` variant that is not ours, or (behind HTTPS) the bare name — is
 *      refused outright: the server cannot tell which one is the victim's.
 *   3. The page proves the session is its own: sign-in answers a binding (a digest of the session
 *      token) that the console keeps in its origin's storage and sends as `X-Keywarden-Console` on
 *      every call. Storage is per origin (port included), cookies are not: a session tossed in from
 *      another origin has no binding on the victim's page, so it is refused even when it is the
 *      only session cookie there (locally over plain http, where lock 1 cannot exist).
 */
export const CONSOLE_COOKIE = 'keywarden_console';
export const HOST_CONSOLE_COOKIE = `__Host-${CONSOLE_COOKIE}`;
/** The request header carrying the page's binding of its session. */
export const CONSOLE_BINDING_HEADER = 'x-keywarden-console';

export function consoleCookieName(secure: boolean): string {
  return secure ? HOST_CONSOLE_COOKIE : CONSOLE_COOKIE;
}

export function sessionCookie(token: string, maxAgeSeconds: number, secure: boolean): string {
  return [`${consoleCookieName(secure)}=${token}`, 'Path=/', `Max-Age=${maxAgeSeconds}`, 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : [])].join('; ');
}

export function clearedCookie(secure: boolean): string {
  return sessionCookie('', 0, secure);
}

/** What a Cookie header says about the console session. */
export type SessionCookie =
  | { kind: 'none' }
  | { kind: 'one'; token: string }
  /** More than one session cookie, or one under a name that is not ours: never admitted. */
  | { kind: 'tossed' };

/** Any spelling a browser or a parser might take for the session cookie. */
function isSessionName(name: string): boolean {
  return name.trim().toLowerCase().replace(/^(__host-|__secure-)+/, '') === CONSOLE_COOKIE;
}

export function readSessionCookie(cookieHeader: string | undefined, secure: boolean): SessionCookie {
  if (!cookieHeader) return { kind: 'none' };
  const expected = consoleCookieName(secure);
  const found: Array<{ name: string; value: string }> = [];
  for (const part of cookieHeader.split(';')) {
    const at = part.indexOf('=');
    const name = at < 0 ? part : part.slice(0, at);
    if (isSessionName(name)) found.push({ name: name.trim(), value: at < 0 ? '' : part.slice(at + 1).trim() });
  }
  if (found.length === 0) return { kind: 'none' };
  if (found.length > 1 || found[0]!.name !== expected) return { kind: 'tossed' };
  return found[0]!.value ? { kind: 'one', token: found[0]!.value } : { kind: 'none' };
}

/** The binding the console keeps for its session: no secret (the token cannot be had from it). */
export function sessionBinding(token: string): string {
  return createHash('sha256').update(`keywarden console binding\0${token}`).digest('base64url');
}

export function bindingMatches(token: string, presented: string | undefined): boolean {
  if (!presented) return false;
  const want = Buffer.from(sessionBinding(token));
  const got = Buffer.from(presented);
  return got.length === want.length && timingSafeEqual(got, want);
}
