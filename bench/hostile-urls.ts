/**
 * Hostile checks of issue 19 points 5 and 6 and its hardening items, for `npm run hostile`
 * (bench/hostile.ts wires it in). On a stack of its own (the real local stack: dynalite, the
 * shipped router), as a hostile client and a hostile sibling page would:
 *   - a live key in `?search=` and in other query strings (values and names, many routes): each
 *     must be a 400 that never echoes it, and the key must be revoked (it reached access logs);
 *   - a key-shaped search term that fails the checksum: a 400, echoing nothing;
 *   - a tossed console session cookie: two session cookies, a case/prefix variant, a lone planted
 *     session without the page's binding — none may act, nothing may land in either project;
 *   - a forged X-Forwarded-Host / Host on a cookie-authenticated change: must be refused;
 *   - the setup script with PUBLIC_BASE_URL unset and a hostile Host: must not carry it;
 *   - every /v1 answer: X-Content-Type-Options: nosniff and Cache-Control: no-store.
 * It returns figures and violations (as sentences); it asserts nothing and prints nothing.
 */
import { request } from 'node:http';
import { checksum } from '../lambdas/core/key-format';
import { startTestStack, type TestStack } from '../test/support/local-stack';

/** The console's proof that a session is its own page's (lambdas/core/console-cookie.ts), as the wire spells it. */
const CONSOLE_BINDING_HEADER = 'x-keywarden-console';

export async function hostileUrls(): Promise<{ figures: Record<string, string | number>; violations: string[] }> {
  const violations: string[] = [];
  const figures: Record<string, number> = {};
  const count = (name: string) => (figures[name] = (figures[name] ?? 0) + 1);
  const stack = await startTestStack();
  try {
    const { operator, keys } = stack.services;
    const account = await operator.createAccount({ name: 'Hostile sibling', apiAccess: true, credits: 10 });
    const { project } = await operator.createProject({ accountId: account.id, name: 'Hostile project', actor: 'hostile' });
    const attackerKey = (await keys.create({ kind: 'operator', actor: 'hostile', projectId: project.id }, { name: 'hostile admin' })).secret;

    const newKey = async (name: string): Promise<{ id: string; key: string }> => (await stack.json('/v1/keys', { key: stack.adminKey, body: { name } })).body;
    const liveness = async (key: string): Promise<string> => (await stack.json('/v1/models', { key })).body?.error?.code ?? 'active';
    const noteAnswer = (what: string, res: { status: number; text: string; headers: Headers }, secret?: string) => {
      if (res.status >= 500) violations.push(`${what}: answered ${res.status}`);
      if (secret && res.text.includes(secret)) violations.push(`${what}: the answer echoes the key`);
      if (res.headers.get('x-content-type-options') !== 'nosniff') violations.push(`${what}: no X-Content-Type-Options: nosniff`);
      if (res.headers.get('cache-control') !== 'no-store') violations.push(`${what}: no Cache-Control: no-store`);
    };
    const call = async (path: string, options: Parameters<TestStack['call']>[1] = {}) => {
      const res = await stack.call(path, options);
      return { status: res.status, headers: res.headers, text: await res.text() };
    };

    // ── Keys in URLs ──
    const inUrl: Array<[string, (k: string) => string, boolean]> = [
      ['GET /v1/keys?search=<key>', (k) => `/v1/keys?search=${k}`, true],
      ['GET /v1/keys?search=<text around a key>', (k) => `/v1/keys?search=${encodeURIComponent(`key: ${k}.`)}`, true],
      ['GET /v1/keys?status=<key>', (k) => `/v1/keys?status=${k}`, true],
      ['GET /v1/audit?actor=<key>', (k) => `/v1/audit?actor=${k}`, true],
      ['GET /v1/usage?requestId=<key>', (k) => `/v1/usage?requestId=${k}`, true],
      ['GET /v1/usage?cursor=<key>', (k) => `/v1/usage?cursor=${k}`, true],
      ['GET /v1/bots/conversations?identity=<key>', (k) => `/v1/bots/conversations?identity=${k}`, true],
      ['GET /v1/models?<key>', (k) => `/v1/models?${k}`, true],
      ['GET /v1/me?api_key=<key>', (k) => `/v1/me?api_key=${k}`, true],
      ['GET /v1/health?token=<key> (no bearer)', (k) => `/v1/health?token=${k}`, false],
      ['GET /v1/keys/<id>?key=<key>', (k) => `/v1/keys/key_${'0'.repeat(22)}?key=${k}`, true],
      ['POST /v1/keys?search=<key>', (k) => `/v1/keys?search=${k}`, true],
      ['GET /v1/unknown?search=<key>', (k) => `/v1/unknown?search=${k}`, true],
    ];
    for (const [what, url, bearer] of inUrl) {
      const leaked = await newKey('hostile url');
      const method = what.startsWith('POST') ? 'POST' : 'GET';
      const res = await call(url(leaked.key), { ...(bearer ? { key: stack.adminKey } : {}), method, ...(method === 'POST' ? { body: { name: 'x' } } : {}) });
      count('keys sent in a URL');
      noteAnswer(what, res, leaked.key);
      if (res.status !== 400) violations.push(`${what}: answered ${res.status}, not 400`);
      if ((await liveness(leaked.key)) === 'active') violations.push(`${what}: the key is still live after reaching a URL`);
      else count('keys in a URL revoked');
    }
    {
      const live = await newKey('hostile typo');
      const near = [`${live.key.slice(0, -1)}${live.key.endsWith('A') ? 'B' : 'A'}`, live.key.slice(0, 30), `archie_${'Q'.repeat(22)}${checksum(`archie_${'Q'.repeat(22)}`) === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA'}`];
      for (const term of near) {
        const res = await call(`/v1/keys?search=${encodeURIComponent(term)}`, { key: stack.adminKey });
        count('key-shaped search terms sent in a URL');
        noteAnswer('GET /v1/keys?search=<near key>', res, term);
        if (res.status !== 400) violations.push(`GET /v1/keys?search=<near key>: answered ${res.status}, not 400`);
      }
      if ((await liveness(live.key)) !== 'active') violations.push('a near-miss of a key in ?search= revoked the real key');
      const body = await call('/v1/keys/search', { key: stack.adminKey, body: { search: live.key } });
      noteAnswer('POST /v1/keys/search', body, live.key);
      if (body.status !== 200 || !body.text.includes(live.id)) violations.push(`POST /v1/keys/search by a full key: answered ${body.status} without the key`);
    }

    // ── Cookie tossing ──
    const signIn = async (key: string) => {
      const res = await stack.json('/v1/console/sessions', { body: { key }, headers: { origin: stack.url } });
      const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
      return { cookie, token: cookie.slice(cookie.indexOf('=') + 1), binding: String(res.body?.binding ?? '') };
    };
    const victim = await signIn(stack.adminKey);
    const attacker = await signIn(attackerKey);
    if (!victim.cookie || !attacker.cookie) violations.push('console sign-in did not work, cookie checks skipped');
    const tossed: Array<[string, Record<string, string>]> = [
      ['attacker cookie first', { cookie: `${attacker.cookie}; ${victim.cookie}`, [CONSOLE_BINDING_HEADER]: victim.binding }],
      ['victim cookie first', { cookie: `${victim.cookie}; ${attacker.cookie}`, [CONSOLE_BINDING_HEADER]: victim.binding }],
      ['attacker binding', { cookie: `${attacker.cookie}; ${victim.cookie}`, [CONSOLE_BINDING_HEADER]: attacker.binding }],
      ['case variant', { cookie: `Keywarden_Console=${attacker.token}; ${victim.cookie}`, [CONSOLE_BINDING_HEADER]: victim.binding }],
      ['__Secure- variant', { cookie: `__Secure-keywarden_console=${attacker.token}; ${victim.cookie}`, [CONSOLE_BINDING_HEADER]: victim.binding }],
      ['lone planted session, no binding', { cookie: attacker.cookie }],
      ['lone planted session, the victim page’s binding', { cookie: attacker.cookie, [CONSOLE_BINDING_HEADER]: victim.binding }],
    ];
    for (const [what, headers] of tossed) {
      const name = `tossed ${what}`;
      const created = await call('/v1/keys', { body: { name }, headers: { ...headers, origin: stack.url } });
      const read = await call('/v1/console/session', { headers });
      count('tossed-cookie requests');
      noteAnswer(`tossed cookie (${what})`, created, victim.token);
      if (created.status < 400 || read.status < 400) violations.push(`tossed cookie (${what}): admitted (${created.status}, ${read.status})`);
      else count('tossed-cookie requests refused');
      if (read.status >= 500) violations.push(`tossed cookie (${what}): answered ${read.status}`);
    }
    for (const [owner, key] of [['victim', stack.adminKey], ['attacker', attackerKey]] as const) {
      const found = await stack.json('/v1/keys?search=tossed', { key });
      if (found.body?.data?.length) violations.push(`tossed cookies created ${found.body.data.length} key(s) in the ${owner}'s project`);
    }

    // ── Forged X-Forwarded-Host / Host on a same-origin console request ──
    const forgeries: Array<[string, Record<string, string>]> = [
      ['Host', { host: 'evil.example', origin: 'http://evil.example' }],
      ['X-Forwarded-Host', { 'x-forwarded-host': 'evil.example', origin: 'http://evil.example' }],
      ['X-Forwarded-Host + proto https', { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https', origin: 'https://evil.example' }],
    ];
    for (const [what, forged] of forgeries) {
      const res = await raw(stack, 'POST', '/v1/keys', { cookie: victim.cookie, [CONSOLE_BINDING_HEADER]: victim.binding, 'content-type': 'application/json', ...forged }, JSON.stringify({ name: 'forged origin' }));
      count('forged-origin requests');
      if (res.status < 400) violations.push(`forged ${what}: a cookie-authenticated change was accepted (${res.status})`);
      else if (res.status >= 500) violations.push(`forged ${what}: answered ${res.status}`);
      else count('forged-origin requests refused');
    }
    const signInForged = await raw(stack, 'POST', '/v1/console/sessions', { host: 'evil.example', origin: 'http://evil.example', 'content-type': 'application/json' }, JSON.stringify({ key: stack.adminKey }));
    if (signInForged.status < 400) violations.push(`forged Host: a sign-in from the attacker's origin was accepted (${signInForged.status})`);

    // ── The setup script never carries a client's Host ──
    const config = stack.services.config;
    const configured = config.publicBaseUrl;
    config.publicBaseUrl = undefined;
    try {
      const evil = 'evil.example";id;"';
      const res = await raw(stack, 'POST', '/v1/keys', { host: evil, 'x-forwarded-host': evil, authorization: `Bearer ${stack.adminKey}`, 'content-type': 'application/json' }, JSON.stringify({ name: 'host script' }));
      if (res.body.includes('evil.example')) violations.push('with PUBLIC_BASE_URL unset, the setup script carries the Host a client sent');
    } finally {
      config.publicBaseUrl = configured;
    }

    return { figures: { ...figures, violations: violations.length }, violations };
  } finally {
    await stack.stop();
  }
}

/** A raw request, so that Host itself can be forged (fetch sets its own). */
function raw(stack: TestStack, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: string }> {
  const url = new URL(stack.url);
  return new Promise((done, fail) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers: { host: url.host, ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => done({ status: res.statusCode!, body: text }));
    });
    req.on('error', fail);
    req.end(body);
  });
}

// Run alone: `npx tsx bench/hostile-urls.ts`.
if (import.meta.url === `file://${process.argv[1]}`) {
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  hostileUrls().then(
    ({ figures, violations }) => {
      console.log(JSON.stringify(figures, null, 2));
      for (const v of violations) console.log(`VIOLATION: ${v}`);
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
