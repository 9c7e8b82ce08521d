import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSERTION_HEADER, signAssertion } from '../../../lambdas/core/actor-assertion';
import { KeywardenApi } from '../../../lambdas/http/client';
import { parseRequestCeiling } from '../../../bots/core/request-ceiling-command';
import { runRequestCeiling, type CeilingCalls } from '../../../bots/core/request-ceiling-runner';
import { startTestStack, type TestStack } from '../../support/local-stack';

/**
 * `request-ceiling set|show|clear` (issue 25 point 1): the words parsed, then run against the real
 * API over HTTP as a person through the bot (the bot's key plus the person's signed assertion):
 * an admin sets, shows and clears; a member is refused by the API.
 */
let stack: TestStack;
let calls: CeilingCalls;
const ROOM = 'slack:T1:CCEIL';

beforeAll(async () => {
  stack = await startTestStack({ KEYWARDEN_ADMINS: 'slack:T1:UADMIN' });
  const api = new KeywardenApi({ baseUrl: stack.url, key: stack.secrets.botViewerKeys!.slack });
  const me = await api.call('getMe', {});
  if (!me.ok) throw new Error('no bot key');
  const as = (sub: string) => ({ headers: { [ASSERTION_HEADER]: signAssertion(stack.secrets.botAssertion.current, { sub, bot: 'slack', kid: me.value.id }) } });
  calls = {
    setRequestCeiling: (actor, channel, ceiling) => api.call('setKeyRequestCeiling', { body: { channel, ceiling } }, as(actor)),
    getRequestCeiling: (actor, channel) => api.call('getKeyRequestCeiling', { query: { channel } }, as(actor)),
    clearRequestCeiling: (actor, channel) => api.call('clearKeyRequestCeiling', { query: { channel } }, as(actor)),
  };
});
afterAll(async () => stack?.stop());

describe('request-ceiling in chat', () => {
  it('parses set, show and clear; refuses what is wrong', () => {
    expect(parseRequestCeiling(['set'], { type: 'viewer', scopes: 'models:read, keys:read', budget: '20/month', expires: '30d' })).toEqual({
      ok: true,
      command: { action: 'set', ceiling: { type: 'viewer', scopes: ['models:read', 'keys:read'], budget: { credits: 20, period: 'month' }, expiresIn: '30d' } },
    });
    expect(parseRequestCeiling(['show'], {})).toEqual({ ok: true, command: { action: 'show' } });
    expect(parseRequestCeiling(['CLEAR'], {})).toEqual({ ok: true, command: { action: 'clear' } });
    for (const [positional, flags] of [[['set'], {}], [['set'], { type: 'system' }], [['set'], { scopes: 'root' }], [['set'], { budget: 'lots' }], [['set'], { expires: 'forever' }], [[], {}], [['show'], { type: 'viewer' }], [['set', 'x'], { type: 'viewer' }]] as const) {
      expect(parseRequestCeiling([...positional], { ...flags }).ok).toBe(false);
    }
  });

  it('an admin sets, shows and clears the channel’s ceiling; a member is refused by the API; a direct message has none', async () => {
    const set = parseRequestCeiling(['set'], { type: 'viewer', budget: '20/month', expires: '30d' });
    if (!set.ok) throw new Error(set.message);
    expect(await runRequestCeiling(calls, set.command, 'slack:T1:UADMIN', ROOM)).toEqual({
      kind: 'text',
      text: 'Requests from this channel may now ask for at most: viewer keys; a budget of 20/month; a lifetime of 30d.',
    });
    const shown = await runRequestCeiling(calls, { action: 'show' }, 'slack:T1:UADMIN', ROOM);
    expect(shown).toMatchObject({ kind: 'text', text: expect.stringContaining('viewer keys; a budget of 20/month; a lifetime of 30d (set by slack:T1:UADMIN') });
    expect(await runRequestCeiling(calls, set.command, 'slack:T1:UMEMBER', ROOM)).toMatchObject({ kind: 'error', message: expect.stringContaining('not an admin') });
    expect(await runRequestCeiling(calls, { action: 'clear' }, 'slack:T1:UMEMBER', ROOM)).toMatchObject({ kind: 'error' });
    expect(await runRequestCeiling(calls, { action: 'clear' }, 'slack:T1:UADMIN', ROOM)).toEqual({ kind: 'text', text: 'This channel’s request ceiling is lifted.' });
    expect(await runRequestCeiling(calls, { action: 'show' }, 'slack:T1:UADMIN', ROOM)).toMatchObject({ text: expect.stringContaining('no request ceiling') });
    expect(await runRequestCeiling(calls, { action: 'show' }, 'slack:T1:UADMIN', undefined)).toMatchObject({ text: expect.stringContaining('belongs to a channel') });
  });
});
