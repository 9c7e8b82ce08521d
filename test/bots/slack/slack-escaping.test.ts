import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_USER, CHANNEL, MEMBER_USER, buttonValue, keysIn, useSlackHarness } from './slack-harness';
import type { RecordedCall } from './slack-stand-in';

const HOSTILE_NAME = '<!channel> <https://evil.example|click> & co';

/** Every `text` field of a payload, top-level fallback and block texts alike. */
function texts(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) texts(item, out);
  else if (node && typeof node === 'object') {
    for (const [field, value] of Object.entries(node)) {
      if (field === 'text' && typeof value === 'string') out.push(value);
      else texts(value, out);
    }
  }
  return out;
}

const payloadOf = (call: RecordedCall) => (call.kind === 'api' ? call.args : call.body);

/**
 * User input reaches Slack only escaped: a key named like a channel ping and a disguised link,
 * created through /v1, then listed, shown, counted, limited, rotated and leak-alerted through the bot. Nothing the
 * bot sends — to the Web API or to a response_url, in the notification `text` or in blocks — may
 * carry a raw `<` (other than the bot's own `<@U…>` / `<#C…>`) or a raw `&`.
 */
describe('Slack output escapes user input', () => {
  const h = useSlackHarness();
  let key: { id: string; start: string };

  beforeAll(async () => {
    key = (await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name: HOSTILE_NAME } })).body;
  });

  it('in list, show, usage, the limit and rotate confirmations, the new key and the leak alerts', async () => {
    const from = h.slack.calls.length;
    const list = await h.answer((await h.command('list')).responseId);
    const show = await h.answer((await h.command(`show ${key.id}`)).responseId);
    const usage = await h.answer((await h.command(`usage ${key.id}`)).responseId);
    const limit = await h.answer((await h.command(`limit ${key.id} 100/1m`)).responseId);
    const confirm = await h.answer((await h.command(`rotate ${key.id}`)).responseId);
    const rotated = await h.answer((await h.click('kw_confirm', buttonValue(confirm.body, 'kw_confirm'))).responseId);
    const [replacement] = keysIn(rotated);
    expect(replacement).toBeDefined();

    await h.event({ type: 'message', channel: CHANNEL, channel_type: 'channel', user: MEMBER_USER, text: `oops ${replacement}`, ts: '1900000000.000100' });
    const isApi = (method: string, channel?: string) => (c: RecordedCall) => c.kind === 'api' && c.method === method && (!channel || c.args.channel === channel);
    await h.slack.waitFor(isApi('chat.postEphemeral'), { from });
    await h.slack.waitFor(isApi('chat.postMessage', `D${ADMIN_USER.slice(1)}`), { from });

    // The name was rendered (escaped) in every answer, fallback text included.
    expect(JSON.stringify(list.body.blocks)).toContain('&lt;!channel&gt;');
    expect(show.body.text).toContain('&lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; co');
    expect(confirm.body.text).toContain('&lt;!channel&gt;');
    expect(limit.body.text).toContain('&lt;!channel&gt;');
    expect(JSON.stringify(usage.body.blocks)).toContain('&lt;!channel&gt;');
    expect(rotated.body.text).toContain('&amp; co');

    const sent = h.slack.calls.slice(from).filter((c) => c.kind === 'response_url' || (c.method.startsWith('chat.') && c.method !== 'chat.getPermalink'));
    expect(sent.length).toBeGreaterThanOrEqual(6);
    for (const call of sent) {
      const all = texts(payloadOf(call));
      expect(all.length).toBeGreaterThan(0);
      for (const text of all) {
        expect(text).not.toMatch(/<(?![@#][A-Z0-9]+>)/);
        expect(text).not.toMatch(/&(?!amp;|lt;|gt;)/);
      }
    }
    expect(JSON.stringify(sent.map(payloadOf))).toContain('&lt;!channel&gt;');
  });
});
