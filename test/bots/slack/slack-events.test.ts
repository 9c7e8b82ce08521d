import { beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { deliveryClaimId } from '../../../lambdas/core/delivery-claim';
import { checksum, generateKey } from '../../../lambdas/core/key-format';
import { apiRequests } from '../log-lines';
import { ADMIN_USER, CHANNEL, MEMBER_USER, TEAM, buttonValue, keysIn, textOf, useSlackHarness } from './slack-harness';
import type { RecordedCall } from './slack-stand-in';

type ApiCall = Extract<RecordedCall, { kind: 'api' }>;
/** Strings that pass format and checksum but are no key of any project (a pasted env file). */
const lookAlikes = (n: number) => Array.from({ length: n }, () => generateKey());
const isApi = (method: string, where?: (c: ApiCall) => boolean) => (c: RecordedCall): c is ApiCall =>
  c.kind === 'api' && c.method === method && (!where || where(c));

/** Events API: the leak guard on channel messages, and end-user chat through mentions and DMs. */
describe('Slack events', () => {
  const h = useSlackHarness();
  let ts = 1_800_000_000;
  const nextTs = () => `${++ts}.000200`;

  const channelMessage = (text: string, user = MEMBER_USER) =>
    h.event({ type: 'message', channel: CHANNEL, channel_type: 'channel', user, text, ts: nextTs() });
  /** An @mention of the bot in the channel; `from` marks the calls that come after it. */
  const mention = async (text: string, user = MEMBER_USER) => {
    const from = h.slack.calls.length;
    const messageTs = nextTs();
    await h.event({ type: 'app_mention', channel: CHANNEL, user, text: `<@UBOT> ${text}`, ts: messageTs });
    return { from, messageTs };
  };
  /** A mention that is not a command, and the answer the bot posts in the channel. */
  const askInChannel = async (text: string, user = MEMBER_USER) => {
    const { from, messageTs } = await mention(text, user);
    return { messageTs, answer: await h.slack.waitFor(isApi('chat.postMessage', (c) => c.args.channel === CHANNEL), { from }) };
  };

  describe('leak guard', () => {
    let leaked: { id: string; key: string; start: string };

    beforeAll(async () => {
      leaked = (await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name: 'pasted by mistake' } })).body;
    });

    it('revokes a live key at once, and tells the poster and the admins so, without repeating it', async () => {
      const from = h.slack.calls.length;
      const messageTs = nextTs();
      const res = await h.event({ type: 'message', channel: CHANNEL, channel_type: 'channel', user: MEMBER_USER, text: `here is the config: OPENAI_API_KEY=${leaked.key} thanks`, ts: messageTs });
      expect(res.status).toBe(200);
      const poster = await h.slack.waitFor(isApi('chat.postEphemeral', (c) => c.args.user === MEMBER_USER), { from });
      expect(poster.args.channel).toBe(CHANNEL);
      expect(textOf(poster.args)).toContain(leaked.start);
      expect(textOf(poster.args)).toContain('It has been *revoked*: it no longer works.');
      expect(textOf(poster.args)).not.toContain('kw_leak_revoke');

      const open = await h.slack.waitFor(isApi('conversations.open'), { from });
      expect(open.args.users).toBe(ADMIN_USER);
      const alert = await h.slack.waitFor(isApi('chat.postMessage', (c) => c.args.channel === `D${ADMIN_USER.slice(1)}`), { from });
      expect(textOf(alert.args)).toContain('pasted by mistake');
      expect(textOf(alert.args)).toContain(`<@${MEMBER_USER}>`);
      expect(textOf(alert.args)).toContain('revoked');
      // Nothing to click: it was revoked before anyone read the alert.
      expect(textOf(alert.args)).not.toContain('kw_leak_revoke');

      for (const call of h.slack.calls.slice(from)) expect(keysIn(call)).toEqual([]);
      const key = (await h.stack.json(`/v1/keys/${leaked.id}`, { key: h.stack.adminKey })).body;
      // Where it leaked is the message's permalink (chat.getPermalink), never the text.
      expect(key).toMatchObject({ status: 'revoked', exposure: { source: 'chat', location: `https://test.slack.com/archives/${CHANNEL}/p${messageTs.replace('.', '')}` } });
      expect(await h.stack.json('/v1/models', { key: leaked.key })).toMatchObject({ status: 401, body: { error: { code: 'key_revoked' } } });
      const audit = (await h.stack.json(`/v1/audit?keyId=${leaked.id}`, { key: h.stack.adminKey })).body.data;
      expect(audit.find((r: { action: string }) => r.action === 'key.exposed')).toMatchObject({ details: { source: 'chat' } });
    });

    /** A channel message posted as an Events API callback with a chosen event id. */
    const channelEvent = (eventId: string, text: string, user = MEMBER_USER) =>
      h.post(
        JSON.stringify({
          token: 'legacy-verification-token',
          team_id: TEAM,
          api_app_id: 'A1',
          event: { type: 'message', channel: CHANNEL, channel_type: 'channel', user, text, ts: nextTs() },
          type: 'event_callback',
          event_id: eventId,
          event_time: Math.floor(Date.now() / 1000),
          authorizations: [{ team_id: TEAM, user_id: 'UBOT', is_bot: true }],
        }),
        'application/json',
      );

    /** The poster's ephemeral notice and the admin's DM about `start`, posted after `from`. */
    async function alerted(from: number, start: string): Promise<void> {
      const poster = await h.slack.waitFor(isApi('chat.postEphemeral', (c) => c.args.user === MEMBER_USER && textOf(c.args).includes(start)), { from });
      expect(poster.args.channel).toBe(CHANNEL);
      await h.slack.waitFor(isApi('chat.postMessage', (c) => c.args.channel === `D${ADMIN_USER.slice(1)}` && textOf(c.args).includes(start)), { from });
      for (const call of h.slack.calls.slice(from)) expect(keysIn(call)).toEqual([]);
    }

    it('no other key can silence it: a keys:read viewer key and the admin key pre-claiming the alert and the event are refused (403), and the bot alerts', async () => {
      const squatted = (await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name: 'squatted alert' } })).body;
      const viewer = (await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name: 'squatter', type: 'viewer', scopes: ['keys:read'] } })).body;
      expect(viewer.key).toBeDefined();
      const eventId = `EvSquat${Date.now()}`;
      // Every id they could compute: the digests bots used to claim, and the new names under a guessed secret.
      const names = [`leak-alert:slack:${squatted.id}`, `slack-event:${eventId}`];
      const ids = names.flatMap((name) => [createHash('sha256').update(name).digest('hex'), deliveryClaimId('guess', name), deliveryClaimId('', name)]);
      for (const key of [viewer.key, h.stack.adminKey]) {
        for (const id of ids) {
          const res = await h.stack.json('/v1/bots/deliveries', { key, body: { id, keepForSeconds: 90 * 86_400 } });
          expect(res.status).toBe(403);
        }
      }
      const from = h.slack.calls.length;
      expect((await channelEvent(eventId, `oops ${squatted.key}`)).status).toBe(200);
      await alerted(from, squatted.start);
    });

    describe('sees keys as people see them (each shape fresh key, poster and admin told)', () => {
      const shapes: [string, (key: string) => string][] = [
        ['in Slack italics', (key) => `the token is _${key}_ ok`],
        ['in bold, strike and code marks', (key) => `*~\`${key}\`~*`],
        ['with zero-width characters inside', (key) => `key: ${key.slice(0, 9)}\u200b${key.slice(9, 20)}\u2060\u200d${key.slice(20)}`],
        ['split across lines', (key) => `key:\n${key.slice(0, 17)}\n${key.slice(17)}\nthanks`],
        ['as the label of a Slack link', (key) => `<https://example.com/setup|${key}>`],
        ['after six other checksum-passing strings (an env file)', (key) => [...lookAlikes(6).map((k, i) => `OTHER_${i}=${k}`), `API_KEY=${key}`].join('\n')],
      ];
      for (const [shape, write] of shapes) {
        it(shape, async () => {
          const live = (await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name: `shape ${shape}` } })).body;
          const from = h.slack.calls.length;
          expect((await channelMessage(write(live.key))).status).toBe(200);
          await alerted(from, live.start);
        });
      }
    });

    it('reads blocks and attachments too: a key split over rich-text elements, or posted only in an attachment', async () => {
      const split = (await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name: 'split over rich text' } })).body;
      const richText = {
        type: 'rich_text',
        block_id: 'b1',
        elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: split.key.slice(0, 14), style: { italic: true } }, { type: 'text', text: split.key.slice(14) }] }],
      };
      let from = h.slack.calls.length;
      await h.event({ type: 'message', channel: CHANNEL, channel_type: 'channel', user: MEMBER_USER, text: 'see below', blocks: [richText], ts: nextTs() });
      await alerted(from, split.start);

      const attached = (await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name: 'in an attachment' } })).body;
      from = h.slack.calls.length;
      await h.event({ type: 'message', channel: CHANNEL, channel_type: 'channel', user: MEMBER_USER, text: '', attachments: [{ fallback: 'deploy', fields: [{ title: 'token', value: `_${attached.key}_` }] }], ts: nextTs() });
      await alerted(from, attached.start);
    });

    it('ignores look-alike text that fails the checksum, and revoked keys', async () => {
      const body = `archie_${'Q'.repeat(22)}`;
      const good = checksum(body);
      const wrong = `${body}${good.slice(0, 5)}${good[5] === 'a' ? 'b' : 'a'}`;
      const from = h.slack.calls.length;
      await channelMessage(`not a key: ${wrong}`);
      await channelMessage(`already revoked: ${leaked.key}`);
      await channelMessage('nothing here at all');
      await new Promise((r) => setTimeout(r, 400));
      // A checksum-valid value asks for the message's link (its location, should it be live); nothing is said.
      expect(h.slack.calls.slice(from).filter((c) => c.kind === 'api' && c.method !== 'auth.test' && c.method !== 'chat.getPermalink')).toEqual([]);
    });
  });

  describe('end-user chat', () => {
    it('answers a mention in thread from the local model', async () => {
      const { messageTs, answer } = await askInChannel('what is the capital of France?');
      expect(answer.args.thread_ts).toBe(messageTs);
      expect(answer.args.text).toContain('Keywarden local model');
      expect(answer.args.text).toContain('capital of France');
    });

    it('answers a DM in thread; a DM command answers in the DM', async () => {
      const from = h.slack.calls.length;
      const messageTs = nextTs();
      await h.event({ type: 'message', channel: 'DMEMBER', channel_type: 'im', user: MEMBER_USER, text: 'hello bot', ts: messageTs });
      const answer = await h.slack.waitFor(isApi('chat.postMessage', (c) => c.args.channel === 'DMEMBER'), { from });
      expect(answer.args.thread_ts).toBe(messageTs);
      expect(answer.args.text).toContain('hello bot');

      const from2 = h.slack.calls.length;
      await h.event({ type: 'message', channel: 'DMEMBER', channel_type: 'im', user: MEMBER_USER, text: 'whoami', ts: nextTs() });
      const whoami = await h.slack.waitFor(isApi('chat.postMessage', (c) => c.args.channel === 'DMEMBER'), { from: from2 });
      expect(whoami.args.text).toContain('slack:T1:UMEMBER');
      expect(whoami.args.text).toContain('not an admin');
    });

    it('a command in a mention is answered to the asker only', async () => {
      const { from } = await mention('create mention key --type viewer', ADMIN_USER);
      const delivered = await h.slack.waitFor(isApi('chat.postEphemeral', (c) => c.args.user === ADMIN_USER), { from });
      expect(keysIn(delivered)).toHaveLength(1);
      expect(h.slack.calls.slice(from).filter(isApi('chat.postMessage'))).toEqual([]);
    });

    it('does not forward a pasted key to the model, and never echoes it', async () => {
      const created = (await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name: 'echo test' } })).body;
      const { answer } = await askInChannel(`is ${created.key} valid?`);
      expect(answer.args.text).toContain('looks like an API key');
      expect(answer.raw).not.toContain(created.key);
    });

    it('a key in italics, broken by zero-width characters or split over lines is not forwarded to the model nor echoed either', async () => {
      const created = (await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name: 'echo shapes' } })).body as { key: string };
      const k = created.key;
      for (const shape of [`is _${k}_ valid?`, `is ${k.slice(0, 9)}\u200b${k.slice(9)} valid?`, `is ${k.slice(0, 20)}\n${k.slice(20)} valid?`]) {
        const { answer } = await askInChannel(shape);
        expect(answer.args.text).toContain('looks like an API key');
        expect(keysIn(answer)).toEqual([]);
      }
    });

    it('says plainly when the account is out of credits', async () => {
      const { accountId } = h.stack.bootstrap;
      const account = await h.stack.services.store.getAccount(accountId);
      await h.stack.services.operator.adjustCredits(accountId, -account!.credits);
      try {
        const { messageTs, answer } = await askInChannel('are you there?');
        expect(answer.args.thread_ts).toBe(messageTs);
        expect(answer.args.text).toContain('out of credits');
      } finally {
        // The credits back, so no other test depends on running before this one.
        await h.stack.services.operator.adjustCredits(accountId, account!.credits);
      }
    });
  });

  it('no key value in any channel message or log line', async () => {
    // A scenario of its own, so the scan always has messages and log lines to read: a live key
    // pasted in the channel (alert to the admin's DM), a chat answered in the channel, and a key
    // delivered privately (whose value must reach no log).
    const leaked = (await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name: 'pasted before the scan' } })).body;
    const from = h.slack.calls.length;
    await channelMessage(`the key is ${leaked.key}`);
    const alert = await h.slack.waitFor(isApi('chat.postMessage', (c) => c.args.channel === `D${ADMIN_USER.slice(1)}`), { from });
    expect(textOf(alert.args)).toContain('pasted before the scan');
    const { answer } = await askInChannel('anything to scan?');
    expect(answer.args.text).toContain('anything to scan?');
    const created = await mention('create scanned delivery --type viewer', ADMIN_USER);
    const delivered = await h.slack.waitFor(isApi('chat.postEphemeral', (c) => c.args.user === ADMIN_USER && keysIn(c).length > 0), { from: created.from });
    const [secret] = keysIn(delivered);
    const logs = h.output.text();
    expect(apiRequests(logs)).toEqual(expect.arrayContaining(['POST /v1/bots/leaks 200', 'POST /v1/responses 200', 'POST /v1/keys 201']));

    const messages = h.slack.calls.filter(isApi('chat.postMessage'));
    expect(messages).toEqual(expect.arrayContaining([alert, answer]));
    for (const call of messages) expect(keysIn(call)).toEqual([]);
    for (const value of [leaked.key, secret!, h.stack.secrets.botViewerKeys!.slack]) expect(logs).not.toContain(value);
    for (const call of h.slack.calls) for (const value of keysIn(call)) expect(logs).not.toContain(value);
  });
});
