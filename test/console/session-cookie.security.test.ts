import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_BINDING_HEADER, sessionBinding } from '../../lambdas/core/console-cookie';
import { setupScript } from '../../lambdas/core/setup-script';
import { expectApiError } from '../support/api-error';
import { startTestStack, type TestStack } from '../support/local-stack';

/**
 * Issue 19 point 6 and the hardening items, over HTTP: a console session cookie tossed in by
 * another origin of the same host is never acted on (two session cookies, a variant name, a
 * session without this page's binding), `__Host-` behind HTTPS; the same-origin check and every
 * URL we hand out come from configuration, never from the Host or X-Forwarded-Host a client sends;
 * /v1 answers are nosniff and no-store. (In a real Chromium: console-browser.test.ts.)
 */
let local: TestStack;
/** The console configured behind HTTPS (as the CloudFront distribution serves it in AWS). */
let https: TestStack;
const CONSOLE = 'https://console.example';
let attackerKey: string;

beforeAll(async () => {
  [local, https] = await Promise.all([startTestStack(), startTestStack({ CONSOLE_URL: CONSOLE })]);
  const { operator, keys } = local.services;
  const account = await operator.createAccount({ name: 'Attacker', apiAccess: true, credits: 10 });
  const { project } = await operator.createProject({ accountId: account.id, name: 'Attacker project', actor: 'test' });
  attackerKey = (await keys.create({ kind: 'operator', actor: 'test', projectId: project.id }, { name: 'attacker admin' })).secret;
}, 60_000);
afterAll(async () => {
  await Promise.all([local?.stop(), https?.stop()]);
});

/** Signs in; the `name=value` of the cookie, the raw Set-Cookie and the page's binding. */
async function signIn(stack: TestStack, key: string, origin = stack.url): Promise<{ cookie: string; token: string; setCookie: string; binding: string }> {
  const res = await stack.json('/v1/console/sessions', { body: { key }, headers: { origin } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const setCookie = res.headers.get('set-cookie')!;
  const cookie = setCookie.split(';')[0]!;
  const token = cookie.slice(cookie.indexOf('=') + 1);
  expect(res.body.binding).toBe(sessionBinding(token));
  return { cookie, token, setCookie, binding: res.body.binding };
}

async function keyNames(stack: TestStack, adminKey: string, name: string): Promise<string[]> {
  return (await stack.json(`/v1/keys?search=${encodeURIComponent(name)}`, { key: adminKey })).body.data.map((k: { name: string }) => k.name);
}

describe('cookie tossing, local (plain http)', () => {
  it('a request carrying two session cookies is refused (400, error shape) and does nothing, whichever comes first', async () => {
    const victim = await signIn(local, local.adminKey);
    const attacker = await signIn(local, attackerKey);
    for (const cookie of [`${attacker.cookie}; ${victim.cookie}`, `${victim.cookie}; ${attacker.cookie}`]) {
      for (const binding of [victim.binding, attacker.binding]) {
        const res = await local.json('/v1/keys', { body: { name: 'tossed create' }, headers: { cookie, [CONSOLE_BINDING_HEADER]: binding, origin: local.url } });
        expectApiError(res, 400, 'invalid_request_error');
        expect(res.body.error.param).toBe('Cookie');
        expect(JSON.stringify(res.body)).not.toContain(victim.token);
      }
      expectApiError(await local.json('/v1/console/session', { headers: { cookie, [CONSOLE_BINDING_HEADER]: victim.binding } }), 400, 'invalid_request_error');
    }
    expect(await keyNames(local, local.adminKey, 'tossed create')).toEqual([]);
    expect(await keyNames(local, attackerKey, 'tossed create')).toEqual([]);
  });

  it('any case or prefix variant of the name counts as a second session cookie, and alone is not ours', async () => {
    const victim = await signIn(local, local.adminKey);
    const attacker = await signIn(local, attackerKey);
    const headers = { [CONSOLE_BINDING_HEADER]: victim.binding };
    for (const variant of ['Keywarden_Console', 'KEYWARDEN_CONSOLE', '__Secure-keywarden_console', '__Host-keywarden_console', ' keywarden_console']) {
      const both = await local.json('/v1/keys', { headers: { ...headers, cookie: `${variant}=${attacker.token}; ${victim.cookie}` } });
      expectApiError(both, 400, 'invalid_request_error');
      const alone = await local.json('/v1/keys', { headers: { ...headers, cookie: `${variant.trim() === 'keywarden_console' ? 'KeyWarden_console' : variant}=${victim.token}` } });
      expectApiError(alone, 400, 'invalid_request_error');
    }
    // Other cookies beside the one session cookie are fine.
    const ok = await local.json('/v1/keys', { headers: { ...headers, cookie: `theme=dark; ${victim.cookie}; keywarden_consoleX=1` } });
    expect(ok.status).toBe(200);
  });

  it('a lone session cookie the page did not open (no binding, or another session’s) is refused: the console never works in the attacker’s project', async () => {
    const victim = await signIn(local, local.adminKey);
    const attacker = await signIn(local, attackerKey);
    for (const binding of [undefined, victim.binding, 'x'.repeat(43)]) {
      const res = await local.json('/v1/keys', {
        body: { name: 'planted create' },
        headers: { cookie: attacker.cookie, origin: local.url, ...(binding ? { [CONSOLE_BINDING_HEADER]: binding } : {}) },
      });
      expectApiError(res, 401, 'invalid_api_key');
      expectApiError(await local.json('/v1/console/session', { headers: { cookie: attacker.cookie, ...(binding ? { [CONSOLE_BINDING_HEADER]: binding } : {}) } }), 401, 'invalid_api_key');
    }
    expect(await keyNames(local, attackerKey, 'planted create')).toEqual([]);
    // The page's own pair works.
    const own = await local.json('/v1/console/session', { headers: { cookie: victim.cookie, [CONSOLE_BINDING_HEADER]: victim.binding } });
    expect(own.status).toBe(200);
  });

  it('signing in while two session cookies are present is refused before any session is opened', async () => {
    const victim = await signIn(local, local.adminKey);
    const attacker = await signIn(local, attackerKey);
    const res = await local.json('/v1/console/sessions', { body: { key: local.adminKey }, headers: { origin: local.url, cookie: `${attacker.cookie}; ${victim.cookie}` } });
    expectApiError(res, 400, 'invalid_request_error');
    expect(res.headers.get('set-cookie')).toBeNull();
  });
});

describe('cookie tossing behind HTTPS', () => {
  it('the cookie is __Host-keywarden_console: Secure, Path=/, no Domain', async () => {
    const { setCookie } = await signIn(https, https.adminKey, CONSOLE);
    expect(setCookie).toMatch(/^__Host-keywarden_console=kws\.[A-Za-z0-9_-]{43}; /);
    expect(setCookie).toContain('; Secure');
    expect(setCookie).toContain('Path=/;');
    expect(setCookie.toLowerCase()).not.toContain('domain=');
  });

  it('the bare name (what a sibling subdomain can set, Domain=.example.com; path=/v1) is refused, alone or beside ours', async () => {
    const victim = await signIn(https, https.adminKey, CONSOLE);
    const headers = { [CONSOLE_BINDING_HEADER]: victim.binding };
    const beside = await https.json('/v1/keys', { headers: { ...headers, cookie: `keywarden_console=${victim.token}; ${victim.cookie}` } });
    expectApiError(beside, 400, 'invalid_request_error');
    const alone = await https.json('/v1/keys', { headers: { ...headers, cookie: `keywarden_console=${victim.token}` } });
    expectApiError(alone, 400, 'invalid_request_error');
    expect((await https.json('/v1/keys', { headers: { ...headers, cookie: victim.cookie } })).status).toBe(200);
  });

  it('X-Forwarded-Proto from a client does not decide the cookie: over plain http config it stays the http one', async () => {
    const res = await local.call('/v1/console/sessions', { body: { key: local.adminKey }, headers: { origin: local.url, 'x-forwarded-proto': 'https' } });
    expect(res.headers.get('set-cookie')).toMatch(/^keywarden_console=/);
    expect(res.headers.get('set-cookie')).not.toContain('Secure');
  });
});

/** A raw HTTP request, so that Host itself can be forged (fetch sets its own). */
function rawRequest(stack: TestStack, options: { method: string; path: string; headers: Record<string, string>; body?: string }): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const url = new URL(stack.url);
  return new Promise((done, fail) => {
    const req = request({ host: url.hostname, port: url.port, method: options.method, path: options.path, headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => done({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end(options.body);
  });
}

describe('the same-origin check compares with the configured origins only', () => {
  it('a forged X-Forwarded-Host or Host naming the attacker’s origin does not make it the console’s (403)', async () => {
    const victim = await signIn(local, local.adminKey);
    const body = JSON.stringify({ name: 'forged host create' });
    const forgeries: Record<string, string>[] = [
      { host: 'evil.example', origin: 'http://evil.example' },
      { 'x-forwarded-host': 'evil.example', origin: 'http://evil.example' },
      { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https', origin: 'https://evil.example' },
    ];
    for (const forged of forgeries) {
      const res = await rawRequest(local, {
        method: 'POST',
        path: '/v1/keys',
        headers: { host: new URL(local.url).host, cookie: victim.cookie, [CONSOLE_BINDING_HEADER]: victim.binding, 'content-type': 'application/json', ...forged },
        body,
      });
      expect(res.status, JSON.stringify(forged)).toBe(403);
      expect(JSON.parse(res.body).error.code).toBe('insufficient_permissions');
    }
    expect(await keyNames(local, local.adminKey, 'forged host create')).toEqual([]);
    // A sign-in posted with a forged Host is refused too: no session is opened for the attacker's page.
    const signInRes = await rawRequest(local, {
      method: 'POST',
      path: '/v1/console/sessions',
      headers: { host: 'evil.example', origin: 'http://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify({ key: local.adminKey }),
    });
    expect(signInRes.status).toBe(403);
    expect(signInRes.headers['set-cookie']).toBeUndefined();
  });

  it('behind HTTPS, the configured console origin is accepted and a forged one is not', async () => {
    const victim = await signIn(https, https.adminKey, CONSOLE);
    const headers = { cookie: victim.cookie, [CONSOLE_BINDING_HEADER]: victim.binding };
    const forged = await https.json('/v1/keys', { body: { name: 'forged https' }, headers: { ...headers, origin: 'https://evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' } });
    expectApiError(forged, 403, 'insufficient_permissions');
    const own = await https.json('/v1/keys', { body: { name: 'console https' }, headers: { ...headers, origin: CONSOLE } });
    expect(own.status).toBe(201);
  });
});

describe('URLs we hand out come from configuration only', () => {
  it('with PUBLIC_BASE_URL unset, the setup script and console link still never carry the Host a client sent', async () => {
    const config = local.services.config;
    const configured = config.publicBaseUrl;
    config.publicBaseUrl = undefined; // as a Lambda deployed without PUBLIC_BASE_URL would be
    try {
      const evilHost = 'evil.example";touch${IFS}/tmp/pwned;"';
      const res = await rawRequest(local, {
        method: 'POST',
        path: '/v1/keys',
        headers: { host: evilHost, 'x-forwarded-host': evilHost, authorization: `Bearer ${local.adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'host in script' }),
      });
      expect(res.status).toBe(201);
      const { setupScript: script } = JSON.parse(res.body) as { setupScript: string };
      expect(script).not.toContain('evil.example');
      expect(script).toContain('OPENAI_BASE_URL="http://127.0.0.1:8787/v1"');
      const me = await rawRequest(local, { method: 'GET', path: '/v1/me', headers: { host: evilHost, 'x-forwarded-host': evilHost, authorization: `Bearer ${local.adminKey}` } });
      expect(me.body).not.toContain('evil.example');
    } finally {
      config.publicBaseUrl = configured;
    }
  });

  it('the setup script is shell-safe whatever the configured URL holds: the shell expands nothing in it', () => {
    const hostile = `https://api.example.com/x"$(echo INJECTED)'\`echo TICK\`;echo SEMI`;
    const script = setupScript({ baseUrl: hostile, brand: 'Archibot', modelId: "it's", key: 'archie_abc' });
    const exports = script.split('\n').filter((l) => l.startsWith('export ')).join('\n');
    const out = execFileSync('bash', ['-c', `${exports}\nprintf '%s\\n' "$OPENAI_BASE_URL" "$ARCHIBOT_API_KEY"`], { encoding: 'utf8' });
    expect(out).toBe(`${hostile}\narchie_abc\n`);
    const data = script.split('\n').find((l) => l.includes('--data'))!;
    const body = execFileSync('bash', ['-c', `printf '%s' ${data.replace(/^\s*--data /, '')}`], { encoding: 'utf8' });
    expect(JSON.parse(body)).toMatchObject({ model: "it's" });
  });
});

describe('every /v1 answer is nosniff and no-store', () => {
  it('successes and errors, authenticated or not, buffered or streamed', async () => {
    const answers = [
      await local.call('/v1/keys', { key: local.adminKey }),
      await local.call('/v1/me', { key: local.adminKey }),
      await local.call('/v1/keys'),
      await local.call('/v1/health'),
      await local.call('/v1/openapi.json'),
      await local.call('/v1/models', { key: local.adminKey }),
      await local.call('/v1/no-such-route'),
      await local.call('/v1/responses', { key: local.adminKey, body: { model: 'archibot', input: 'hi', stream: true } }),
    ];
    for (const res of answers) {
      await res.arrayBuffer();
      expect(res.headers.get('x-content-type-options'), res.url).toBe('nosniff');
      expect(res.headers.get('cache-control'), res.url).toBe('no-store');
    }
  });
});
