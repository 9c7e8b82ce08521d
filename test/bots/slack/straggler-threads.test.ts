import { describe, expect, it } from 'vitest';
import { runLocalReminders } from '../../../bots/local-reminders';
import { ADMIN_USER, CHANNEL, TEAM, buttonValue, keysIn, textOf, useSlackHarness } from './slack-harness';
import type { RecordedCall } from './slack-stand-in';

type ApiCall = Extract<RecordedCall, { kind: 'api' }>;
const ADMIN_DM = `D${ADMIN_USER.slice(1)}`;
const isApi = (method: string, where?: (c: ApiCall) => boolean) => (c: RecordedCall): c is ApiCall => c.kind === 'api' && c.method === method && (!where || where(c));

/**
 * Issue 25 point 4, the thread where a rotation happened: an admin rotates a key in a channel
 * thread (an @mention there, confirmed by the click); once a caller still uses the old key, the
 * 5-minute job posts one notice into that thread (chat.postMessage with its thread_ts) beside the
 * admin's DM — once, never with a key value. The place comes from the click's signed payload only.
 * Through Bolt's receiver with signed requests, the real local stack and a stand-in Slack Web API.
 */
describe('Slack straggler notices in the rotation’s thread', () => {
  const h = useSlackHarness();
  let ts = 1_800_100_000;
  const nextTs = () => `${++ts}.000300`;
  const run = () => runLocalReminders({ secrets: h.stack.secrets, baseUrl: h.stack.url, env: { SLACK_API_URL: h.slack.apiUrl } }, h.stack.clock.now(), 'straggler-notices');
  const notices = (from: number) => h.slack.calls.slice(from).filter((c): c is ApiCall => c.kind === 'api' && c.method === 'chat.postMessage' && c.raw.includes('kw_stragglers'));

  async function created(name: string) {
    const res = await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name, scopes: ['models:read'] } });
    expect(res.status).toBe(201);
    return res.body as { id: string; key: string; start: string };
  }

  /** A click on the confirmation, as Slack posts it: where it was (channel, thread) is in the signed payload only. */
  async function click(value: string, where: { channel: string; threadTs?: string }) {
    const responseId = `click-${nextTs()}`;
    const payload = {
      type: 'block_actions',
      user: { id: ADMIN_USER, username: 'uadmin', team_id: TEAM },
      api_app_id: 'A1',
      token: 'legacy-verification-token',
      container: { type: 'message', message_ts: nextTs(), channel_id: where.channel, is_ephemeral: true, ...(where.threadTs ? { thread_ts: where.threadTs } : {}) },
      trigger_id: `trigger-${responseId}`,
      team: { id: TEAM, domain: 'test' },
      channel: { id: where.channel, name: where.channel.startsWith('D') ? 'directmessage' : 'general' },
      response_url: h.slack.responseUrl(responseId),
      actions: [{ action_id: 'kw_confirm', block_id: 'b1', value, type: 'button', action_ts: `${Date.now() / 1000}`, text: { type: 'plain_text', text: 'Rotate' } }],
    };
    const res = await h.post(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), 'application/x-www-form-urlencoded');
    expect(res.status).toBe(200);
    const done = await h.answer(responseId);
    expect(textOf(done.body)).toContain('Rotated');
  }

  /** A caller still on the old key, then the job's run. */
  async function straggle(key: string) {
    h.stack.clock.advance(1000);
    expect((await h.stack.json('/v1/models', { key, headers: { 'user-agent': 'legacy-cron/2.0' } })).status).toBe(200);
    await h.stack.idle();
  }

  it('rotated in channel C1 thread T: one notice in that thread and one DM to the admin; a second run posts nothing', async () => {
    const old = await created('thread-rotated');
    const threadTs = nextTs();
    let from = h.slack.calls.length;
    await h.event({ type: 'app_mention', channel: CHANNEL, user: ADMIN_USER, text: '<@UBOT> rotate thread-rotated --overlap 1h', ts: nextTs(), thread_ts: threadTs });
    const confirm = await h.slack.waitFor(isApi('chat.postEphemeral', (c) => c.args.channel === CHANNEL), { from });
    expect(confirm.args.thread_ts).toBe(threadTs);
    await click(buttonValue(confirm.args, 'kw_confirm'), { channel: CHANNEL, threadTs });
    const replacement = (await h.stack.json(`/v1/keys/${old.id}`, { key: h.stack.adminKey })).body.replacedBy as string;
    expect((await h.stack.json(`/v1/keys/${replacement}`, { key: h.stack.adminKey })).body.rotatedIn).toEqual({ channel: `slack:${TEAM}:${CHANNEL}`, thread: threadTs });

    await straggle(old.key);
    from = h.slack.calls.length;
    expect((await run()).slack).toMatchObject({ sent: 1, threads: { sent: 1, failed: 0 } });
    const sent = notices(from);
    expect(sent).toHaveLength(2);
    const inThread = sent.find((c) => c.args.channel === CHANNEL)!;
    expect(inThread.args.thread_ts).toBe(threadTs);
    expect(sent.find((c) => c.args.channel === ADMIN_DM)).toBeDefined();
    const said = textOf(inThread.args);
    expect(said).toContain('Still on the old key “thread-rotated”');
    expect(said).toContain(old.start);
    expect(said).toContain('legacy-cron/2.0');
    expect(said).toContain('GET /v1/models');
    expect(said).toContain('1 call');
    // The old value is never posted anywhere, nor is the new one outside the private answer.
    expect(inThread.raw).not.toContain(old.key);
    for (const call of sent) expect(keysIn(call)).toEqual([]);

    from = h.slack.calls.length;
    expect((await run()).slack).toMatchObject({ sent: 0, alreadySent: 2, threads: { sent: 0 } });
    expect(notices(from)).toEqual([]);
  });

  it('confirmed in the channel itself (the slash command, no thread): the notice goes to the channel, not a thread', async () => {
    const old = await created('channel-rotated');
    const { responseId } = await h.command('rotate channel-rotated --overlap 1h');
    const confirm = await h.answer(responseId);
    await click(buttonValue(confirm.body, 'kw_confirm'), { channel: CHANNEL });
    await straggle(old.key);
    const from = h.slack.calls.length;
    expect((await run()).slack).toMatchObject({ threads: { sent: 1 } });
    const inChannel = notices(from).filter((c) => c.args.channel === CHANNEL);
    expect(inChannel).toHaveLength(1);
    expect(inChannel[0]!.args.thread_ts).toBeUndefined();
  });

  it('rotated in a DM with the bot: no channel post, the admin’s DM only', async () => {
    const old = await created('dm-rotated');
    const { responseId } = await h.command('rotate dm-rotated --overlap 1h', ADMIN_USER, { channel: ADMIN_DM });
    const confirm = await h.answer(responseId);
    await click(buttonValue(confirm.body, 'kw_confirm'), { channel: ADMIN_DM });
    const replacement = (await h.stack.json(`/v1/keys/${old.id}`, { key: h.stack.adminKey })).body.replacedBy as string;
    expect((await h.stack.json(`/v1/keys/${replacement}`, { key: h.stack.adminKey })).body.rotatedIn).toBeNull();
    await straggle(old.key);
    const from = h.slack.calls.length;
    expect((await run()).slack).toMatchObject({ sent: 1, threads: { sent: 0 } });
    const sent = notices(from).filter((c) => c.raw.includes(old.id));
    expect(sent.map((c) => c.args.channel)).toEqual([ADMIN_DM]);
  });
});
