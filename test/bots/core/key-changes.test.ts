import { describe, expect, it } from 'vitest';
import { decodeAction, encodeAction, parseCommand, type Command } from '../../../bots/core';
import { changeQuestion } from '../../../bots/core/key-changes';
import { sampleApiKey } from '../../support/sample-api-key';

/** pause / resume / limit as questions: the change before → after, on the version read (pure: no stack). */
const NOW = Date.parse('2026-06-01T12:00:00Z');
const command = (text: string) => {
  const parsed = parseCommand(text);
  if (!parsed.ok) throw new Error(text);
  return parsed.command as Extract<Command, { name: 'pause' | 'resume' | 'limit' }>;
};

describe('key changes', () => {
  it('pause asks active → paused and carries the version read', () => {
    const reply = changeQuestion(command('pause ci'), sampleApiKey({ version: 7 }), NOW);
    expect(reply).toMatchObject({ kind: 'confirm', change: { label: 'Status', before: 'active', after: 'paused' } });
    if (reply.kind !== 'confirm') throw new Error('unreachable');
    expect(reply.action).toEqual({ v: 1, op: 'pause', keyId: 'key_0123456789abcdefghijkl', version: 7, origin: 'confirm', iat: NOW / 1000 });
    expect(reply.summary).toContain('Status: active → paused');
    expect(decodeAction(encodeAction(reply.action))).toEqual(reply.action);
  });

  it('resume asks paused → active; limit asks the old limit → the new one and carries it', () => {
    expect(changeQuestion(command('resume ci'), sampleApiKey({ status: 'disabled' }), NOW)).toMatchObject({
      kind: 'confirm',
      change: { before: 'paused', after: 'active' },
      action: { op: 'resume', version: 1 },
    });
    const limit = changeQuestion(command('limit ci 100/1m'), sampleApiKey(), NOW);
    expect(limit).toMatchObject({
      kind: 'confirm',
      change: { label: 'Rate limit', before: '600 requests / 1m', after: '100 requests / 1m' },
      action: { op: 'limit', version: 1, rateLimit: { limit: 100, windowSeconds: 60 } },
    });
  });

  it('says why there is nothing to confirm', () => {
    expect(changeQuestion(command('pause ci'), sampleApiKey({ status: 'disabled' }), NOW)).toMatchObject({ kind: 'text', text: expect.stringContaining('already paused') });
    expect(changeQuestion(command('resume ci'), sampleApiKey(), NOW)).toMatchObject({ kind: 'text', text: expect.stringContaining('is not paused') });
    expect(changeQuestion(command('limit ci 600/60s'), sampleApiKey(), NOW)).toMatchObject({ kind: 'text', text: expect.stringContaining('already allows 600 requests / 1m') });
    for (const status of ['revoked', 'expired'] as const) {
      expect(changeQuestion(command('resume ci'), sampleApiKey({ status }), NOW)).toMatchObject({ kind: 'error', code: 'refused' });
      expect(changeQuestion(command('limit ci 1/1s'), sampleApiKey({ status }), NOW)).toMatchObject({ kind: 'error', code: 'refused' });
    }
    expect(changeQuestion(command('pause Automator'), sampleApiKey({ type: 'system', protected: true }), NOW)).toMatchObject({
      kind: 'error',
      message: expect.stringContaining('never paused'),
    });
  });

  it('a button value that does not say what the click does is not valid', () => {
    const base = { v: 1, keyId: 'key_0123456789abcdefghijkl', origin: 'confirm', iat: 1 };
    expect(decodeAction(JSON.stringify({ ...base, op: 'pause' }))).toBeUndefined(); // no version
    expect(decodeAction(JSON.stringify({ ...base, op: 'limit', version: 2 }))).toBeUndefined(); // no limit
    expect(decodeAction(JSON.stringify({ ...base, op: 'pause', version: 2, rateLimit: { limit: 1, windowSeconds: 1 } }))).toBeUndefined();
    expect(decodeAction(JSON.stringify({ ...base, op: 'limit', version: 2, rateLimit: { limit: 0, windowSeconds: 60 } }))).toBeUndefined();
    expect(decodeAction(JSON.stringify({ ...base, op: 'pause', version: 2, origin: 'leak' }))).toBeUndefined(); // the leak guard only revokes
    expect(decodeAction(JSON.stringify({ ...base, op: 'limit', version: 2, rateLimit: { limit: 5, windowSeconds: 60 } }))).toMatchObject({ op: 'limit' });
  });
});
