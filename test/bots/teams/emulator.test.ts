import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { findKeysInText } from '../../../lambdas/core/key-format';
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
