import { describe, expect, it } from 'vitest';
import { ADMIN_COMMANDS, HELP, formatRateLimit, parseCommand, parseRateLimit, suggestCommand, tokenize, validateCreateOptions } from '../../../bots/core';

describe('command grammar', () => {
  it('parses every command of SPEC §5', () => {
    expect(parseCommand('help')).toEqual({ ok: true, command: { name: 'help' } });
    expect(parseCommand('help rotate')).toEqual({ ok: true, command: { name: 'help', topic: 'rotate' } });
    expect(parseCommand('list')).toEqual({ ok: true, command: { name: 'list' } });
    expect(parseCommand('list ci deploy')).toEqual({ ok: true, command: { name: 'list', search: 'ci deploy' } });
    expect(parseCommand('show key_0123456789012345678901')).toEqual({ ok: true, command: { name: 'show', key: 'key_0123456789012345678901' } });
    expect(parseCommand('revoke archie_4fQa')).toEqual({ ok: true, command: { name: 'revoke', key: 'archie_4fQa' } });
    expect(parseCommand('delete "CI deploy"')).toEqual({ ok: true, command: { name: 'delete', key: 'CI deploy' } });
    expect(parseCommand('audit ci')).toEqual({ ok: true, command: { name: 'audit', key: 'ci' } });
    expect(parseCommand('whoami')).toEqual({ ok: true, command: { name: 'whoami' } });
    expect(parseCommand('usage')).toEqual({ ok: true, command: { name: 'usage' } });
    expect(parseCommand('usage CI deploy')).toEqual({ ok: true, command: { name: 'usage', key: 'CI deploy' } });
    expect(parseCommand('rotate ci')).toEqual({ ok: true, command: { name: 'rotate', key: 'ci' } });
    expect(parseCommand('rotate ci --overlap 1h')).toEqual({ ok: true, command: { name: 'rotate', key: 'ci', overlap: '1h' } });
    expect(parseCommand('ROTATE ci --overlap=30m')).toEqual({ ok: true, command: { name: 'rotate', key: 'ci', overlap: '30m' } });
  });

  it('create: no arguments is interactive, arguments are checked', () => {
    expect(parseCommand('create')).toEqual({ ok: true, command: { name: 'create', options: {}, interactive: true } });
    expect(parseCommand('create CI deploy --type viewer --scopes models:read,responses:write --expires 90d --prefix ci')).toEqual({
      ok: true,
      command: {
        name: 'create',
        interactive: false,
        options: { name: 'CI deploy', type: 'viewer', scopes: ['models:read', 'responses:write'], expires: '90d', prefix: 'ci' },
      },
    });
    expect(parseCommand('create --type privileged')).toEqual({ ok: true, command: { name: 'create', interactive: false, options: { type: 'privileged' } } });
    // Chat clients turn "--" into an em dash.
    expect(parseCommand('create bot —type viewer')).toMatchObject({ ok: true, command: { options: { name: 'bot', type: 'viewer' } } });
  });

  it('rejects bad arguments with a reason', () => {
    expect(parseCommand('create x --type admin')).toMatchObject({ ok: false, reason: 'invalid', command: 'create' });
    expect(parseCommand('create x --scopes keys:reed')).toMatchObject({ ok: false, reason: 'invalid', message: expect.stringContaining('keys:read') });
    expect(parseCommand('create x --expires soon')).toMatchObject({ ok: false, reason: 'invalid' });
    expect(parseCommand('create x --prefix Bad_Prefix')).toMatchObject({ ok: false, reason: 'invalid' });
    expect(parseCommand('create x --type')).toMatchObject({ ok: false, reason: 'invalid', message: '--type needs a value.' });
    expect(parseCommand('create x --tpye viewer')).toMatchObject({ ok: false, message: expect.stringContaining('Did you mean --type?') });
    expect(parseCommand('rotate ci --overlap 8d')).toMatchObject({ ok: false, message: '--overlap can be at most 7d.' });
    expect(parseCommand('rotate')).toMatchObject({ ok: false, reason: 'invalid', command: 'rotate' });
    expect(parseCommand('revoke ci --force')).toMatchObject({ ok: false, reason: 'invalid' });
    expect(parseCommand('   ')).toEqual({ ok: false, reason: 'empty' });
  });

  it('pause, resume and limit: a key, and for limit requests per window', () => {
    expect(parseCommand('pause ci')).toEqual({ ok: true, command: { name: 'pause', key: 'ci' } });
    expect(parseCommand('resume "CI deploy"')).toEqual({ ok: true, command: { name: 'resume', key: 'CI deploy' } });
    expect(parseCommand('limit ci 100/1m')).toEqual({ ok: true, command: { name: 'limit', key: 'ci', rateLimit: { limit: 100, windowSeconds: 60 } } });
    expect(parseCommand('limit CI deploy 100/60s')).toEqual({ ok: true, command: { name: 'limit', key: 'CI deploy', rateLimit: { limit: 100, windowSeconds: 60 } } });
    expect(parseCommand('limit ci 6000/1h')).toMatchObject({ ok: true, command: { rateLimit: { limit: 6000, windowSeconds: 3600 } } });
    expect(parseCommand('limit ci 6,000/m')).toMatchObject({ ok: true, command: { rateLimit: { limit: 6000, windowSeconds: 60 } } });
    expect(parseCommand('pause')).toMatchObject({ ok: false, reason: 'invalid', command: 'pause' });
    expect(parseCommand('limit ci')).toMatchObject({ ok: false, reason: 'invalid', message: expect.stringContaining('Usage: limit <key> <requests>/<window>') });
    expect(parseCommand('limit ci 100')).toMatchObject({ ok: false, reason: 'invalid', message: expect.stringContaining('100/1m') });
    expect(parseCommand('limit ci 100/soon')).toMatchObject({ ok: false, reason: 'invalid' });
    expect(parseCommand('limit ci 0/1m')).toMatchObject({ ok: false, message: expect.stringContaining('between 1 and 1,000,000') });
    expect(parseCommand('limit ci 2000000/1m')).toMatchObject({ ok: false, message: expect.stringContaining('between 1 and 1,000,000') });
    expect(parseCommand('limit ci 100/2d')).toMatchObject({ ok: false, message: 'The window can be at most 1d.' });
    expect(parseCommand('pause ci --now')).toMatchObject({ ok: false, reason: 'invalid' });
    expect(ADMIN_COMMANDS).toEqual(expect.arrayContaining(['pause', 'resume', 'limit']));
    expect(HELP.filter((h) => ['pause', 'resume', 'limit'].includes(h.name)).every((h) => h.adminOnly)).toBe(true);
  });

  it('budget: a key, and credits per day, week, month or in total — or none', () => {
    expect(parseCommand('budget ci 20/month')).toEqual({ ok: true, command: { name: 'budget', key: 'ci', budget: { credits: 20, period: 'month' } } });
    expect(parseCommand('budget CI deploy 5/day')).toEqual({ ok: true, command: { name: 'budget', key: 'CI deploy', budget: { credits: 5, period: 'day' } } });
    expect(parseCommand('budget ci 50/week')).toMatchObject({ ok: true, command: { budget: { credits: 50, period: 'week' } } });
    expect(parseCommand('budget ci 100/total')).toMatchObject({ ok: true, command: { budget: { credits: 100, period: 'total' } } });
    expect(parseCommand('budget ci 2.5/mo')).toMatchObject({ ok: true, command: { budget: { credits: 2.5, period: 'month' } } });
    expect(parseCommand('budget ci none')).toEqual({ ok: true, command: { name: 'budget', key: 'ci', budget: null } });
    expect(parseCommand('budget ci')).toMatchObject({ ok: false, reason: 'invalid', message: expect.stringContaining('Usage: budget <key> <credits>/<period>|none') });
    expect(parseCommand('budget ci 20/fortnight')).toMatchObject({ ok: false, reason: 'invalid', message: expect.stringContaining('20/month') });
    expect(parseCommand('budget ci 0/day')).toMatchObject({ ok: false, reason: 'invalid' });
    expect(parseCommand('budget ci 2000000000/day')).toMatchObject({ ok: false, reason: 'invalid' });
    expect(ADMIN_COMMANDS).toContain('budget');
    expect(HELP.find((h) => h.name === 'budget')).toMatchObject({ adminOnly: true });
  });

  it('a rate limit reads back as the grammar writes it', () => {
    for (const text of ['100/1m', '100/45s', '6000/1h', '5/1d', '7/90m']) {
      const parsed = parseRateLimit(text);
      expect(parsed.ok && formatRateLimit(parsed.rateLimit)).toBe(text);
    }
    expect(formatRateLimit({ limit: 100, windowSeconds: 60 })).toBe('100/1m');
    expect(formatRateLimit({ limit: 1, windowSeconds: 7200 })).toBe('1/2h');
  });

  it('suggests the command a typo meant', () => {
    expect(parseCommand('lsit')).toEqual({ ok: false, reason: 'unknown_command', word: 'lsit', suggestion: 'list' });
    expect(parseCommand('rotae ci')).toMatchObject({ suggestion: 'rotate' });
    expect(parseCommand('revok ci')).toMatchObject({ suggestion: 'revoke' });
    expect(parseCommand('whoam')).toMatchObject({ suggestion: 'whoami' });
    expect(parseCommand('puase ci')).toMatchObject({ suggestion: 'pause' });
    expect(parseCommand('limti ci 1/1m')).toMatchObject({ suggestion: 'limit' });
    expect(suggestCommand('hepl')).toBe('help');
    expect(suggestCommand('banana')).toBeUndefined();
    expect(parseCommand('banana')).toEqual({ ok: false, reason: 'unknown_command', word: 'banana' });
  });

  it('tokenizes quotes and Slack link formatting', () => {
    expect(tokenize('create "CI deploy" ‘x y’ “a b”')).toEqual(['create', 'CI deploy', 'x y', 'a b']);
    expect(tokenize('list <mailto:a@b.c|a@b.c>')).toEqual(['list', 'a@b.c']);
  });

  it('form fields go through the same checks as flags', () => {
    expect(validateCreateOptions({ name: '  ', type: 'viewer', scopes: 'models:read responses:write' })).toEqual({
      ok: true,
      options: { type: 'viewer', scopes: ['models:read', 'responses:write'] },
    });
    expect(validateCreateOptions({ scopes: ['nope'] })).toMatchObject({ ok: false, field: 'scopes' });
  });
});
