import { describe, expect, it } from 'vitest';
import { LOCAL_MODEL_LABEL } from '../../../lambdas/adapters/local-model';
import { findKeysInText } from '../../../lambdas/core/key-scan';
import { apiRequests, logLines } from '../log-lines';
import { ADMIN, CHANNEL, USER, message, personalChat } from './activities';
import { useTeamsHarness } from './harness';

/**
 * End users chat with the bot: a mention (or a 1:1 message) that is not a command goes to
 * /v1/responses with the bot's viewer key — here answered by the local model — and the answer is
 * a reply to the message. Out of credits and rate limits are said plainly.
 */
const h = useTeamsHarness();

async function ask(text: string, options: Partial<Parameters<typeof message>[0]> = {}) {
  const activity = message({ serviceUrl: h.serviceUrl, text, from: USER, ...options });
  expect((await h.send(activity)).status).toBe(200);
  const conversationId = activity.conversation.id;
  await h.connector.waitFor(() => h.connector.in(conversationId).length > 0);
  return { asked: activity, reply: h.connector.in(conversationId)[0]! };
}

describe('end-user chat', () => {
  it('a mention in a channel that is not a command is answered by the model, in reply to the message', async () => {
    const { asked, reply } = await ask('what can you do for our support team?');
    expect(reply.activityId).toBe(asked.id);
    expect(reply.activity.replyToId).toBe(asked.id);
    expect(reply.activity.text).toContain(LOCAL_MODEL_LABEL);
    expect(reply.activity.text).toContain('You asked: what can you do for our support team?');
    // The mention markup is not part of the question.
    expect(reply.activity.text).not.toContain('<at>');
  });

  it('a message in the 1:1 chat is a question too, no mention needed', async () => {
    const { reply } = await ask('hello there', { conversation: personalChat(USER) });
    expect(reply.activity.text).toContain('You asked: hello there');
  });

  it('a question carrying something key-shaped is not forwarded to the model', async () => {
    const before = h.output.text().length;
    const { reply } = await ask(`is archie_${'a'.repeat(28)} valid?`, { conversation: personalChat(ADMIN), from: ADMIN });
    expect(reply.activity.text).toContain('looks like an API key');
    const logged = h.output.text().slice(before);
    // The capture holds this turn (so the check below can fail) …
    expect(logLines(logged)).toContainEqual(expect.objectContaining({ message: 'teams: message answered', reply: 'text' }));
    // … and no call to the model is among it.
    expect(logged).not.toContain('/v1/responses');
  });

  it('out of credits is said plainly', async () => {
    const account = await h.stack.services.operator.getAccount(h.stack.bootstrap.accountId);
    await h.stack.services.operator.adjustCredits(account.id, -account.credits);
    try {
      const { reply } = await ask('are you there?');
      expect(reply.activity.text).toContain('the account is out of credits');
    } finally {
      await h.stack.services.operator.adjustCredits(account.id, account.credits);
    }
  });

  it('rate-limited is said plainly, with when to retry', async () => {
    // Give the bot's viewer key a limit of one request an hour (test setup through the store; the bot itself only ever uses /v1).
    const { store } = h.stack.services;
    const keys = await store.listKeys(h.stack.bootstrap.projectId, { limit: 100 });
    const botKey = keys.items.find((k) => k.name === 'Teams bot viewer key')!;
    await store.deleteKey(botKey.id);
    expect(await store.putKey({ ...botKey, rateLimit: { limit: 1, windowSeconds: 3600 } })).toBe(true);
    try {
      await ask('first');
      h.connector.reset();
      const { reply } = await ask('second');
      expect(reply.activity.text).toMatch(/rate-limited; try again in \d+ s/);
    } finally {
      // The key as it was, so no other test depends on running before this one.
      await store.deleteKey(botKey.id);
      await store.putKey(botKey);
    }
  });
});

describe('channel replies', () => {
  it('carry no key value and no log line does', async () => {
    // A chat of its own, so the scan below always has a channel reply and its log lines to read.
    await ask('anything to scan?');
    const inChannel = h.connector.history.filter((c) => c.conversationId === CHANNEL.id);
    expect(inChannel.map((c) => c.activity.text)).toContainEqual(expect.stringContaining('You asked: anything to scan?'));
    const logs = h.output.text();
    expect(apiRequests(logs)).toContain('POST /v1/responses 200');
    expect(logLines(logs)).toContainEqual(expect.objectContaining({ message: 'teams: message answered', reply: 'chat_answer' }));

    expect(inChannel.flatMap((c) => findKeysInText(JSON.stringify(c)))).toEqual([]);
    expect(findKeysInText(logs)).toEqual([]);
    expect(logs).not.toContain(h.stack.secrets.botViewerKeys!.teams);
  });
});
