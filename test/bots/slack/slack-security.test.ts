import { beforeAll, describe, expect, it } from 'vitest';
import { signAssertion } from '../../../lambdas/core/actor-assertion';
import { deliveryClaimId, signDeliveryClaim } from '../../../lambdas/core/delivery-claim';
import { apiRequests } from '../log-lines';
import { ADMIN, SIGNING_SECRET, sign, useSlackHarness } from './slack-harness';

/** Request signatures, and the API's own refusal of a viewer key without a valid person assertion. */
describe('Slack edge security', () => {
  const h = useSlackHarness();

  const commandBody = () => new URLSearchParams({
    team_id: 'T1',
    user_id: 'UADMIN',
    channel_id: 'C1',
    command: '/apikeys',
    text: 'create forged',
    response_url: h.slack.responseUrl('security'),
    trigger_id: 't',
  }).toString();
  const form = 'application/x-www-form-urlencoded';

  it('a correctly signed request is accepted (control)', async () => {
    const res = await h.post(commandBody().replace('create+forged', 'help'), form);
    expect(res.status).toBe(200);
    expect(JSON.stringify((await h.answer('security')).body)).toContain('Keywarden commands');
  });

  it('refuses a forged signature, a wrong secret, a missing signature and a stale timestamp with 401', async () => {
    const body = commandBody();
    const before = h.slack.calls.length;
    const now = Math.floor(Date.now() / 1000);
    expect((await h.post(body, form, { signature: `v0=${'0'.repeat(64)}` })).status).toBe(401);
    expect((await h.post(body, form, { secret: 'not-the-signing-secret' })).status).toBe(401);
    expect((await h.post(body, form, { signature: 'v1=abc' })).status).toBe(401);
    // Signed correctly, but more than 5 minutes old: a replay.
    const old = now - 6 * 60;
    expect((await h.post(body, form, { timestamp: old, signature: sign(SIGNING_SECRET, old, body) })).status).toBe(401);
    // A valid signature over a different body.
    expect((await h.post(`${body}x`, form, { timestamp: now, signature: sign(SIGNING_SECRET, now, body) })).status).toBe(401);
    const events = JSON.stringify({ type: 'event_callback', team_id: 'T1', event: { type: 'app_mention', user: 'UADMIN', text: '<@UBOT> hi', channel: 'C1', ts: '1.1' } });
    expect((await h.post(events, 'application/json', { secret: 'nope' })).status).toBe(401);
    await new Promise((r) => setTimeout(r, 200));
    expect(h.slack.calls.length).toBe(before);
    const keys = (await h.stack.json('/v1/keys?search=forged', { key: h.stack.adminKey })).body.data;
    expect(keys).toEqual([]);
  });

  describe('each request runs at most once', () => {
    const replaysLogged = () => h.output.text().split('slack replay ignored').length - 1;
    /** The work runs after the ack (ack first, work after): wait until the guard has logged `n` more replays. */
    const replaysLoggedSince = async (before: number, n: number) => {
      const deadline = Date.now() + 5_000;
      while (replaysLogged() - before < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      return replaysLogged() - before;
    };
    const keysNamed = async (name: string) =>
      ((await h.stack.json(`/v1/keys?search=${encodeURIComponent(name)}`, { key: h.stack.adminKey })).body.data as { name: string }[]).filter((k) => k.name === name);
    /** A later request's answer: anything the earlier ones were going to post is in by then. */
    const settle = async () => h.answer((await h.command('help')).responseId);

    it('a signed create replayed 3 times creates one key and answers its response_url once', async () => {
      const body = h.commandForm('create replayed once', 'replay-create');
      const timestamp = Math.floor(Date.now() / 1000);
      const signature = sign(SIGNING_SECRET, timestamp, body);
      const logged = replaysLogged();
      for (let i = 0; i < 4; i++) {
        const res = await h.post(body, form, { timestamp, signature });
        expect(res.status).toBe(200);
        expect(await res.text()).toBe('');
      }
      // Acked at once; the guard, which runs right after, recognises all three.
      expect(await replaysLoggedSince(logged, 3)).toBe(3);
      await h.answer('replay-create');
      await settle();
      expect(h.slack.responses('replay-create')).toHaveLength(1);
      expect(await keysNamed('replayed once')).toHaveLength(1);
    });

    it('a replay cannot dodge the claim by decorating the signature header', async () => {
      const body = h.commandForm('create decorated replay', 'replay-decorated');
      const timestamp = Math.floor(Date.now() / 1000);
      const signature = sign(SIGNING_SECRET, timestamp, body);
      expect((await h.post(body, form, { timestamp, signature })).status).toBe(200);
      await h.answer('replay-decorated');
      // Bolt verifies only what follows the first '=': this still passes its signature check.
      const logged = replaysLogged();
      expect((await h.post(body, form, { timestamp, signature: `${signature}=again` })).status).toBe(200);
      expect(await replaysLoggedSince(logged, 1)).toBe(1);
      await settle();
      expect(await keysNamed('decorated replay')).toHaveLength(1);
    });

    it('refuses a correctly signed request dated an hour ahead (401), and runs nothing', async () => {
      const future = Math.floor(Date.now() / 1000) + 3600;
      const body = h.commandForm('create from the future', 'future');
      const res = await h.post(body, form, { timestamp: future, signature: sign(SIGNING_SECRET, future, body) });
      expect(res.status).toBe(401);
      await settle();
      expect(h.slack.responses('future')).toEqual([]);
      expect(await keysNamed('from the future')).toEqual([]);
    });

    it('accepts a timestamp up to 60 s ahead (clock skew)', async () => {
      const ahead = Math.floor(Date.now() / 1000) + 30;
      const body = h.commandForm('whoami', 'skewed');
      const res = await h.post(body, form, { timestamp: ahead, signature: sign(SIGNING_SECRET, ahead, body) });
      expect(res.status).toBe(200);
      expect(JSON.stringify((await h.answer('skewed')).body)).toContain(ADMIN);
    });
  });

  it('POST /v1/bots/deliveries: only a bot claims (403 for any other key), a replay is 409, claims are per key and project', async () => {
    const secret = h.stack.secrets.botAssertion.current;
    const viewer = h.stack.secrets.botViewerKeys!.slack;
    const viewerId = (await h.stack.json('/v1/me', { key: viewer })).body.id as string;
    const id = deliveryClaimId(secret, `delivery-route-${Date.now()}`);
    const proof = signDeliveryClaim(secret, viewerId, id);
    expect(await h.stack.json('/v1/bots/deliveries', { key: viewer, body: { id, proof } })).toMatchObject({ status: 200, body: { claimed: true } });
    expect(await h.stack.json('/v1/bots/deliveries', { key: viewer, body: { id, proof } })).toMatchObject({ status: 409, body: { error: { code: 'conflict', type: 'conflict_error' } } });
    // Another key of the project is not a bot: refused, with or without the bot's proof.
    for (const body of [{ id }, { id, proof }]) {
      expect(await h.stack.json('/v1/bots/deliveries', { key: h.stack.adminKey, body })).toMatchObject({ status: 403, body: { error: { code: 'insufficient_permissions' } } });
    }
    const other = await h.stack.services.operator.createProject({ accountId: h.stack.bootstrap.accountId, name: 'other', actor: 'operator:test' });
    const otherId = (await h.stack.json('/v1/me', { key: other.automator.secret })).body.id as string;
    expect((await h.stack.json('/v1/bots/deliveries', { key: other.automator.secret, body: { id, proof: signDeliveryClaim(secret, otherId, id) } })).status).toBe(200);

    expect((await h.stack.json('/v1/bots/deliveries', { key: viewer, body: { id: id.toUpperCase(), proof } })).status).toBe(400);
    expect((await h.stack.json('/v1/bots/deliveries', { key: viewer, body: { id, proof, more: 1 } })).status).toBe(400);
    expect((await h.stack.json('/v1/bots/deliveries', { body: { id, proof } })).status).toBe(401);
    const doc = (await h.stack.json('/v1/openapi.json')).body;
    expect(doc.paths['/bots/deliveries'].post.responses).toHaveProperty('409');
    expect(doc.paths['/bots/deliveries'].post.responses).toHaveProperty('403');
  });

  describe('the viewer key alone cannot change keys', () => {
    let viewerKey: string;
    let viewerKeyId: string;
    let targetId: string;
    const secret = () => h.stack.secrets.botAssertion.current;

    beforeAll(async () => {
      viewerKey = h.stack.secrets.botViewerKeys!.slack;
      viewerKeyId = (await h.stack.json('/v1/me', { key: viewerKey })).body.id;
      targetId = (await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name: 'target' } })).body.id;
    });

    const attempts = (assertion?: string) => {
      const headers: Record<string, string> = assertion ? { 'x-keywarden-actor': assertion } : {};
      return [
        h.stack.json('/v1/keys', { key: viewerKey, body: { name: 'from viewer' }, headers }),
        h.stack.json(`/v1/keys/${targetId}/rotate`, { key: viewerKey, body: {}, headers }),
        h.stack.json(`/v1/keys/${targetId}/revoke`, { key: viewerKey, body: {}, headers }),
        h.stack.json(`/v1/keys/${targetId}`, { key: viewerKey, method: 'DELETE', headers }),
      ];
    };

    const expectUnchanged = async () => {
      expect((await h.stack.json(`/v1/keys/${targetId}`, { key: h.stack.adminKey })).body).toMatchObject({ status: 'active', replacedBy: null });
      expect((await h.stack.json('/v1/keys?search=from%20viewer', { key: h.stack.adminKey })).body.data).toEqual([]);
    };

    it('no assertion', async () => {
      for (const res of await Promise.all(attempts())) expect(res.status).toBe(403);
      await expectUnchanged();
    });

    it('an assertion signed with another secret', async () => {
      for (const res of await Promise.all(attempts(signAssertion('guessed-secret', { sub: ADMIN, bot: 'slack', kid: viewerKeyId })))) {
        expect(res.status).toBe(403);
      }
      await expectUnchanged();
    });

    it('an expired assertion', async () => {
      const tenMinutesAgo = Date.now() - 10 * 60_000;
      for (const res of await Promise.all(attempts(signAssertion(secret(), { sub: ADMIN, bot: 'slack', kid: viewerKeyId }, tenMinutesAgo)))) {
        expect(res.status).toBe(403);
      }
      await expectUnchanged();
    });

    it('a tampered assertion (claims edited to another person)', async () => {
      const genuine = signAssertion(secret(), { sub: 'slack:T1:UMEMBER', bot: 'slack', kid: viewerKeyId });
      const [, payload, mac] = genuine.split('.');
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
      const edited = Buffer.from(JSON.stringify({ ...claims, sub: ADMIN })).toString('base64url');
      for (const res of await Promise.all(attempts(`v1.${edited}.${mac}`))) expect(res.status).toBe(403);
      await expectUnchanged();
    });

    it('a replayed assertion works once at most', async () => {
      const once = signAssertion(secret(), { sub: ADMIN, bot: 'slack', kid: viewerKeyId });
      const first = await h.stack.json('/v1/keys', { key: viewerKey, body: { name: 'replay check' }, headers: { 'x-keywarden-actor': once } });
      expect(first.status).toBe(201);
      const second = await h.stack.json('/v1/keys', { key: viewerKey, body: { name: 'replay check' }, headers: { 'x-keywarden-actor': once } });
      expect(second.status).toBe(403);
    });
  });

  it('no key value reaches the logs', async () => {
    // A request made with the viewer key, here, so the capture always holds one to scan.
    const mark = h.output.text().length;
    await h.answer((await h.command('list')).responseId);
    expect(apiRequests(h.output.text().slice(mark))).toContain('GET /v1/keys 200');
    const logs = h.output.text();
    expect(logs).not.toContain(h.stack.secrets.botViewerKeys!.slack);
    expect(logs).not.toContain(h.stack.adminKey);
  });
});
