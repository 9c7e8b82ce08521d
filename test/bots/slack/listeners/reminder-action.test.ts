import { describe, expect, it } from 'vitest';
import { encodeReminderButton } from '../../../../bots/core/expiry-reminders';
import type { ButtonArgs } from '../../../../bots/slack/listeners/actions/confirm-action';
import { onReminderAction } from '../../../../bots/slack/listeners/actions/reminder-action';
import { fakeDeps, recorder, shown } from './listener-args';

/** An expiry reminder's Rotate…/Revoke… called directly: the usual command, as the clicker; the reminder stays. */
describe('onReminderAction', () => {
  function args(value: string) {
    const ack = recorder();
    const respond = recorder<[Record<string, unknown>]>();
    const tracked = { ack, body: { user: { id: 'U1', team_id: 'T1' }, team: { id: 'T1' } }, action: { type: 'button', action_id: 'kw_reminder_rotate', value }, respond };
    return { tracked: tracked as unknown as ButtonArgs, ack, respond };
  }

  it('runs the key’s command as the clicker and answers beside the reminder', async () => {
    const deps = fakeDeps({ command: { kind: 'text', text: 'Rotate it?' } });
    const { tracked, ack, respond } = args(encodeReminderButton({ op: 'rotate', keyId: 'key_abc123' }));
    await onReminderAction(deps, tracked);
    expect(ack.calls).toHaveLength(1);
    expect(deps.asked).toEqual([{ method: 'command', args: ['rotate key_abc123', 'slack:T1:U1', expect.anything()] }]);
    expect(respond.calls[0]![0]).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(shown(respond.calls[0]![0])).toContain('Rotate it?');
  });

  it('a create form (no trigger to open it on) becomes the pointer to the slash command', async () => {
    const deps = fakeDeps({ command: { kind: 'create_form', defaults: {}, scopes: [] } as never });
    const { tracked, respond } = args(encodeReminderButton({ op: 'revoke', keyId: 'key_abc123' }));
    await onReminderAction(deps, tracked);
    expect(shown(respond.calls[0]![0])).toContain('/apikeys create');
  });

  it('a value that is not a reminder button is refused', async () => {
    const deps = fakeDeps();
    const { tracked, respond } = args(JSON.stringify({ op: 'delete', keyId: 'key_abc123' }));
    await onReminderAction(deps, tracked);
    expect(deps.asked).toEqual([]);
    expect(shown(respond.calls[0]![0])).toContain('That button is not valid any more.');
  });
});
