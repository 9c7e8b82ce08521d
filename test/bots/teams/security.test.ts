import https from 'node:https';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { teamsMount } from '../../../bots/teams';
import { checksum, generateKey } from '../../../lambdas/core/key-format';
import { findKeysInText } from '../../../lambdas/core/key-scan';
import { startTestStack } from '../../support/local-stack';
import { apiRequests, logLines } from '../log-lines';
import { ADMIN, CHANNEL, USER, executeAction, message, personalChat } from './activities';
import { cardOf, cardText, keysOutsidePersonalChats, useTeamsHarness } from './harness';

/**
 * The Teams edge's security promises: Bot Framework JWTs when an app id is set (failing closed
 * without network), the leak guard (live keys only, checksum first), and no key value in any
 * channel reply or log line.
 */
describe('leak guard (Emulator mode stack)', () => {
  const h = useTeamsHarness();

  async function liveKey(name: string): Promise<{ id: string; key: string; start: string }> {
    const res = await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name, type: 'viewer' } });
    expect(res.status).toBe(201);
    return { id: res.body.id, key: res.body.key, start: res.body.start };
  }

  it('a live key pasted in a channel (no mention needed) is revoked at once: the notice in the thread says so, the poster is told privately', async () => {
    const leaked = await liveKey('pasted-by-admin');
    const posted = message({ serviceUrl: h.serviceUrl, text: `here is the prod key ${leaked.key} for the deploy job`, mention: false });
    expect((await h.send(posted)).status).toBe(200);

    await h.connector.waitFor(() => h.connector.in(CHANNEL.id).length >= 1 && h.connector.in(personalChat(ADMIN).id).length >= 1);
    const [notice] = h.connector.in(CHANNEL.id);
    expect(notice!.activityId).toBe(posted.id);
    const card = cardOf(notice!);
    expect(cardText(card)).toContain('API key posted — revoked');
    expect(cardText(card)).toContain('It has been revoked: it no longer works');
    expect(cardText(card)).toContain(`${leaked.start}…`);
    expect(card.actions).toBeUndefined();
    expect(JSON.stringify(notice)).not.toContain(leaked.key);

    const [alert] = h.connector.in(personalChat(ADMIN).id);
    expect(cardText(cardOf(alert!))).toContain('You posted a Keywarden API key in a conversation. It has been revoked');
    expect(cardOf(alert!).actions).toBeUndefined();
    expect(findKeysInText(JSON.stringify(alert))).toEqual([]);

    // Stopped before anyone clicked anything; where it leaked names the conversation and the message.
    expect(await h.stack.json('/v1/models', { key: leaked.key })).toMatchObject({ status: 401, body: { error: { code: 'key_revoked' } } });
    const key = (await h.stack.json(`/v1/keys/${leaked.id}`, { key: h.stack.adminKey })).body;
    expect(key.exposure).toMatchObject({ source: 'chat', location: `https://teams.microsoft.com/l/message/${encodeURIComponent(CHANNEL.id)}/${encodeURIComponent(posted.id!)}` });
  });

  it('posted by a non-admin: the poster and each admin are told privately that it was revoked (no button)', async () => {
    const leaked = await liveKey('pasted-by-user');
    await h.send(message({ serviceUrl: h.serviceUrl, from: USER, text: `try ${leaked.key}`, mention: false }));
    await h.connector.waitFor(() => h.connector.in(personalChat(USER).id).length >= 1 && h.connector.in(personalChat(ADMIN).id).length >= 1);

    const [posterAlert] = h.connector.in(personalChat(USER).id);
    expect(cardText(cardOf(posterAlert!))).toContain('You posted a Keywarden API key');
    expect(cardOf(posterAlert!).actions).toBeUndefined();

    const adminChat = h.connector.created.find((c) => c.id === personalChat(ADMIN).id)!;
    expect(adminChat.params).toMatchObject({ isGroup: false, members: [{ id: 'aad-admin', aadObjectId: 'aad-admin' }], tenantId: 'tenant1' });
    const [adminAlert] = h.connector.in(personalChat(ADMIN).id);
    expect(cardText(cardOf(adminAlert!))).toContain(`posted in a conversation by Uma User (teams:tenant1:aad-user). It has been revoked`);
    expect(cardOf(adminAlert!).actions).toBeUndefined();
    expect((await h.stack.call('/v1/models', { key: leaked.key })).status).toBe(401);
  });

  describe('sees keys as people see them: the poster and the admins are told', () => {
    const shapes: [string, (key: string) => { text: string; attachments?: unknown[] }][] = [
      ['in HTML italics (Teams sends formatted text as HTML)', (key) => ({ text: `<p>the token is <em>${key}</em></p>` })],
      ['in markdown italics', (key) => ({ text: `the token is _${key}_ (and **bold**)` })],
      ['broken by tags inside it', (key) => ({ text: `<p>${key.slice(0, 8)}<span style="color:red">${key.slice(8, 20)}</span>${key.slice(20)}</p>` })],
      ['with zero-width characters inside', (key) => ({ text: `${key.slice(0, 7)}\u200b${key.slice(7, 30)}\ufeff${key.slice(30)}` })],
      ['split across lines', (key) => ({ text: `<p>${key.slice(0, 20)}<br>${key.slice(20)}</p>` })],
      ['only in the text/html attachment', (key) => ({ text: 'see attached', attachments: [{ contentType: 'text/html', content: `<div><i>${key}</i></div>` }] })],
      ['after six other checksum-passing strings', (key) => ({ text: [...Array.from({ length: 6 }, () => generateKey()), key].join('\n') })],
    ];
    for (const [shape, write] of shapes) {
      it(shape, async () => {
        const leaked = await liveKey(`teams shape ${shape.slice(0, 20)}`);
        const { text, attachments } = write(leaked.key);
        await h.send({ ...message({ serviceUrl: h.serviceUrl, from: USER, text, mention: false }), ...(attachments ? { attachments } : {}) });
        await h.connector.waitFor(() => h.connector.in(personalChat(USER).id).length >= 1 && h.connector.in(personalChat(ADMIN).id).length >= 1);
        expect(cardText(cardOf(h.connector.in(personalChat(USER).id)[0]!))).toContain(`${leaked.start}…`);
        expect(cardText(cardOf(h.connector.in(personalChat(ADMIN).id)[0]!))).toContain(`${leaked.start}…`);
        expect(keysOutsidePersonalChats(h)).toEqual([]);
        expect(JSON.stringify(h.connector.history)).not.toContain(leaked.key);
      });
    }
  });

  it('look-alike text that fails the checksum is ignored offline: no reply, no report', async () => {
    const body = `archie_${randomBytes(16).toString('hex').slice(0, 22)}`;
    const good = checksum(body);
    const wrong = `${good.slice(0, 5)}${good[5] === 'A' ? 'B' : 'A'}`;
    const lookAlike = body + wrong;
    expect(findKeysInText(lookAlike)).toEqual([]);
    const before = h.output.text().length;
    await h.send(message({ serviceUrl: h.serviceUrl, text: `not a key: ${lookAlike}`, mention: false }));
    await new Promise((r) => setTimeout(r, 300));
    expect(h.connector.calls).toEqual([]);
    const afterLookAlike = h.output.text().length;
    // The control: the same text with the checksum right is checked, and the capture shows that
    // call — so the absence of one for the look-alike is not an empty capture's doing.
    await h.send(message({ serviceUrl: h.serviceUrl, text: `not a key: ${body}${good}`, mention: false }));
    await h.connector.waitFor(() => apiRequests(h.output.text().slice(afterLookAlike)).includes('POST /v1/bots/leaks 200'));
    expect(h.connector.calls).toEqual([]); // well-formed, but no key of this project: nothing to say
    expect(h.output.text().slice(before, afterLookAlike)).not.toContain('/v1/bots/leaks');
  });

  it('a revoked key posted in a channel is not alerted (not live)', async () => {
    const old = await liveKey('already-dead');
    await h.stack.json(`/v1/keys/${old.id}/revoke`, { key: h.stack.adminKey, body: {} });
    await h.send(message({ serviceUrl: h.serviceUrl, text: old.key, mention: false }));
    await new Promise((r) => setTimeout(r, 300));
    expect(h.connector.calls).toEqual([]);
  });

  it('a channel message without a mention and without a key gets no answer', async () => {
    await h.send(message({ serviceUrl: h.serviceUrl, text: 'lunch anyone?', mention: false }));
    await new Promise((r) => setTimeout(r, 200));
    expect(h.connector.calls).toEqual([]);
  });

  it('in Emulator mode the bot sends replies without an app token', async () => {
    await h.send(message({ serviceUrl: h.serviceUrl, text: 'help' }));
    await h.connector.waitFor((calls) => calls.length > 0);
    expect(h.connector.calls[0]!.authorization).toBeUndefined();
  });

  it('a non-JSON or typeless body is a 400, GET is a 405', async () => {
    expect((await fetch(`${h.stack.url}/api/messages`, { method: 'POST', body: 'nope' })).status).toBe(400);
    expect((await h.send({ text: 'no type' })).status).toBe(400);
    expect((await fetch(`${h.stack.url}/api/messages`)).status).toBe(405);
  });

  it('no key value appeared in any channel reply or log line', async () => {
    // A leak of its own, so the scan always has a channel notice, alerts and log lines to read.
    const leaked = await liveKey('scanned-for');
    await h.send(message({ serviceUrl: h.serviceUrl, text: `deploying with ${leaked.key}`, mention: false }));
    await h.connector.waitFor(() => h.connector.in(CHANNEL.id).length >= 1 && h.connector.in(personalChat(ADMIN).id).length >= 1);
    const notices = h.connector.history.filter((c) => c.conversationId === CHANNEL.id).map((c) => cardText(cardOf(c)));
    expect(notices).toContainEqual(expect.stringContaining(`${leaked.start}…`));
    const logs = h.output.text();
    expect(apiRequests(logs)).toContain('POST /v1/bots/leaks 200');
    expect(logLines(logs)).toContainEqual(expect.objectContaining({ message: 'teams: live key posted in a conversation', keys: [leaked.id] }));

    expect(keysOutsidePersonalChats(h)).toEqual([]);
    expect(findKeysInText(logs)).toEqual([]);
    expect(logs).not.toContain(leaked.key);
  });
});

describe('with TEAMS_APP_ID set, Bot Framework JWTs are required', () => {
  const appId = randomUUID();
  /** Outbound HTTPS attempts (the OpenID metadata fetch); they fail at once, as with no network. */
  const outbound: string[] = [];
  const realRequest = https.request;

  // Registered before the harness: no network from before the start to after the close.
  beforeAll(() => {
    (https as { request: unknown }).request = (...args: unknown[]) => {
      const target = args[0];
      outbound.push(typeof target === 'string' ? new URL(target).host : target instanceof URL ? target.host : String((target as { hostname?: string; host?: string }).hostname ?? (target as { host?: string }).host));
      throw new Error('no network in tests');
    };
  });
  afterAll(() => {
    (https as { request: unknown }).request = realRequest;
  });
  const h = useTeamsHarness({ TEAMS_APP_ID: appId, TEAMS_APP_PASSWORD: 'x' });
  beforeEach(() => {
    outbound.length = 0;
  });

  it('no Authorization header: 401, no turn, no outbound call', async () => {
    const res = await h.send(message({ serviceUrl: h.serviceUrl, text: 'create sneaky' }));
    expect(res.status).toBe(401);
    expect(outbound).toEqual([]);
    expect(h.connector.history).toEqual([]);
    expect((await h.stack.json('/v1/keys?search=sneaky', { key: h.stack.adminKey })).body.data).toEqual([]);
  });

  it('a bearer token that is not a Bot Framework JWT: 401 without any outbound call', async () => {
    for (const token of ['garbage', `${b64({ alg: 'none' })}.${b64({ iss: 'https://evil.example' })}.`]) {
      const res = await h.send(message({ serviceUrl: h.serviceUrl, text: 'list' }), { authorization: `Bearer ${token}` });
      expect(res.status).toBe(401);
    }
    expect(outbound).toEqual([]);
    expect(h.connector.history).toEqual([]);
  });

  it('a forged JWT with the Bot Framework issuer: 401 — the signing-key fetch fails closed', async () => {
    const now = Math.floor(Date.now() / 1000);
    const forged = [
      b64({ alg: 'RS256', typ: 'JWT', kid: 'forged-kid' }),
      b64({ iss: 'https://api.botframework.com', aud: appId, serviceurl: h.serviceUrl, nbf: now - 60, exp: now + 3600 }),
      randomBytes(256).toString('base64url'),
    ].join('.');
    const res = await h.send(message({ serviceUrl: h.serviceUrl, text: 'create sneaky' }), { authorization: `Bearer ${forged}` });
    expect(res.status).toBe(401);
    // The only attempt was botbuilder fetching the Bot Framework OpenID metadata.
    expect(outbound.length).toBeGreaterThan(0);
    expect(outbound.every((host) => host === 'login.botframework.com')).toBe(true);
    expect(h.connector.history).toEqual([]);
  });

  it('an Emulator-looking activity is no way around it', async () => {
    const activity = { ...message({ serviceUrl: h.serviceUrl, text: 'whoami' }), channelId: 'emulator' };
    expect((await h.send(activity)).status).toBe(401);
    expect(h.connector.history).toEqual([]);
  });
});

describe('configuration', () => {
  it('TEAMS_APP_ID without TEAMS_APP_PASSWORD fails loudly, naming the variable', async () => {
    await expect(startTestStack({ TEAMS_APP_ID: randomUUID() }, { '/api/messages': teamsMount })).rejects.toThrow('TEAMS_APP_PASSWORD is required when TEAMS_APP_ID is set');
  });
});

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

