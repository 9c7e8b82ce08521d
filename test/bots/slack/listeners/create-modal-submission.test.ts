import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onCreateModalSubmission, type CreateModalSubmissionArgs } from '../../../../bots/slack/listeners/views/create-modal-submission';
import { responseUrlPolicy } from '../../../../bots/slack/response-urls';
import { startSlackStandIn, type SlackStandIn } from '../slack-stand-in';
import { deliverKey, fakeDeps, recorder, shown, slackClient } from './listener-args';

/** The create modal's submission called directly: field errors in the ack, the key to the submitter only. */
describe('onCreateModalSubmission', () => {
  let slack: SlackStandIn;
  beforeAll(async () => (slack = await startSlackStandIn()));
  afterAll(() => slack.close());

  const values = (expires: string) => ({
    kw_name: { value: { type: 'plain_text_input', value: 'modal key' } },
    kw_type: { value: { type: 'static_select', selected_option: { value: 'viewer' } } },
    kw_scopes: { value: { type: 'multi_static_select', selected_options: [{ value: 'models:read' }] } },
    kw_expires: { value: { type: 'plain_text_input', value: expires } },
  });
  function args(expires: string, metadata: Record<string, string>) {
    const ack = recorder<[unknown?]>();
    const view = { callback_id: 'kw_create_key', private_metadata: JSON.stringify(metadata), state: { values: values(expires) } };
    const tracked = { ack, body: { user: { id: 'U1', team_id: 'T1' }, team: { id: 'T1' }, view }, view, client: slackClient(slack) };
    return { tracked: tracked as unknown as CreateModalSubmissionArgs, ack };
  }

  it('a bad field goes back into the form through the ack, and the core is not asked', async () => {
    const deps = fakeDeps();
    const { tracked, ack } = args('soon', {});
    await onCreateModalSubmission(deps, tracked);
    expect(ack.calls).toEqual([[{ response_action: 'errors', errors: { kw_expires: expect.stringContaining('90d') } }]]);
    expect(deps.asked).toEqual([]);
  });

  it('good fields close the modal and the key goes back to the slash command’s response_url, ephemeral', async () => {
    // The stand-in's origin is the configured Slack API's, so its response URLs may receive (response-urls.ts).
    const deps = { ...fakeDeps({ submitCreate: (_fields, asker, delivery) => deliverKey(delivery, asker, 'archie_modal_secret') }), responseUrls: responseUrlPolicy(slack.apiUrl) };
    const { tracked, ack } = args('30d', { responseUrl: slack.responseUrl('modal'), channelId: 'C1' });
    await onCreateModalSubmission(deps, tracked);
    expect(ack.calls).toEqual([[]]);
    expect(deps.asked).toEqual([
      { method: 'submitCreate', args: [expect.objectContaining({ name: 'modal key', type: 'viewer', scopes: ['models:read'], expires: '30d' }), 'slack:T1:U1', expect.anything()] },
    ]);
    const [answer, ...more] = slack.responses('modal');
    expect(more).toEqual([]);
    expect(answer!.body.response_type).toBe('ephemeral');
    expect(shown(answer!.body)).toContain('archie_modal_secret');
  });

  it('without a response_url the key goes to the submitter’s DM', async () => {
    const before = slack.calls.length;
    const deps = fakeDeps({ submitCreate: (_fields, asker, delivery) => deliverKey(delivery, asker, 'archie_modal_dm_secret') });
    const { tracked } = args('30d', {});
    await onCreateModalSubmission(deps, tracked);
    const calls = slack.calls.slice(before);
    expect(calls.map((c) => (c.kind === 'api' ? c.method : c.kind))).toEqual(['conversations.open', 'chat.postMessage']);
    const post = calls[1] as Extract<(typeof calls)[number], { kind: 'api' }>;
    expect(post.args.channel).toBe('D1');
    expect(shown(post.args)).toContain('archie_modal_dm_secret');
  });
});
