/**
 * `npm run hostile`: the hostile run of issue 8, repeatable. Against the real local stack (dynalite,
 * the shipped router, the Slack mount through Bolt's receiver), it sends
 *   - HOSTILE_RUNS (default 10,000) fuzzed requests over every route of the route table,
 *   - the SPEC §3 authorization matrix: bounded actors creating, rotating, editing (PATCH),
 *     disabling, enabling, revoking, reporting exposed and deleting keys wider than themselves on
 *     each axis, edits widening a key on each axis, the Automator key, self-lockout (delete,
 *     disable, an edit taking keys:write), and lockout by two key managers revoking each other at once,
 *   - byte-identical replays and future-dated copies of a signed Slack `/apikeys create`,
 * then decodes every stored item and every response body and looks for every raw key issued,
 * and then the issue 19 runs, each against a stack of its own:
 *   - money (bench/hostile-money.ts): every cut point of a recorded stream on both APIs, and the
 *     over-service bound when concurrent 1M-token calls meet a 5-credit balance,
 *   - claims (bench/hostile-claims.ts): every non-bot key squatting on the claims a bot will need,
 *     and live keys in the shapes the leak guard must see,
 *   - local doors (bench/hostile-doors.ts): browser-shaped posts to every local door, and idle
 *     keep-alive connections reused across the server's timeouts under load,
 *   - URLs and cookies (bench/hostile-urls.ts): keys in query strings, tossed session cookies,
 *     forged Host / X-Forwarded-Host,
 *   - webhooks (bench/hostile-webhooks.ts): SSRF URLs, keys without the power adding or removing
 *     webhooks, and raw keys searched for in every delivered event,
 *   - storage faults (bench/hostile-storage.ts, issue 23 points 4 and 5 at scale): four keys'
 *     calls with 1 write answer in 10 lost after the write landed, then under the throttling
 *     layer at a fiftieth of DynamoDB's limits; money, limits, slots and daily counters checked.
 * It prints the figures; it asserts nothing (the bounded version of each check is in `npm test`).
 */
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import fc from 'fast-check';
import { widerAxes, type PowerAxis, type Powers } from '../lambdas/core/authority';
import { API_ROUTE_TABLE, createApi } from '../lambdas/http/api';
import { isStreamed, type HttpRequest } from '../lambdas/http/types';
import { ADMIN_USER, sign, SIGNING_SECRET, startSlackHarness } from '../test/bots/slack/slack-harness';
import { hostileRequest, type KeyPool } from '../test/support/hostile';
import { storedItems } from '../test/support/stored-items';
import { hostileClaims } from './hostile-claims';
import { hostileDoors } from './hostile-doors';
import { hostileMoney } from './hostile-money';
import { hostileStorage } from './hostile-storage';
import { hostileUrls } from './hostile-urls';
import { hostileWebhooks } from './hostile-webhooks';

const RUNS = Number(process.env.HOSTILE_RUNS ?? 10_000);

interface Tally {
  [name: string]: number;
}

function bump(t: Tally, name: string, by = 1): void {
  t[name] = (t[name] ?? 0) + by;
}

/** A presented key (JSON) as the powers the authority rule compares. */
function powersOf(k: any): Powers {
  return {
    type: k.type,
    scopes: k.scopes,
    roles: k.roles ?? [],
    context: k.context ?? {},
    rateLimit: k.rateLimit,
    expiresAt: k.expiresAt === null ? null : Date.parse(k.expiresAt),
    ...(k.models ? { models: k.models } : {}),
    ...(k.graceUntil ? { graceUntil: Date.parse(k.graceUntil) } : {}),
    ...(k.budget ? { budget: { credits: k.budget.credits, period: k.budget.period } } : {}),
    ...(k.tokenLimit ? { tokenLimit: k.tokenLimit } : {}),
    ...(k.maxConcurrent != null ? { maxConcurrent: k.maxConcurrent } : {}),
  };
}

/** The power axis each field of a key is part of; name and metadata grant nothing. */
const EDIT_AXES = {
  scopes: 'scopes',
  roles: 'roles',
  context: 'roles',
  rateLimit: 'rate limit',
  models: 'models',
  expiresAt: 'expiry',
  budget: 'budget',
  tokenLimit: 'token limit',
  maxConcurrent: 'concurrency',
} as const satisfies Record<string, PowerAxis>;

/**
 * Whether an edit that went through was within the rule: on a user key, the key before and after
 * no wider than the actor; on the Automator key, an actor holding admin, and no axis the edit
 * changed wider than the actor.
 */
function editAllowed(before: Powers, after: Powers, actor: Powers): boolean {
  if (before.type === 'system') {
    const changed = Object.entries(EDIT_AXES)
      .filter(([f]) => JSON.stringify(before[f as keyof Powers] ?? null) !== JSON.stringify(after[f as keyof Powers] ?? null))
      .map(([, axis]) => axis as PowerAxis);
    return actor.scopes.includes('admin') && !widerAxes(after, actor).some((a) => changed.includes(a));
  }
  return widerAxes(before, actor).length === 0 && widerAxes(after, actor).length === 0;
}

async function main(): Promise<void> {
  const harness = await startSlackHarness();
  const { stack } = harness;
  const api = createApi(stack.services);
  const issued = new Set<string>([stack.adminKey]);
  const bodies: string[] = [];
  const started = performance.now();

  const call = async (path: string, key: string | undefined, body?: unknown, method?: string) => {
    const res = await stack.json(path, { key, body, method });
    bodies.push(JSON.stringify(res.body ?? ''));
    if (res.body?.key && typeof res.body.key === 'string') issued.add(res.body.key);
    return res;
  };
  const operator = { kind: 'operator' as const, actor: 'hostile', projectId: stack.bootstrap.projectId };
  const opKey = async (input: Record<string, unknown>) => {
    const made = await stack.services.keys.create(operator, { name: 'target', ...input } as never);
    issued.add(made.secret);
    return { id: made.key.id, key: made.secret };
  };

  // ── 1. fuzzing ──────────────────────────────────────────────────────────────
  const pool: KeyPool = {
    admin: stack.adminKey,
    keys: [await opKey({ type: 'viewer' }), await opKey({ scopes: ['keys:read', 'keys:write'] }), await opKey({})],
    automatorId: (await stack.services.store.getProject(stack.bootstrap.projectId))!.automatorKeyId!,
  };
  const fuzz: Tally = {};
  const samples = fc.sample(hostileRequest(API_ROUTE_TABLE, () => pool), { numRuns: RUNS, seed: Number(process.env.HOSTILE_SEED ?? 2026) });
  for (const req of samples as HttpRequest[]) {
    const res = await api(req);
    let text: string;
    if (isStreamed(res)) {
      const parts: Buffer[] = [];
      for await (const c of res.stream) parts.push(Buffer.from(c));
      await res.finish?.({ completed: true });
      text = Buffer.concat(parts).toString('utf8');
    } else text = res.body;
    bump(fuzz, `${Math.floor(res.status / 100)}xx`);
    bump(fuzz, 'requests');
    if (res.status >= 500) bump(fuzz, '5xx');
    if (res.status >= 400) {
      try {
        const keys = Object.keys(JSON.parse(text).error ?? {}).sort().join(',');
        if (keys !== 'code,message,param,type') bump(fuzz, 'error shape violations');
      } catch {
        bump(fuzz, 'error shape violations');
      }
    }
    const sent = [req.path, JSON.stringify(req.query), JSON.stringify(req.headers), req.body ?? ''].join('\n');
    for (const k of issued) if (sent.includes(k) && (text.includes(k) || JSON.stringify(res.headers).includes(k))) bump(fuzz, 'echoed keys');
    const created = /"key":"([a-z][a-z0-9]{1,11}_[0-9A-Za-z]{28})"/.exec(text);
    if (created?.[1]) issued.add(created[1]);
    bodies.push(text);
  }

  // ── 2. the authorization matrix (SPEC §3) ────────────────────────────────────
  const matrix: Tally = {};
  /** What each matrix violation was, printed under the figures. */
  const found: string[] = [];
  const HOUR_MS = 3_600_000;
  const actors: Record<string, Record<string, unknown>> = {
    'keys:read+write only': { scopes: ['keys:read', 'keys:write'] },
    'keys:write only': { scopes: ['keys:write'] },
    '3 requests/min': { rateLimit: { limit: 3, windowSeconds: 60 } },
    'expires in 1h': { expiresInMs: HOUR_MS },
    'row-filtered (eu)': { roles: [{ name: 'eu', permissions: ['*'], filters: { region: '${context.region}' } }], context: { region: 'eu' } },
    'one model': { models: ['archibot'] },
    viewer: { type: 'viewer' },
    '10 credits/week': { budget: { credits: 10, period: 'week' } },
    '1000 tokens/min': { tokenLimit: { tokens: 1000, windowSeconds: 60 } },
    '2 in flight': { maxConcurrent: 2 },
  };
  const wider: Record<string, Record<string, unknown>> = {
    'all scopes': {},
    'admin scope': { scopes: ['admin'] },
    '1,000,000/min': { rateLimit: { limit: 1_000_000, windowSeconds: 60 } },
    '999,999 days': { expiresIn: '999999d' },
    unfiltered: { roles: [] },
    'other context': { context: { region: 'us' } },
    'other model': { models: ['gpt-4o'] },
    'bigger budget': { budget: { credits: 1_000_000, period: 'week' } },
    'daily budget': { budget: { credits: 10, period: 'day' } },
    'more tokens': { tokenLimit: { tokens: 1_000_000, windowSeconds: 60 } },
    'more in flight': { maxConcurrent: 1000 },
  };
  // Edits (PATCH) that widen a key on one axis each, then one that narrows it.
  const edits: Array<Record<string, unknown>> = [
    { scopes: ['admin'] },
    { rateLimit: { limit: 1_000_000, windowSeconds: 60 } },
    { rateLimit: { limit: 3, windowSeconds: 1 } },
    { expiresIn: '999999d' },
    { expiresAt: null },
    { roles: [] },
    { context: { region: 'us' } },
    { models: null },
    { models: ['archibot', 'gpt-4o'] },
    { budget: null },
    { budget: { credits: 1_000_000, period: 'total' } },
    { budget: { credits: 1, period: 'day' } },
    { tokenLimit: null },
    { tokenLimit: { tokens: 1_000_000, windowSeconds: 1 } },
    { maxConcurrent: null },
    { maxConcurrent: 1000 },
    { name: 'renamed', metadata: { by: 'hostile' } },
    { rateLimit: { limit: 1, windowSeconds: 60 } },
  ];
  const automatorId = pool.automatorId;
  for (const [actorName, actorInput] of Object.entries(actors)) {
    const actor = await opKey({ name: actorName, ...actorInput });
    // Records are read from the store: the admin key's own rate limit must not shape the matrix.
    const actorPowers = (await stack.services.store.getKey(actor.id))! as Powers;
    for (const [, body] of Object.entries(wider)) {
      const res = await call('/v1/keys', actor.key, { name: 'minted', ...body });
      bump(matrix, 'attempts');
      if (res.status === 201 && widerAxes(powersOf(res.body), actorPowers).length > 0) bump(matrix, 'violations');
      if (res.status >= 500) bump(matrix, '5xx');
    }
    const targets = [
      await opKey({}),
      await opKey({ scopes: ['admin'] }),
      await opKey({ rateLimit: { limit: 1_000_000, windowSeconds: 60 } }),
      await opKey({ expiresInMs: 999_999 * 24 * HOUR_MS }),
    ];
    // Edit, pause and resume: a peer with the actor's own powers, the wider targets, the Automator key.
    // Made a minute shorter-lived than the actor, so it is within the actor (and edits of it succeed).
    const peer = await opKey({ name: 'peer', ...actorInput, expiresInMs: actorPowers.expiresAt! - stack.clock.now() - 60_000 });
    for (const target of [peer.id, ...targets.map((t) => t.id), automatorId]) {
      for (const body of edits) {
        const before = (await stack.services.store.getKey(target))!;
        const res = await call(`/v1/keys/${target}`, actor.key, body, 'PATCH');
        bump(matrix, 'attempts');
        bump(matrix, 'edit attempts (PATCH)');
        if (res.status >= 500) bump(matrix, '5xx');
        if (res.status >= 200 && res.status < 300) {
          bump(matrix, 'edits allowed');
          if (!editAllowed(before, (await stack.services.store.getKey(target))!, actorPowers)) {
            bump(matrix, 'violations');
            found.push(`${actorName}: PATCH ${before.type} ${before.name} ${JSON.stringify(body)} → ${res.status}`);
          }
        }
      }
      for (const action of ['disable', 'enable'] as const) {
        const before = (await stack.services.store.getKey(target))!;
        const res = await call(`/v1/keys/${target}/${action}`, actor.key, undefined, 'POST');
        bump(matrix, 'attempts');
        bump(matrix, `${action} attempts`);
        if (res.status >= 500) bump(matrix, '5xx');
        if (res.status >= 200 && res.status < 300) {
          const system = before.type === 'system';
          const allowed = system ? action === 'enable' && actorPowers.scopes.includes('admin') : widerAxes(before, actorPowers).length === 0;
          if (!allowed) {
            bump(matrix, 'violations');
            found.push(`${actorName}: ${action} ${before.type} ${before.name} (wider ${widerAxes(before, actorPowers).join(', ')}) → ${res.status}`);
          }
        }
      }
    }
    // Reporting a key exposed stops it like a revocation (the Automator key: rotated), so it is bound the same way.
    for (const action of ['rotate', 'revoke', 'report-exposed', 'delete'] as const) {
      for (const target of [...targets.map((t) => t.id), automatorId]) {
        const before = await stack.services.store.getKey(target);
        if (!before || before.status !== 'active' || before.replacedBy) continue;
        const res =
          action === 'delete'
            ? await call(`/v1/keys/${target}`, actor.key, undefined, 'DELETE')
            : await call(`/v1/keys/${target}/${action}`, actor.key, {});
        bump(matrix, 'attempts');
        if (action === 'report-exposed') bump(matrix, 'report-exposed attempts');
        if (res.status >= 500) bump(matrix, '5xx');
        if (res.status >= 200 && res.status < 300) {
          const system = before.type === 'system';
          const allowed = system ? (action === 'rotate' || action === 'report-exposed') && actorPowers.scopes.includes('admin') : widerAxes(before, actorPowers).length === 0;
          if (!allowed || (action === 'rotate' && !system && widerAxes(powersOf(res.body), actorPowers).length > 0)) {
            bump(matrix, 'violations');
            found.push(`${actorName}: ${action} ${before.type} ${before.name} → ${res.status}`);
          }
        }
      }
    }
  }
  // Self-lockout: a project's only admin key deleting itself.
  {
    const account = await stack.services.operator.createAccount({ name: 'lockout', apiAccess: true, credits: 0 });
    const { project } = await stack.services.operator.createProject({ accountId: account.id, name: 'lockout', actor: 'hostile' });
    const only = await stack.services.keys.create({ kind: 'operator', actor: 'hostile', projectId: project.id }, { name: 'only admin' });
    issued.add(only.secret);
    for (const [path, body, method] of [
      [`/v1/keys/${only.key.id}`, undefined, 'DELETE'],
      [`/v1/keys/${only.key.id}/disable`, undefined, 'POST'],
      [`/v1/keys/${only.key.id}`, { scopes: ['keys:read'] }, 'PATCH'],
    ] as const) {
      const res = await call(path, only.secret, body, method);
      bump(matrix, 'attempts');
      bump(matrix, 'self-lockout attempts (delete, disable, edit out of keys:write)');
      if (res.status < 300) bump(matrix, 'violations');
    }
  }

  // Lockout by racing: in each of 10 projects, its only two key managers revoke each other at once.
  await Promise.all(
    Array.from({ length: 10 }, async (_, i) => {
      const account = await stack.services.operator.createAccount({ name: `race ${i}`, apiAccess: true, credits: 0 });
      const { project } = await stack.services.operator.createProject({ accountId: account.id, name: `race ${i}`, actor: 'hostile' });
      const first = await stack.services.keys.create({ kind: 'operator', actor: 'hostile', projectId: project.id }, { name: 'manager', expiresInMs: 30 * 24 * HOUR_MS });
      issued.add(first.secret);
      // The second inherits the first's expiry and limits: equal powers, so each may revoke the other.
      const second = (await call('/v1/keys', first.secret, { name: 'manager' })).body;
      const answers = await Promise.all([call(`/v1/keys/${second.id}/revoke`, first.secret, {}), call(`/v1/keys/${first.key.id}/revoke`, second.key, {})]);
      bump(matrix, 'attempts', 2);
      if (answers.some((a) => a.status >= 500)) bump(matrix, '5xx');
      const left = await Promise.all([first.key.id, second.id].map((id: string) => stack.services.store.getKey(id)));
      if (!left.some((k) => k?.status === 'active')) bump(matrix, 'violations');
      bump(matrix, 'lockout races (2 managers revoking each other)');
    }),
  );

  // ── 3. Slack replays ─────────────────────────────────────────────────────────
  const slack: Tally = {};
  {
    const name = `replayed-${Date.now()}`;
    const form = harness.commandForm(`create ${name}`, 'replay-1', ADMIN_USER);
    const ts = Math.floor(Date.now() / 1000);
    const signature = sign(SIGNING_SECRET, ts, form);
    for (let i = 0; i < 4; i++) {
      const res = await harness.post(form, 'application/x-www-form-urlencoded', { timestamp: ts, signature });
      bump(slack, 'signed requests sent (1 + 3 replays)');
      if (res.status >= 500) bump(slack, '5xx');
    }
    const future = Math.floor(Date.now() / 1000) + 3600;
    const futureForm = harness.commandForm(`create ${name}-future`, 'replay-2', ADMIN_USER);
    const res = await harness.post(futureForm, 'application/x-www-form-urlencoded', { timestamp: future });
    bump(slack, 'future-dated (+1h) requests sent');
    if (res.status < 300) bump(slack, 'future-dated accepted (HTTP 2xx)');
    await new Promise((r) => setTimeout(r, 1500));
    const made = (await stack.services.keys.list(operator, { search: name, limit: 200 })).items;
    bump(slack, 'keys created by the replayed command', made.filter((k) => k.name === name).length);
    bump(slack, 'keys created by the future-dated command', made.filter((k) => k.name === `${name}-future`).length);
  }

  // ── 4. decoded scan of every stored item and every response body ────────────
  const scan: Tally = {};
  const items = await storedItems(stack.services);
  const dump = JSON.stringify(items);
  bump(scan, 'stored items scanned', items.length);
  bump(scan, 'raw keys issued', issued.size);
  for (const k of issued) if (dump.includes(k)) bump(scan, 'raw keys found in stored items');
  for (const k of issued) {
    if (bodies.some((b) => b.includes(k) && !b.includes('"setupScript"'))) bump(scan, 'raw keys in a response other than the one creating it');
  }
  bump(scan, 'Slack payloads scanned', harness.slack.calls.length);

  await harness.stop();
  const print = (title: string, t: Tally, zeroes: string[]) => {
    console.log(`\n${title}`);
    for (const z of zeroes) t[z] ??= 0;
    for (const [k, v] of Object.entries(t)) console.log(`  ${k.padEnd(58)} ${v}`);
  };
  print(`Fuzzing (${RUNS} requests, seed ${process.env.HOSTILE_SEED ?? 2026})`, fuzz, ['5xx', 'error shape violations', 'echoed keys']);
  print('Authorization matrix (SPEC §3)', matrix, ['violations', '5xx']);
  for (const v of found.slice(0, 20)) console.log(`    - ${v}`);
  print('Slack replays', slack, ['future-dated accepted (HTTP 2xx)']);
  print('Secrets', scan, ['raw keys found in stored items', 'raw keys in a response other than the one creating it']);
  const violations =
    (fuzz['5xx'] ?? 0) + (fuzz['error shape violations'] ?? 0) + (fuzz['echoed keys'] ?? 0) + (matrix.violations ?? 0) + (matrix['5xx'] ?? 0) +
    Math.max(0, (slack['keys created by the replayed command'] ?? 0) - 1) + (slack['keys created by the future-dated command'] ?? 0) +
    (scan['raw keys found in stored items'] ?? 0) + (scan['raw keys in a response other than the one creating it'] ?? 0);

  // ── 5. issues 19 and 23: money, claims, local doors, URLs and cookies, storage faults (each on a stack of its own) ──
  let more = 0;
  for (const [title, run] of [
    ['Money: stream cut points and the over-service bound', hostileMoney],
    ['Claims and the leak guard', hostileClaims],
    ['Local doors and keep-alive reuse', hostileDoors],
    ['Keys in URLs, tossed cookies, forged hosts', hostileUrls],
    ['Webhooks: SSRF, authority, secrets in events', hostileWebhooks],
    ['Storage faults at scale: answers lost after the write, a throttled store', hostileStorage],
  ] as const) {
    const { figures, violations: found } = await run();
    console.log(`\n${title}`);
    for (const [k, v] of Object.entries(figures)) console.log(`  ${k.padEnd(58)} ${v}`);
    if (!('violations' in figures)) console.log(`  ${'violations'.padEnd(58)} ${found.length}`);
    for (const v of found.slice(0, 20)) console.log(`    - ${v}`);
    more += found.length;
  }
  const total = violations + more;
  const seconds = (performance.now() - started) / 1000;
  console.log(`\nTotal violations: ${total}   (${seconds.toFixed(1)} s)`);
}

await main();
process.exit(0);
