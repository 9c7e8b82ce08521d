import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { COMMAND_NAMES } from '../../../bots/core';

/** teams/: the Teams app package (manifest.json, color.png, outline.png) is well formed. */
const dir = new URL('../../../teams/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8'));

/** Width, height and RGBA pixels of a non-interlaced 8-bit RGBA PNG with filter 0 rows (what make-icons writes). */
function decodePng(file: string): { width: number; height: number; pixels: Buffer } {
  const data = readFileSync(new URL(file, dir));
  expect(data.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let at = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (at < data.length) {
    const length = data.readUInt32BE(at);
    const type = data.toString('ascii', at + 4, at + 8);
    const body = data.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      expect([body[8], body[9]]).toEqual([8, 6]);
    }
    if (type === 'IDAT') idat.push(body);
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const pixels = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) raw.copy(pixels, y * width * 4, y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1));
  return { width, height, pixels };
}

describe('Teams app package', () => {
  it('manifest: schema 1.16, one bot in personal/team/groupChat, the app id as a placeholder', () => {
    expect(manifest.manifestVersion).toBe('1.16');
    expect(manifest.$schema).toContain('/v1.16/MicrosoftTeams.schema.json');
    expect(manifest.id).toBe('{{TEAMS_APP_ID}}');
    expect(manifest.bots).toHaveLength(1);
    expect(manifest.bots[0].botId).toBe('{{TEAMS_APP_ID}}');
    expect(manifest.bots[0].scopes).toEqual(['personal', 'team', 'groupChat']);
    expect(manifest.icons).toEqual({ color: 'color.png', outline: 'outline.png' });
    expect(manifest.description.short.length).toBeLessThanOrEqual(80);
  });

  // Teams shows at most 10 commands in the menu; the others still work when typed, and `help` lists them all.
  it('commandLists name shared commands only, help first, within Teams limits', () => {
    const commands = manifest.bots[0].commandLists[0].commands as { title: string; description: string }[];
    expect(commands.length).toBeLessThanOrEqual(10);
    expect(commands[0]!.title).toBe('help');
    expect(COMMAND_NAMES).toEqual(expect.arrayContaining(commands.map((c) => c.title)));
    expect(new Set(commands.map((c) => c.title)).size).toBe(commands.length);
    for (const c of commands) {
      expect(c.title.length).toBeLessThanOrEqual(32);
      expect(c.description.length).toBeLessThanOrEqual(128);
    }
  });

  it('asks for resource-specific consent to read channel and chat messages (the leak guard), and nothing else', () => {
    expect(manifest.authorization.permissions.resourceSpecific).toEqual([
      { name: 'ChannelMessage.Read.Group', type: 'Application' },
      { name: 'ChatMessage.Read.Chat', type: 'Application' },
    ]);
    expect(manifest.webApplicationInfo.id).toBe('{{TEAMS_APP_ID}}');
  });

  it('color.png is 192x192 and opaque; outline.png is 32x32, white on transparent', () => {
    const color = decodePng('color.png');
    expect([color.width, color.height]).toEqual([192, 192]);
    for (let i = 3; i < color.pixels.length; i += 4) expect(color.pixels[i]).toBe(255);

    const outline = decodePng('outline.png');
    expect([outline.width, outline.height]).toEqual([32, 32]);
    let drawn = 0;
    for (let i = 0; i < outline.pixels.length; i += 4) {
      expect([outline.pixels[i], outline.pixels[i + 1], outline.pixels[i + 2]]).toEqual([255, 255, 255]);
      if (outline.pixels[i + 3]! > 0) drawn++;
    }
    expect(drawn).toBeGreaterThan(50);
    expect(drawn).toBeLessThan(32 * 32);
  });
});
