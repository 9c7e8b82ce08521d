import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SLASH_COMMAND } from '../../../bots/slack';
import { COMMAND_NAMES } from '../../../bots/core/command-grammar';

/** The install kit matches what the listeners handle. */
describe('slack/manifest.yaml', () => {
  const manifest = readFileSync(new URL('../../../slack/manifest.yaml', import.meta.url), 'utf8');

  it('declares the command, events, interactivity and scopes the bot needs', () => {
    expect(manifest).toContain(`command: ${SLASH_COMMAND}`);
    for (const event of ['app_mention', 'message.channels', 'message.groups', 'message.im']) expect(manifest).toMatch(new RegExp(`^\\s+- ${event}(\\s|$)`, 'm'));
    for (const scope of ['chat:write', 'commands', 'im:write', 'users:read', 'channels:history', 'app_mentions:read', 'im:history']) {
      expect(manifest).toMatch(new RegExp(`^\\s+- ${scope}(\\s|$)`, 'm'));
    }
    // Private channels are guarded when the workspace grants groups:history, asked for as optional.
    expect(manifest).toMatch(/^\s+bot_optional:\n(?:\s+#.*\n)*\s+- groups:history(\s|$)/m);
    expect(manifest).toMatch(/interactivity:\n\s+is_enabled: true/);
    const urls = [...manifest.matchAll(/(?:url|request_url): (\S+)/g)].map((m) => m[1]);
    expect(urls).toHaveLength(3);
    for (const url of urls) expect(url).toMatch(/\/slack\/events$/);
  });

  it('names every command the bot handles in the slash command’s description, within Slack’s lengths', () => {
    const description = /^\s+description: (.+)$/m.exec(manifest.slice(manifest.indexOf(`command: ${SLASH_COMMAND}`)))?.[1] ?? '';
    const usageHint = /^\s+usage_hint: "(.+)"$/m.exec(manifest)?.[1] ?? '';
    const named = new Set(/\(([^)]*)\)\s*$/.exec(description)?.[1]?.split(/,\s*/));
    expect([...COMMAND_NAMES].filter((name) => !named.has(name))).toEqual([]);
    // Slack's manifest schema: a slash command's description at most 2,000 characters, its usage hint 1,000.
    expect(description.length).toBeLessThanOrEqual(2000);
    expect(usageHint.length).toBeGreaterThan(0);
    expect(usageHint.length).toBeLessThanOrEqual(1000);
  });
});
