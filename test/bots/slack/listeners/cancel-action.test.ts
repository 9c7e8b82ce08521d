import { describe, expect, it } from 'vitest';
import { onCancelAction } from '../../../../bots/slack/listeners/actions/cancel-action';
import type { ButtonArgs } from '../../../../bots/slack/listeners/actions/confirm-action';
import { fakeDeps, recorder, shown } from './listener-args';

/** Cancel called directly: the core answers for the clicker; the confirmation is replaced. */
describe('onCancelAction', () => {
  const body = { user: { id: 'U1', team_id: 'T1' }, team: { id: 'T1' } };

  it('asks the core as the clicker and replaces the confirmation with its answer', async () => {
    const deps = fakeDeps({ cancel: { kind: 'cancelled', by: 'slack:T1:U1' } });
    const ack = recorder();
    const respond = recorder<[Record<string, unknown>]>();
    await onCancelAction(deps, { ack, body, respond } as unknown as ButtonArgs);
    expect(ack.calls).toHaveLength(1);
    expect(deps.asked).toEqual([{ method: 'cancel', args: ['slack:T1:U1'] }]);
    expect(respond.calls[0]![0]).toMatchObject({ response_type: 'ephemeral', replace_original: true });
    expect(shown(respond.calls[0]![0])).toContain('Cancelled');
  });

  it('with nowhere to answer (no response_url) it only acks', async () => {
    const deps = fakeDeps();
    const ack = recorder();
    await onCancelAction(deps, { ack, body, respond: undefined } as unknown as ButtonArgs);
    expect(ack.calls).toHaveLength(1);
    expect(deps.asked).toEqual([]);
  });
});
