import { randomUUID } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAction } from '../../../bots/core';
import { EMULATOR_ADMIN_REFUSAL, EMULATOR_SERVICE_URL_REFUSAL } from '../../../bots/teams/emulator-guard';
import { VERB } from '../../../bots/teams/cards/verbs';
import { findKeysInText } from '../../../lambdas/core/key-scan';
import { ADMIN, executeAction, message, personalChat, post } from './activities';
import { startConnectorStandIn, type ConnectorStandIn } from './connector-stand-in';
import { ADMIN_IDENTITY, cardOf, cardText, startTeamsHarness, type TeamsHarness } from './harness';

/**
 * The documented local flow with the Bot Framework Emulator (docs/teams.md): no app id, channelId
 * `emulator`, no tenant or AAD object id — the identity is teams:emulator:<user id>.
 */
let h: TeamsHarness;
beforeAll(async () => {
  h = await startTeamsHarness({ KEYWARDEN_ADMINS: `${ADMIN_IDENTITY},teams:emulator:emu-admin` });
});
afterAll(async () => {
  await h?.close();
});

function emulatorMessage(text: string, userId: string) {
  return {
    type: 'message',
    id: randomUUID(),
    timestamp: new Date().toISOString(),
    channelId: 'emulator',
    serviceUrl: h.connector.url,
    from: { id: userId, name: 'User', role: 'user' },
    recipient: { id: 'emulator-bot', name: 'Bot', role: 'bot' },
    conversation: { id: `${randomUUID()}|livechat` },
    text,
    textFormat: 'plain',
  };
}

it('whoami shows the Emulator identity; a registered Emulator admin creates a key, shown in the Emulator chat', async () => {
  const who = emulatorMessage('whoami', 'emu-admin');
  expect((await h.send(who)).status).toBe(200);
  await h.connector.waitFor(() => h.connector.in(who.conversation.id).length > 0);
  expect(cardText(cardOf(h.connector.in(who.conversation.id)[0]!))).toContain('Identity: teams:emulator:emu-admin');

  const create = emulatorMessage('create emulator-made', 'emu-admin');
  await h.send(create);
  await h.connector.waitFor(() => h.connector.in(create.conversation.id).length >= 2);
  expect(h.connector.created).toEqual([]);
  expect(findKeysInText(JSON.stringify(h.connector.in(create.conversation.id)[0]))).toHaveLength(1);
});

it('another Emulator user is not an admin', async () => {
  const create = emulatorMessage('create nope', 'someone-else');
  await h.send(create);
  await h.connector.waitFor(() => h.connector.in(create.conversation.id).length > 0);
  expect(h.connector.in(create.conversation.id)[0]!.activity.text).toContain('only admins of this project');
});

/**
 * Emulator mode has no authentication, so admin actions run only for a server bound to loopback,
 * a request from loopback (not through a proxy), and a loopback serviceUrl (bots/teams/emulator-guard.ts).
 * Off-machine cases need an address of this machine that is not loopback.
 */
const lanAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

/** A forged activity claiming the registered Teams admin's identity (tenant1/aad-admin). */
const asAdmin = (serviceUrl: string, text: string) => message({ serviceUrl, text, conversation: personalChat(ADMIN) });
const keysNamed = async (stack: TeamsHarness['stack'], name: string) =>
  ((await stack.json(`/v1/keys?search=${encodeURIComponent(name)}`, { key: stack.adminKey })).body.data as { name: string }[]).filter((k) => k.name === name);

it('a request through a proxy or tunnel (forwarding headers) is refused admin actions even from loopback', async () => {
  const create = asAdmin(h.connector.url, 'create tunnelled key');
  await h.send(create, { 'x-forwarded-for': '203.0.113.7' });
  await h.connector.waitFor(() => h.connector.in(create.conversation.id).length > 0);
  expect(h.connector.in(create.conversation.id)[0]!.activity.text).toBe(EMULATOR_ADMIN_REFUSAL);
  expect(await keysNamed(h.stack, 'tunnelled key')).toEqual([]);
});

describe.skipIf(!lanAddress)('Emulator mode off this machine', () => {
  let lan: ConnectorStandIn;
  beforeAll(async () => {
    lan = await startConnectorStandIn(lanAddress);
  });
  afterAll(async () => {
    await lan?.close();
  });

  it('a serviceUrl off this machine is not processed at all: no key, no admin button, no request sent there (403)', async () => {
    const create = asAdmin(lan.url, 'create stolen key --type privileged');
    const refused = await h.send(create);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: EMULATOR_SERVICE_URL_REFUSAL });
    expect(await keysNamed(h.stack, 'stolen key')).toEqual([]);

    const target = (await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name: 'emulator target' } })).body;
    const click = await h.send(
      executeAction({ serviceUrl: lan.url, verb: VERB.confirm, data: { verb: VERB.confirm, action: encodeAction({ v: 1, op: 'revoke', keyId: target.id, origin: 'confirm', iat: Math.floor(Date.now() / 1000) }) } }),
    );
    expect(click.status).toBe(403);
    expect((await h.stack.json(`/v1/keys/${target.id}`, { key: h.stack.adminKey })).body.status).toBe('active');

    expect((await h.send(asAdmin(lan.url, 'whoami'))).status).toBe(403);
    // Nothing was ever posted to the sender's URL.
    expect(JSON.parse(lan.transcript())).toEqual({ history: [], created: [] });
  });

  describe('a server bound to every interface (HOST=0.0.0.0)', () => {
    let open: TeamsHarness;
    beforeAll(async () => {
      open = await startTeamsHarness({ HOST: '0.0.0.0' });
    });
    afterAll(async () => {
      await open?.close();
    });

    it('refuses admin actions from loopback, and the network does not get through the door at all', async () => {
      const port = new URL(open.stack.url).port;
      const local = asAdmin(open.connector.url, 'create open local');
      await post(`http://127.0.0.1:${port}`, local);
      // Addressed to a name that is not loopback: refused before anything is read (lambdas/local/local-door.ts).
      const remote = asAdmin(open.connector.url, 'create open remote');
      const door = await post(`http://${lanAddress}:${port}`, remote);
      expect(door.status).toBe(403);
      expect(door.body.error).toMatchObject({ type: 'permission_error', code: 'insufficient_permissions', param: 'host' });
      await open.connector.waitFor(() => open.connector.in(local.conversation.id).length >= 1);
      for (const call of open.connector.in(local.conversation.id)) expect(call.activity.text).toBe(EMULATOR_ADMIN_REFUSAL);
      expect(await keysNamed(open.stack, 'open local')).toEqual([]);
      expect(await keysNamed(open.stack, 'open remote')).toEqual([]);
    });
  });
});
