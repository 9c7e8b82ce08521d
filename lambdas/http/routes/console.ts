import { clearedCookie, sessionBinding, sessionCookie } from '../../core/console-cookie';
import { consoleSessions, SESSION_LIFETIME_MS, type ConsoleSessionInfo } from '../../core/console-sessions';
import { KeywardenError } from '../../core/errors';
import { consoleIsHttps, publicBase } from '../../config';
import { requireSameOrigin, sessionCookieOf, type RequestContext } from '../request-context';
import { defineRoute, type Route } from '../route';
import { json } from '../types';
import { CONSOLE_CONTRACT } from './console.contract';

/** Where the console is: CONSOLE_URL, else beside /v1 at the public base (configuration only). */
export function consoleUrl(ctx: RequestContext): string {
  const configured = ctx.services.config.consoleUrl;
  if (configured) return `${new URL(configured).origin}/console/`;
  return `${publicBase(ctx.services.config)}/console/`;
}

/**
 * Wherever the console is served over HTTPS (AWS, behind CloudFront) the cookie is
 * `__Host-keywarden_console`, Secure (console-cookie.ts). Decided by configuration, not by
 * what a request's X-Forwarded-Proto claims.
 */
function secureCookie(ctx: RequestContext): boolean {
  return consoleIsHttps(ctx.services.config);
}

function presentSession(session: ConsoleSessionInfo) {
  return {
    object: 'console.session' as const,
    kind: session.kind,
    actor: session.actor,
    operator: session.operator ?? null,
    projectId: session.projectId,
    keyId: session.keyId,
    expiresAt: new Date(session.expiresAt).toISOString(),
  };
}

/** Session tokens and link tokens never appear in a body, a log line or a cache. */
const noStore = { 'cache-control': 'no-store' };

export const consoleRoutes: Route[] = [
  defineRoute(CONSOLE_CONTRACT.createConsoleSession, async (ctx) => {
    // Signing in changes state too: a page on another origin must not sign a browser in.
    requireSameOrigin(ctx.req, ctx.services);
    // A browser already holding a tossed cookie would send it beside the new one: say so now.
    sessionCookieOf(ctx.req, ctx.services);
    const sessions = consoleSessions(ctx.services);
    const { link, key } = ctx.input.body;
    const opened = link !== undefined ? await sessions.redeemLink(link) : await sessions.signInWithKey(key!);
    // The binding goes to the page (its storage is per origin, unlike cookies): it proves the session is this page's.
    return json(201, { ...presentSession(opened.session), binding: sessionBinding(opened.token) }, {
      ...noStore,
      'set-cookie': sessionCookie(opened.token, SESSION_LIFETIME_MS / 1000, secureCookie(ctx)),
    });
  }),
  defineRoute(CONSOLE_CONTRACT.getConsoleSession, async (ctx) => {
    await ctx.key();
    const session = ctx.consoleSession;
    if (!session) throw new KeywardenError('not_found', 'This request has no console session (it came with a bearer key).');
    return json(200, presentSession(session), noStore);
  }),
  defineRoute(CONSOLE_CONTRACT.deleteConsoleSession, async (ctx) => {
    await ctx.key();
    if (!ctx.consoleSession) throw new KeywardenError('not_found', 'This request has no console session (it came with a bearer key).');
    await consoleSessions(ctx.services).signOut(consoleTokenOf(ctx));
    return json(200, { object: 'console.session', deleted: true }, { ...noStore, 'set-cookie': clearedCookie(secureCookie(ctx)) });
  }),
  defineRoute(CONSOLE_CONTRACT.createConsoleLink, async (ctx) => {
    const issued = await consoleSessions(ctx.services).linkForPerson(await ctx.principal());
    // The token rides in the fragment: browsers never send it to a server, so no access log holds it.
    return json(201, { object: 'console.link', url: `${consoleUrl(ctx)}#link=${issued.token}`, expiresAt: new Date(issued.expiresAt).toISOString() }, noStore);
  }),
];

function consoleTokenOf(ctx: RequestContext): string {
  return sessionCookieOf(ctx.req, ctx.services) ?? '';
}
