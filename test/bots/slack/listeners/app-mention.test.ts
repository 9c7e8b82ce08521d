import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onAppMention, stripMention, type AppMentionArgs } from '../../../../bots/slack/listeners/events/app-mention';
import { startSlackStandIn, type SlackStandIn } from '../slack-stand-in';
import { fakeDeps, shown, slackClient } from './listener-args';

/** `@Keywarden …` called directly: commands answered to the asker only, chat in the thread. */
describe('onAppMention', () => {
  let slack: SlackStandIn;
  beforeAll(async () => (slack = await startSlackStandIn()));
  afterAll(() => slack.close());

  function args(text: string, event: Record<string, unknown> = {}): AppMentionArgs {
    return {
      event: { type: 'app_mention', user: 'U1', text, channel: 'C1', ts: '1700000000.000100', ...event },
      body: { team_id: 'T1' },
      context: { botUserId: 'UBOT' },
      client: slackClient(slack),
    } as unknown as AppMentionArgs;
  }
  const since = (before: number) => slack.calls.slice(before).flatMap((c) => (c.kind === 'api' ? [c] : []));

  it('a command, the mention stripped, is answered ephemerally to the asker in the thread', async () => {
    const before = slack.calls.length;
    const deps = fakeDeps({ message: { kind: 'text', text: 'your keys' } });
    await onAppMention(deps, args('<@UBOT> list', { thread_ts: '1699999999.000100' }));
    expect(deps.asked).toEqual([{ method: 'message', args: ['list', 'slack:T1:U1', expect.anything()] }]);
    const [post, ...more] = since(before);
    expect(more).toEqual([]);
    expect(post).toMatchObject({ method: 'chat.postEphemeral', args: { channel: 'C1', user: 'U1', thread_ts: '1699999999.000100' } });
    expect(shown(post!.args)).toContain('your keys');
  });

  it('anything else is a chat, answered visibly in a thread on the mention', async () => {
    const before = slack.calls.length;
    const deps = fakeDeps({ message: { kind: 'chat_answer', text: 'Hello there' } });
    await onAppMention(deps, args('<@UBOT> how do I rotate?'));
    const [post, ...more] = since(before);
    expect(more).toEqual([]);
    expect(post).toMatchObject({ method: 'chat.postMessage', args: { channel: 'C1', thread_ts: '1700000000.000100' } });
    expect(shown(post!.args)).toContain('Hello there');
  });

  it('a mention with no user (an integration) is ignored', async () => {
    const deps = fakeDeps();
    await onAppMention(deps, args('<@UBOT> list', { user: undefined }));
    expect(deps.asked).toEqual([]);
  });

  it('stripMention removes the bot’s mentions, or without its id the leading one', () => {
    expect(stripMention('<@UBOT|keywarden> list <@UBOT>', 'UBOT')).toBe('list');
    expect(stripMention('<@UOTHER> hi <@UX>', undefined)).toBe('hi <@UX>');
  });
});
