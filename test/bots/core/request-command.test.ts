import { describe, expect, it } from 'vitest';
import { HELP, parseCommand } from '../../../bots/core';

/** `request <name> … --reason "…"` (issue 25): the grammar, pure. */
describe('request', () => {
  it('reads the name, the reason and every option', () => {
    expect(parseCommand('request "nightly export" --type viewer --scopes models:read,responses:write --models archibot --budget 20/month --expires 30d --reason "the export job"')).toEqual({
      ok: true,
      command: {
        name: 'request',
        options: {
          name: 'nightly export',
          reason: 'the export job',
          type: 'viewer',
          scopes: ['models:read', 'responses:write'],
          models: ['archibot'],
          budget: { credits: 20, period: 'month' },
          expires: '30d',
        },
      },
    });
    // Unquoted words name the key; chat clients' em dashes count as --.
    expect(parseCommand('request ci deploy —reason=deploys')).toEqual({ ok: true, command: { name: 'request', options: { name: 'ci deploy', reason: 'deploys' } } });
  });

  it('refuses what the API would, saying how to fix it', () => {
    const invalid = (text: string) => {
      const parsed = parseCommand(text);
      if (parsed.ok || parsed.reason !== 'invalid') throw new Error(`${text} parsed`);
      return parsed.message;
    };
    expect(invalid('request --reason "x"')).toContain('Which key?');
    expect(invalid('request reports')).toContain('--reason');
    expect(invalid('request reports --reason "  "')).toContain('--reason');
    expect(invalid('request reports --reason x --type system')).toContain('viewer or privileged');
    expect(invalid('request reports --reason x --scopes root')).toContain('Unknown scope "root"');
    expect(invalid('request reports --reason x --budget lots')).toContain('20/month');
    expect(invalid('request reports --reason x --expires soon')).toContain('90d');
    expect(invalid('request reports --reason x --models "bad model!"')).toContain('not a model id');
    expect(invalid('request reports --reason x --prefix ci')).toContain('Unknown option --prefix');
    expect(invalid(`request reports --reason ${'x'.repeat(1001)}`)).toContain('1000');
  });

  it('is for anyone, and its help says so', () => {
    expect(HELP.find((h) => h.name === 'request')).toMatchObject({ adminOnly: false, usage: expect.stringContaining('--reason') });
  });
});
