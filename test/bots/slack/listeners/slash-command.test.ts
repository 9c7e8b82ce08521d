import type { SlashCommand } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onSlashCommand, type SlashCommandArgs } from '../../../../bots/slack/listeners/commands/slash-command';
import { startSlackStandIn, type SlackStandIn } from '../slack-stand-in';
import { deliverKey, failingClient, fakeDeps, recorder, shown, slackClient } from './listener-args';

/** `/apikeys …` called directly: ack first, every answer through the response_url, ephemeral. */
describe('onSlashCommand', () => {
  let slack: SlackStandIn;
  beforeAll(async () => (slack = await startSlackStandIn()));
  afterAll(() => slack.close());

  const command = (text: string) =>
    ({ text, team_id: 'T1', user_id: 'U1', channel_id: 'C1', trigger_id: 'trigger-1', response_url: 'https://hooks.slack.test/r1' }) as SlashCommand;
  function args(text: string, client = slackClient(slack)) {
    const order: string[] = [];
    const ack = recorder();
    const respond = recorder<[Record<string, unknown>]>();
    const tracked: SlashCommandArgs = {
      command: command(text),
      ack: async () => void (order.push('ack'), await ack()),
      respond: (async (message: unknown) => void (order.push('respond'), await respond(message as Record<string, unknown>))) as unknown as SlashCommandArgs['respond'],
      client,
    };
    return { tracked, ack, respond, order };
  }

  it('acks before anything else and answers as the asker, ephemerally, in place', async () => {
    const deps = fakeDeps({ command: { kind: 'text', text: 'two keys' } });
    const { tracked, respond, order } = args('list');
    await onSlashCommand(deps, tracked);
    expect(order).toEqual(['ack', 'respond']);
    expect(deps.asked).toEqual([{ method: 'command', args: ['list', 'slack:T1:U1', expect.anything()] }]);
    expect(respond.calls).toHaveLength(1);
    expect(respond.calls[0]![0]).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(shown(respond.calls[0]![0])).toContain('two keys');
  });

  it('a new key goes to the response_url only, ephemeral, and nothing follows it', async () => {
    const before = slack.calls.length;
    const deps = fakeDeps({ command: (_text, asker, delivery) => deliverKey(delivery, asker, 'archie_slash_secret') });
    const { tracked, respond } = args('create ci --type viewer');
    await onSlashCommand(deps, tracked);
    expect(respond.calls).toHaveLength(1);
    expect(respond.calls[0]![0]).toMatchObject({ response_type: 'ephemeral' });
    expect(shown(respond.calls[0]![0])).toContain('archie_slash_secret');
    expect(slack.calls.slice(before)).toEqual([]);
  });

  it('the create form opens as a modal on the trigger, carrying the response_url', async () => {
    const before = slack.calls.length;
    const deps = fakeDeps({ command: { kind: 'create_form', defaults: { type: 'viewer', scopes: [], expires: '90d' }, scopes: [] } as never });
    const { tracked, respond } = args('create');
    await onSlashCommand(deps, tracked);
    const opened = slack.calls.slice(before);
    expect(opened).toEqual([expect.objectContaining({ kind: 'api', method: 'views.open' })]);
    const [open] = opened as Extract<(typeof opened)[number], { kind: 'api' }>[];
    expect(open!.args.trigger_id).toBe('trigger-1');
    expect(open!.args.view).toMatchObject({ callback_id: 'kw_create_key' });
    expect(JSON.parse(open!.args.view.private_metadata)).toEqual({ responseUrl: 'https://hooks.slack.test/r1', channelId: 'C1' });
    expect(respond.calls).toEqual([]);
  });

  it('a modal that does not open is logged and answered with the way round it', async () => {
    const deps = fakeDeps({ command: { kind: 'create_form', defaults: { type: 'viewer', scopes: [], expires: '90d' }, scopes: [] } as never });
    const { tracked, respond } = args('create', failingClient);
    await onSlashCommand(deps, tracked);
    expect(deps.logged).toEqual([expect.objectContaining({ level: 'warn', message: 'views.open failed' })]);
    expect(respond.calls).toHaveLength(1);
    expect(shown(respond.calls[0]![0])).toContain('I could not open the form');
  });
});
