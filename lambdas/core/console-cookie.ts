/**
 * The console session cookie: its name and attributes in one place. HttpOnly (no script reads
 * it), SameSite=Strict (no other site's page sends it), Path=/ (the console and /v1 share the
 * origin), 8 hours; Secure wherever the console is served over HTTPS (AWS). Only string work here:
 * the edge sets and reads it (lambdas/http/router.ts, lambdas/http/routes/console.ts).
 */
export const CONSOLE_COOKIE = 'keywarden_console';

export function sessionCookie(token: string, maxAgeSeconds: number, secure: boolean): string {
  return [`${CONSOLE_COOKIE}=${token}`, 'Path=/', `Max-Age=${maxAgeSeconds}`, 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : [])].join('; ');
}

export function clearedCookie(secure: boolean): string {
  return sessionCookie('', 0, secure);
}

/** The session token from a Cookie header, if one is there. */
export function sessionTokenOf(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === CONSOLE_COOKIE) return part.slice(at + 1).trim() || undefined;
  }
  return undefined;
}
