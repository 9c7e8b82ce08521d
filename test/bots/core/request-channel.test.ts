import { describe, expect, it } from 'vitest';
import { ADMIN_COMMANDS, HELP, isDirectMessages, parseCommand, slackChannel, slackRequestChannel, suggestCommand, teamsChannel } from '../../../bots/core';
import { isChannel } from '../../../lambdas/core/key-request-channel';
import { requestChannelOf } from '../../../bots/teams/activity';

/**
 * The channel a request comes from, as the edges name it (request-channel.ts), and the
 * `request-ceiling` entry of the grammar: pure.
 */
describe('request channels', () => {
  it('Slack: team and channel id; a direct message (D…) is no channel of its own, and all DMs share the workspace’s for requests', () => {
    expect(slackRequestChannel('T1', 'D024BE91L')).toBe('slack:T1:direct');
    expect(slackRequestChannel('T1', 'C1')).toBe('slack:T1:C1');
    expect(slackRequestChannel('T1', undefined)).toBeUndefined();
    expect(isChannel('slack:T1:direct') && isDirectMessages('slack:T1:direct') && isDirectMessages('teams:t-1:direct')).toBe(true);
    expect(isDirectMessages('slack:T1:C1') || isDirectMessages('teams:t:19:direct') || isDirectMessages('slack:T1:directs')).toBe(false);
    expect(slackChannel('T1', 'C1')).toBe('slack:T1:C1');
    expect(slackChannel('T1', 'G01PRIVATE')).toBe('slack:T1:G01PRIVATE');
    expect(slackChannel('T1', 'D024BE91L')).toBeUndefined();
    expect(slackChannel('T1', undefined)).toBeUndefined();
    expect(isChannel(slackChannel('T1', 'C1')!)).toBe(true);
  });

  it('Teams: tenant and conversation id; a reply thread is its channel; the 1:1 chat is the tenant’s direct messages', () => {
    expect(teamsChannel('tenant1', '19:general@thread.tacv2;messageid=1700000000123')).toBe('teams:tenant1:19:general@thread.tacv2');
    expect(teamsChannel('tenant1', '19:group@thread.v2')).toBe('teams:tenant1:19:group@thread.v2');
    expect(isChannel(teamsChannel('72f988bf-86f1-41af-91ab-2d7cd011db47', '19:meeting_NjA3@thread.v2'))).toBe(true);
    const channel = { channelId: 'msteams', conversation: { id: '19:general@thread.tacv2', conversationType: 'channel', tenantId: 'tenant1', isGroup: true } } as const;
    expect(requestChannelOf(channel as any)).toBe('teams:tenant1:19:general@thread.tacv2');
    expect(requestChannelOf({ ...channel, conversation: { id: 'a:personal', conversationType: 'personal', tenantId: 'tenant1' } } as any)).toBe('teams:tenant1:direct');
    expect(requestChannelOf({ ...channel, conversation: { id: '19:x@thread.v2', conversationType: 'groupChat' } } as any)).toBeUndefined();
  });
});

describe('request-ceiling in the grammar', () => {
  it('parses set, show and clear; the channel is never a word of it', () => {
    expect(parseCommand('request-ceiling set --type viewer --budget 10/month')).toEqual({
      ok: true,
      command: { name: 'request-ceiling', ceiling: { action: 'set', ceiling: { type: 'viewer', budget: { credits: 10, period: 'month' } } } },
    });
    expect(parseCommand('Request-Ceiling show')).toEqual({ ok: true, command: { name: 'request-ceiling', ceiling: { action: 'show' } } });
    expect(parseCommand('request-ceiling clear')).toEqual({ ok: true, command: { name: 'request-ceiling', ceiling: { action: 'clear' } } });
    expect(parseCommand('request-ceiling set slack:T1:C2 --type viewer')).toMatchObject({ ok: false, reason: 'invalid', command: 'request-ceiling' });
    expect(parseCommand('request-ceiling set --channel slack:T1:C2 --type viewer')).toMatchObject({ ok: false, message: expect.stringContaining('Unknown option --channel') });
    expect(parseCommand('request x --channel slack:T1:C2 --reason r')).toMatchObject({ ok: false, message: expect.stringContaining('Unknown option --channel') });
  });

  it('is an admin command with help, and near misses suggest it', () => {
    expect(ADMIN_COMMANDS).toContain('request-ceiling');
    expect(HELP.find((e) => e.name === 'request-ceiling')).toMatchObject({ adminOnly: true, usage: expect.stringContaining('request-ceiling set') });
    expect(suggestCommand('request-celing')).toBe('request-ceiling');
    expect(suggestCommand('requst')).toBe('request');
  });
});
