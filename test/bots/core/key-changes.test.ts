import { describe, expect, it } from 'vitest';
import { decodeAction, encodeAction, parseCommand, type Command } from '../../../bots/core';
import { changeQuestion } from '../../../bots/core/key-changes';
import { sampleApiKey } from '../../support/sample-api-key';

/** pause / resume / limit as questions: the change before → after, on the version read (pure: no stack). */
const NOW = Date.parse('2026-06-01T12:00:00Z');
const command = (text: string) => {
  const parsed = parseCommand(text);
  if (!parsed.ok) throw new Error(text);
  return parsed.command as Extract<Command, { name: 'pause' | 'resume' | 'limit' | 'budget' }>;
};
const BUDGET = { credits: 20, period: 'month' as const, spent: 16, remaining: 4, resetsAt: '2026-07-01T00:00:00.000Z' };

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

  it('budget asks the old budget → the new one (and what the period has spent), carries it, and says when there is nothing to change', () => {
    const set = changeQuestion(command('budget ci 20/month'), sampleApiKey({ version: 3 }), NOW);
    expect(set).toMatchObject({ kind: 'confirm', change: { label: 'Budget', before: 'none', after: '20 credits/month' }, action: { op: 'budget', version: 3, budget: { credits: 20, period: 'month' } } });
    const raise = changeQuestion(command('budget ci 40/month'), sampleApiKey({ budget: BUDGET }), NOW);
    expect(raise).toMatchObject({ kind: 'confirm', change: { before: '20 credits/month', after: '40 credits/month' } });
    if (raise.kind !== 'confirm') throw new Error('unreachable');
    expect(raise.consequence).toContain('16 of 20 credits spent this month (80 %)');
    expect(decodeAction(encodeAction(raise.action))).toEqual(raise.action);
    const remove = changeQuestion(command('budget ci none'), sampleApiKey({ budget: BUDGET }), NOW);
    expect(remove).toMatchObject({ kind: 'confirm', change: { before: '20 credits/month', after: 'none' }, action: { budget: null } });
    if (remove.kind !== 'confirm') throw new Error('unreachable');
    expect(decodeAction(encodeAction(remove.action))).toMatchObject({ op: 'budget', budget: null });
    expect(changeQuestion(command('budget ci 20/mo'), sampleApiKey({ budget: BUDGET }), NOW)).toMatchObject({ kind: 'text', text: expect.stringContaining('already has a budget of 20 credits/month') });
    expect(changeQuestion(command('budget ci none'), sampleApiKey(), NOW)).toMatchObject({ kind: 'text', text: expect.stringContaining('has no budget') });
    expect(changeQuestion(command('budget ci 1/day'), sampleApiKey({ status: 'revoked' }), NOW)).toMatchObject({ kind: 'error', code: 'refused' });
    const base = { v: 1, keyId: 'key_0123456789abcdefghijkl', origin: 'confirm', iat: 1, version: 2 };
    expect(decodeAction(JSON.stringify({ ...base, op: 'budget' }))).toBeUndefined(); // no budget
    expect(decodeAction(JSON.stringify({ ...base, op: 'limit', rateLimit: { limit: 1, windowSeconds: 1 }, budget: null }))).toBeUndefined();
    expect(decodeAction(JSON.stringify({ ...base, op: 'budget', budget: { credits: 0, period: 'day' } }))).toBeUndefined();
    expect(decodeAction(JSON.stringify({ ...base, op: 'budget', budget: { credits: 5, period: 'year' } }))).toBeUndefined();
  });
});
