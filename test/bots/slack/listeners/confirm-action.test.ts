import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAction, type PendingAction } from '../../../../bots/core';
import { onConfirmAction, type ButtonArgs } from '../../../../bots/slack/listeners/actions/confirm-action';
import { startSlackStandIn, type SlackStandIn } from '../slack-stand-in';
import { fakeDeps, KEY, recorder, shown, slackClient } from './listener-args';

/** The confirm and leak-revoke buttons called directly: the clicker acts, and only a matching button. */
describe('onConfirmAction', () => {
  let slack: SlackStandIn;
  beforeAll(async () => (slack = await startSlackStandIn()));
  afterAll(() => slack.close());

  // One issue time for the file: a pending action built twice must be the same action, whenever the second ticks.
  const iat = Math.floor(Date.now() / 1000);
  const pending = (origin: PendingAction['origin']): PendingAction => ({ v: 1, op: 'revoke', keyId: KEY.id, origin, iat });
  function args(actionId: string, value: string, withRespond = true) {
    const ack = recorder();
    const respond = recorder<[Record<string, unknown>]>();
    const tracked = {
      ack,
      body: { user: { id: 'U1', team_id: 'T1' }, team: { id: 'T1' }, channel: { id: 'C1' } },
      action: { type: 'button', action_id: actionId, value },
      respond: withRespond ? respond : undefined,
      client: slackClient(slack),
    };
    return { tracked: tracked as unknown as ButtonArgs, ack, respond };
  }

  it('runs the pending action as whoever clicked, and replaces the confirmation with the outcome', async () => {
    const deps = fakeDeps({ confirm: { kind: 'done', action: 'revoke', key: KEY, by: 'slack:T1:U1' } });
    const { tracked, ack, respond } = args('kw_confirm', encodeAction(pending('confirm')));
    await onConfirmAction(deps, tracked);
    expect(ack.calls).toHaveLength(1);
    // Where the click was, from the payload: a rotation's straggler notice goes there too.
    expect(deps.asked).toEqual([{ method: 'confirm', args: [pending('confirm'), 'slack:T1:U1', expect.anything(), { channel: 'slack:T1:C1' }] }]);
    expect(respond.calls).toHaveLength(1);
    expect(respond.calls[0]![0]).toMatchObject({ response_type: 'ephemeral', replace_original: true });
    expect(shown(respond.calls[0]![0])).toContain('Revoked');
  });

  it('the leak guard’s revoke button runs a leak action', async () => {
    const deps = fakeDeps({ confirm: { kind: 'done', action: 'revoke', key: KEY, by: 'slack:T1:U1' } });
    await onConfirmAction(deps, args('kw_leak_revoke', encodeAction(pending('leak'))).tracked);
    expect(deps.asked.map((a) => a.method)).toEqual(['confirm']);
  });

  it('a button whose value is not a pending action, or not of its own origin, is refused and the buttons stay', async () => {
    for (const [actionId, value] of [
      ['kw_confirm', 'not json'],
      ['kw_confirm', encodeAction(pending('leak'))],
      ['kw_leak_revoke', encodeAction(pending('confirm'))],
    ] as const) {
      const deps = fakeDeps();
      const { tracked, respond } = args(actionId, value);
      await onConfirmAction(deps, tracked);
      expect(deps.asked).toEqual([]);
      expect(respond.calls[0]![0]).toMatchObject({ replace_original: false });
      expect(shown(respond.calls[0]![0])).toContain('That button is not valid any more');
    }
  });

  it('without a response_url the answer goes to the clicker’s DM', async () => {
    const before = slack.calls.length;
    const deps = fakeDeps({ confirm: { kind: 'done', action: 'revoke', key: KEY, by: 'slack:T1:U1' } });
    await onConfirmAction(deps, args('kw_confirm', encodeAction(pending('confirm')), false).tracked);
    expect(slack.calls.slice(before).map((c) => (c.kind === 'api' ? c.method : c.kind))).toEqual(['conversations.open', 'chat.postMessage']);
  });
});
