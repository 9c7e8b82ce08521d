/**
 * Hostile checks of issue 22's webhooks, for `npm run hostile` (bench/hostile.ts wires it in), on
 * stacks of their own (the real local stack: dynalite, the shipped router, the relay):
 *   - server-side request forgery: URLs naming loopback, private, link-local (cloud metadata),
 *     mapped, reserved, credentialed or plain-http targets, on a stack configured as in AWS (no
 *     loopback allowance): each must be refused, nothing stored;
 *   - authority: keys without webhooks:write, without unfiltered audit:read, viewers, and keys of
 *     another project trying to add, remove or read webhooks: none may;
 *   - secrets: the signing secret in no answer but the one creating it, and no raw key in any
 *     delivered event (a loopback receiver on a second stack that allows it), after every kind of
 *     key change.
 * It returns figures and violations (as sentences); it asserts nothing and prints nothing.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { startTestStack } from '../test/support/local-stack';

export async function hostileWebhooks(): Promise<{ figures: Record<string, string | number>; violations: string[] }> {
  const violations: string[] = [];
  const figures: Record<string, number> = {};
  const count = (name: string, by = 1) => (figures[name] = (figures[name] ?? 0) + by);

  // ── SSRF and authority, on a stack as strict as AWS ──
  const strict = await startTestStack();
  try {
    const hostileUrls = [
      'http://127.0.0.1/', 'https://127.0.0.1/', 'https://127.1/', 'https://2130706433/', 'https://0x7f000001/', 'https://localhost/', 'https://a.localhost/',
      'https://[::1]/', 'https://[::ffff:127.0.0.1]/', 'https://[0:0:0:0:0:ffff:7f00:1]/', 'https://169.254.169.254/latest/meta-data/', 'https://[fd00:ec2::254]/',
      'https://metadata.google.internal/', 'https://10.0.0.1/', 'https://172.16.0.1/', 'https://192.168.0.1/', 'https://100.64.0.1/', 'https://0.0.0.0/',
      'https://224.0.0.1/', 'https://255.255.255.255/', 'https://[fe80::1]/', 'https://[fc00::1]/', 'https://198.18.0.1/', 'https://user:pw@93.184.216.34/',
      'http://93.184.216.34/', 'ftp://93.184.216.34/', 'file:///etc/passwd', 'gopher://93.184.216.34/', 'https://93.184.216.34:0/', '//93.184.216.34/', 'https:/x',
      `https://${'a'.repeat(3000)}.com/`,
    ];
    for (const url of hostileUrls) {
      const res = await strict.json('/v1/webhooks', { key: strict.adminKey, body: { url, events: ['account.credits_low'] } });
      count('SSRF registrations attempted');
      if (res.status >= 500) violations.push(`SSRF ${url}: answered ${res.status}`);
      if (res.status < 300) {
        violations.push(`SSRF ${url}: accepted`);
        await strict.json(`/v1/webhooks/${res.body.id}`, { key: strict.adminKey, method: 'DELETE' });
      }
    }
    const stored = await strict.services.store.listWebhooks(strict.bootstrap.projectId);
    if (stored.length > 0) violations.push(`SSRF: ${stored.length} webhooks stored`);

    const operator = { kind: 'operator' as const, actor: 'hostile', projectId: strict.bootstrap.projectId };
    const mk = async (name: string, input: Record<string, unknown>) => (await strict.services.keys.create(operator, { name, ...input })).secret;
    const actors: Record<string, string> = {
      viewer: await mk('viewer', { type: 'viewer' }),
      'keys:read+write only': await mk('keys', { scopes: ['keys:read', 'keys:write'] }),
      'webhooks only (no audit:read)': await mk('hooks', { scopes: ['webhooks:read', 'webhooks:write'] }),
      'row-filtered audit:read': await mk('filtered', {
        scopes: ['webhooks:write', 'webhooks:read', 'audit:read'],
        roles: [{ name: 'eu', permissions: ['*'], filters: { region: '${context.region}' } }],
        context: { region: 'eu' },
      }),
    };
    const other = await strict.services.operator.createProject({ accountId: strict.bootstrap.accountId, name: 'other', actor: 'hostile' });
    const otherKey = (await strict.services.keys.create({ kind: 'operator', actor: 'hostile', projectId: other.project.id }, { name: 'other admin' })).secret;
    const mine = await strict.json('/v1/webhooks', { key: strict.adminKey, body: { url: 'https://93.184.216.34/hook', events: ['account.credits_low'] } });
    const secret = mine.body.secret as string;
    // What each may do: add needs webhooks:write and unfiltered audit:read; remove, webhooks:write;
    // nobody may touch another project's webhook.
    const may: Record<string, { add: boolean; remove: boolean }> = {
      viewer: { add: false, remove: false },
      'keys:read+write only': { add: false, remove: false },
      'webhooks only (no audit:read)': { add: false, remove: true },
      'row-filtered audit:read': { add: false, remove: true },
    };
    for (const [name, key] of Object.entries(actors)) {
      const added = await strict.json('/v1/webhooks', { key, body: { url: 'https://93.184.216.34/x', events: ['key.revoked'] } });
      count('authority attempts (add, remove, another project’s)');
      if (added.status >= 500) violations.push(`${name} add: answered ${added.status}`);
      if ((added.status < 300) !== may[name]!.add) violations.push(`${name} add: ${added.status}`);
      if (added.status < 300) await strict.json(`/v1/webhooks/${added.body.id}`, { key: strict.adminKey, method: 'DELETE' });
      // Removal of a webhook made for the purpose (the project's own one stays).
      const target = await strict.json('/v1/webhooks', { key: strict.adminKey, body: { url: 'https://93.184.216.34/y', events: ['account.credits_low'] } });
      const removed = await strict.json(`/v1/webhooks/${target.body.id}`, { key, method: 'DELETE' });
      count('authority attempts (add, remove, another project’s)');
      if (removed.status >= 500) violations.push(`${name} remove: answered ${removed.status}`);
      if ((removed.status < 300) !== may[name]!.remove) violations.push(`${name} remove: ${removed.status}`);
      if (removed.status >= 300) await strict.json(`/v1/webhooks/${target.body.id}`, { key: strict.adminKey, method: 'DELETE' });
      for (const res of [added, removed, await strict.json('/v1/webhooks', { key })]) {
        if (JSON.stringify(res.body).includes(secret.slice(6))) violations.push(`${name}: an answer holds the signing secret`);
      }
    }
    for (const [what, path, method] of [
      ['remove', `/v1/webhooks/${mine.body.id}`, 'DELETE'],
      ['read deliveries', `/v1/webhooks/${mine.body.id}/deliveries`, 'GET'],
    ] as const) {
      const res = await strict.json(path, { key: otherKey, method });
      count('authority attempts (add, remove, another project’s)');
      if (res.status !== 404) violations.push(`another project’s admin ${what}: ${res.status}`);
    }
    const still = await strict.services.store.getWebhook(strict.bootstrap.projectId, mine.body.id);
    if (!still) violations.push('another project’s admin removed the webhook');
    if (JSON.stringify(still ?? {}).includes(secret.slice(6))) violations.push('the stored webhook holds its signing secret in the clear');
  } finally {
    await strict.stop();
  }

  // ── No raw key in any delivered event ──
  const local = await startTestStack({ KEYWARDEN_WEBHOOKS_ALLOW_LOOPBACK: '1' });
  const bodies: string[] = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString())).on('end', () => {
      bodies.push(JSON.stringify(req.headers) + body);
      res.writeHead(204).end();
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  try {
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
    const hook = await local.json('/v1/webhooks', { key: local.adminKey, body: { url } });
    if (hook.status !== 201) violations.push(`a loopback receiver could not be registered: ${hook.status} ${JSON.stringify(hook.body)}`);
    const raws = [local.adminKey];
    for (let i = 0; i < 5; i++) {
      const k = await local.json('/v1/keys', { key: local.adminKey, body: { name: `hostile ${i}` } });
      raws.push(k.body.key);
      await local.json(`/v1/keys/${k.body.id}`, { key: local.adminKey, method: 'PATCH', body: { name: `renamed ${i}` } });
      const r = await local.json(`/v1/keys/${k.body.id}/rotate`, { key: local.adminKey, body: {} });
      raws.push(r.body.key);
      await local.json(`/v1/keys/${r.body.id}/report-exposed`, { key: local.adminKey, body: {} });
    }
    await local.idle();
    count('events delivered and searched for raw keys', bodies.length);
    for (const raw of raws) if (bodies.some((b) => b.includes(raw))) violations.push('a delivered event carries a raw key');
    if (bodies.length < 25) violations.push(`only ${bodies.length} of 25 events delivered`);
  } finally {
    receiver.close();
    await local.stop();
  }
  figures.violations = violations.length;
  return { figures, violations };
}
