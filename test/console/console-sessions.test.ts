import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSERTION_HEADER, signAssertion } from '../../lambdas/core/actor-assertion';
import { CONSOLE_BINDING_HEADER, sessionBinding } from '../../lambdas/core/console-cookie';
import { consoleSessions, LINK_LIFETIME_MS, SESSION_LIFETIME_MS } from '../../lambdas/core/console-sessions';
import { captureOutput, type CapturedOutput } from '../support/capture';
import { startTestStack, type TestStack } from '../support/local-stack';
import { storedItems } from '../support/stored-items';

/**
 * Console sign-in over HTTP (issue 11): sessions from a key or a one-time link, the cookie's
 * flags, the Origin check, single use and expiry on the stack's clock, the audit naming the actor
 * "via console", and no raw key or token in any stored item or log line.
 */
let stack: TestStack;
let output: CapturedOutput;
let viewerKey: string;
let viewerId: string;
const secrets: string[] = [];
const ADMIN = 'slack:T1:UADMIN';

beforeAll(async () => {
  stack = await startTestStack({ KEYWARDEN_ADMINS: ADMIN });
  output = captureOutput({ loggers: [stack.services.logger] });
  viewerKey = stack.secrets.botViewerKeys!.slack;
  viewerId = (await stack.json('/v1/me', { key: viewerKey })).body.id;
  secrets.push(stack.adminKey, viewerKey);
});
afterAll(async () => {
  output?.stop();
  await stack?.stop();
});

const origin = () => ({ origin: stack.url });
/** The cookie and the page's binding of it, as the console sends them (console-cookie.ts). */
const bound = (cookie: string) => ({ cookie, [CONSOLE_BINDING_HEADER]: sessionBinding(cookie.slice(cookie.indexOf('=') + 1)) });
const asPerson = (sub: string) => ({ [ASSERTION_HEADER]: signAssertion(stack.secrets.botAssertion.current, { sub, bot: 'slack', kid: viewerId }, stack.clock.now()) });

/** Signs in and returns the `name=value` of the session cookie. */
async function signIn(body: { key?: string; link?: string }): Promise<{ cookie: string; setCookie: string; body: any }> {
  const res = await stack.json('/v1/console/sessions', { body, headers: origin() });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0]!;
  secrets.push(cookie.split('=')[1]!);
  return { cookie, setCookie, body: res.body };
}

async function operatorLink(): Promise<string> {
  const { token } = await consoleSessions(stack.services).linkForOperator(stack.bootstrap.projectId, 'cli:tester');
  secrets.push(token);
  return token;
}

describe('signing in with an API key', () => {
  it('sets an HttpOnly, SameSite=Strict, 8-hour cookie (not Secure over local http) and answers who acts', async () => {
    const { setCookie, body } = await signIn({ key: stack.adminKey });
    expect(setCookie).toMatch(/^keywarden_console=kws\.[A-Za-z0-9_-]{43}; /);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).toContain(`Max-Age=${SESSION_LIFETIME_MS / 1000}`);
    expect(setCookie).not.toContain('Secure');
    expect(body).toMatchObject({ object: 'console.session', kind: 'key', actor: `key:${stack.bootstrap.adminKeyId}`, operator: null });
    expect(JSON.stringify(body)).not.toContain(stack.adminKey);
  });

  it('a client’s X-Forwarded-Proto/-Host neither make an origin the console’s nor decide the cookie (HTTPS: session-cookie.security.test.ts)', async () => {
    const res = await stack.call('/v1/console/sessions', { body: { key: stack.adminKey }, headers: { origin: 'https://console.example', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'console.example' } });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('acts as that key through /v1, audited "via console"', async () => {
    const { cookie } = await signIn({ key: stack.adminKey });
    const created = await stack.json('/v1/keys', { body: { name: 'from the console' }, headers: { ...bound(cookie), ...origin() } });
    expect(created.status).toBe(201);
    secrets.push(created.body.key);
    const audit = await stack.json(`/v1/audit?keyId=${created.body.id}`, { key: stack.adminKey });
    expect(audit.body.data[0]).toMatchObject({ action: 'key.create', actor: `key:${stack.bootstrap.adminKeyId}`, viaBot: 'console', viaKeyId: stack.bootstrap.adminKeyId });
  });

  it('refuses a key that cannot read keys, and a revoked key', async () => {
    const res = await stack.json('/v1/console/sessions', { body: { key: `${stack.adminKey.slice(0, -2)}zz` }, headers: origin() });
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('a bearer key still wins over a cookie, unchanged', async () => {
    const { cookie } = await signIn({ key: stack.adminKey });
    const res = await stack.json('/v1/console/session', { key: viewerKey, headers: bound(cookie) });
    expect(res.status).toBe(404);
  });
});

describe('the Origin check', () => {
  it('refuses a cross-origin or origin-less state change that carries the cookie (403), and allows reads', async () => {
    const { cookie } = await signIn({ key: stack.adminKey });
    const evil = await stack.json('/v1/keys', { body: { name: 'csrf' }, headers: { ...bound(cookie), origin: 'http://evil.example' } });
    expect(evil.status).toBe(403);
    expect(evil.body.error.code).toBe('insufficient_permissions');
    const none = await stack.json('/v1/keys', { body: { name: 'csrf' }, headers: bound(cookie) });
    expect(none.status).toBe(403);
    const crossSite = await stack.json('/v1/keys', { body: { name: 'csrf' }, headers: { ...bound(cookie), 'sec-fetch-site': 'cross-site' } });
    expect(crossSite.status).toBe(403);
    const list = await stack.json('/v1/keys?search=csrf', { headers: bound(cookie) });
    expect(list.status).toBe(200);
    expect(list.body.data).toEqual([]);
  });

  it('refuses a sign-in posted from another origin', async () => {
    const res = await stack.json('/v1/console/sessions', { body: { key: stack.adminKey }, headers: { origin: 'http://evil.example' } });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
  });
});

describe('one-time sign-in links', () => {
  it('sign in once: the second use is refused', async () => {
    const link = await operatorLink();
    const { body } = await signIn({ link });
    expect(body).toMatchObject({ kind: 'key', projectId: stack.bootstrap.projectId });
    const again = await stack.json('/v1/console/sessions', { body: { link }, headers: origin() });
    expect(again.status).toBe(401);
    expect(JSON.stringify(again.body)).not.toContain(link);
  });

  it('expire after 5 minutes on the stack clock', async () => {
    const link = await operatorLink();
    stack.clock.advance(LINK_LIFETIME_MS + 1000);
    const res = await stack.json('/v1/console/sessions', { body: { link }, headers: origin() });
    expect(res.status).toBe(401);
  });

  it('a bot gets one for an admin (the assertion spent), is refused for anyone else, and the refusal is audited', async () => {
    const link = await stack.json('/v1/console/links', { key: viewerKey, method: 'POST', headers: asPerson(ADMIN) });
    expect(link.status).toBe(201);
    expect(link.body.url).toMatch(new RegExp(`^${stack.url}/console/#link=kwl\\.`));
    secrets.push(link.body.url.split('#link=')[1]);
    const refused = await stack.json('/v1/console/links', { key: viewerKey, method: 'POST', headers: asPerson('slack:T1:UMEMBER') });
    expect(refused.status).toBe(403);
    const audit = await stack.json(`/v1/audit?actor=${encodeURIComponent('slack:T1:UMEMBER')}`, { key: stack.adminKey });
    expect(audit.body.data[0]).toMatchObject({ action: 'console.link', outcome: 'denied', viaBot: 'slack', reason: 'not a project admin' });
    const noPerson = await stack.json('/v1/console/links', { key: viewerKey, method: 'POST' });
    expect(noPerson.status).toBe(400);
  });

  it('a person session acts as that admin "via console", and ends when they stop being an admin', async () => {
    const link = await stack.json('/v1/console/links', { key: viewerKey, method: 'POST', headers: asPerson(ADMIN) });
    const { cookie, body } = await signIn({ link: link.body.url.split('#link=')[1] });
    expect(body).toMatchObject({ kind: 'person', actor: ADMIN });
    const created = await stack.json('/v1/keys', { body: { name: 'by a person' }, headers: { ...bound(cookie), ...origin() } });
    expect(created.status).toBe(201);
    secrets.push(created.body.key);
    const audit = await stack.json(`/v1/audit?keyId=${created.body.id}`, { key: stack.adminKey });
    expect(audit.body.data[0]).toMatchObject({ action: 'key.create', actor: ADMIN, viaBot: 'console' });

    await stack.services.operator.removeAdmin(stack.bootstrap.projectId, ADMIN, 'cli:tester');
    try {
      const after = await stack.json('/v1/keys', { headers: bound(cookie) });
      expect(after.status).toBe(403);
    } finally {
      await stack.services.operator.addAdmin(stack.bootstrap.projectId, ADMIN, 'cli:tester');
    }
  });
});

describe('sessions end', () => {
  it('on sign-out (the cookie cleared, the session refused after)', async () => {
    const { cookie } = await signIn({ key: stack.adminKey });
    const out = await stack.json('/v1/console/session', { method: 'DELETE', headers: { ...bound(cookie), ...origin() } });
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toMatch(/^keywarden_console=; .*Max-Age=0/);
    expect((await stack.json('/v1/console/session', { headers: bound(cookie) })).status).toBe(401);
  });

  it('after 8 hours', async () => {
    const { cookie } = await signIn({ key: stack.adminKey });
    stack.clock.advance(SESSION_LIFETIME_MS + 1000);
    expect((await stack.json('/v1/console/session', { headers: bound(cookie) })).status).toBe(401);
  });

  it('with a forged or unknown token', async () => {
    const res = await stack.json('/v1/keys', { headers: { cookie: `keywarden_console=kws.${'A'.repeat(43)}` } });
    expect(res.status).toBe(401);
  });
});

describe('secret hygiene', () => {
  it('no raw key, session token or link token in any stored item or log line', async () => {
    await stack.idle();
    const stored = JSON.stringify(await storedItems(stack.services));
    const logs = output.text();
    expect(logs).toContain('request');
    expect(secrets.length).toBeGreaterThan(8);
    for (const secret of secrets) {
      expect(stored).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
  });
});
