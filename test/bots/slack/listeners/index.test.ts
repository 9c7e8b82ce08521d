import type { App } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { registerListeners } from '../../../../bots/slack/listeners';
import { fakeDeps } from './listener-args';

/** What the Bolt app listens for, and in which order (Bolt runs every matching listener in that order). */
describe('registerListeners', () => {
  it('registers each surface’s listeners: commands, views, actions, then events', () => {
    const registered: string[] = [];
    const app = Object.fromEntries(
      ['command', 'view', 'action', 'event'].map((method) => [method, (id: string | RegExp, listener: unknown) => void registered.push(`${method} ${String(id)} ${typeof listener}`)]),
    ) as unknown as App;
    registerListeners(app, fakeDeps());
    expect(registered).toEqual([
      'command /apikeys function',
      'view kw_create_key function',
      'view kw_budget_modal function',
      'view kw_key_request_deny function',
      'action kw_confirm function',
      'action kw_leak_revoke function',
      'action kw_cancel function',
      'action /^kw_reminder_(rotate|revoke)$/ function',
      'action /^kw_budget_(raise|pause)$/ function',
      'action /^kw_exposure_(replace|usage)$/ function',
      'action /^kw_key_request_(approve|deny|collect)$/ function',
      'action kw_rotation_delivery_collect function',
      'event app_mention function',
      'event message function',
      'event message function',
    ]);
  });
});
