import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onDirectMessage, type MessageArgs } from '../../../../bots/slack/listeners/events/direct-message';
import { startSlackStandIn, type SlackStandIn } from '../slack-stand-in';
import { deliverKey, fakeDeps, shown, slackClient } from './listener-args';

/** A DM to the bot called directly: command answers (a new key included) in the IM, chat in thread. */
describe('onDirectMessage', () => {
  let slack: SlackStandIn;
  beforeAll(async () => (slack = await startSlackStandIn()));
  afterAll(() => slack.close());

  function args(text: string, event: Record<string, unknown> = {}): MessageArgs {
    return {
      event: { type: 'message', channel_type: 'im', channel: 'D1', user: 'U1', text, ts: '1700000000.000100', ...event },
      body: { team_id: 'T1' },
      client: slackClient(slack),
    } as unknown as MessageArgs;
  }
  const since = (before: number) => slack.calls.slice(before).flatMap((c) => (c.kind === 'api' ? [c] : []));

  it('a command’s new key is posted in the IM itself, and nothing follows it', async () => {
    const before = slack.calls.length;
    const deps = fakeDeps({ message: (_text, asker, delivery) => deliverKey(delivery, asker, 'archie_dm_secret') });
    await onDirectMessage(deps, args('create ci --type viewer'));
    expect(deps.asked).toEqual([{ method: 'message', args: ['create ci --type viewer', 'slack:T1:U1', expect.anything()] }]);
    const [post, ...more] = since(before);
    expect(more).toEqual([]);
    expect(post).toMatchObject({ method: 'chat.postMessage', args: { channel: 'D1' } });
    expect(shown(post!.args)).toContain('archie_dm_secret');
  });

  it('a chat is answered in a thread on the message', async () => {
    const before = slack.calls.length;
    const deps = fakeDeps({ message: { kind: 'chat_answer', text: 'Hello there' } });
    await onDirectMessage(deps, args('what is a viewer key?'));
    expect(since(before)).toEqual([expect.objectContaining({ method: 'chat.postMessage', args: expect.objectContaining({ channel: 'D1', thread_ts: '1700000000.000100' }) })]);
  });

  it('messages outside an IM, edits, and bots (itself included) are not for this listener', async () => {
    const deps = fakeDeps();
    await onDirectMessage(deps, args('list', { channel_type: 'channel' }));
    await onDirectMessage(deps, args('list', { subtype: 'message_changed' }));
    await onDirectMessage(deps, args('list', { bot_id: 'BBOT' }));
    await onDirectMessage(deps, args('list', { user: undefined }));
    expect(deps.asked).toEqual([]);
  });
});
