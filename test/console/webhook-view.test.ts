import { describe, expect, it } from 'vitest';
import type { Me } from '../../console/src/api';
import { eventsWords, lastAnswerWords, newWebhookBody, nextRetryWords, webhookPowers } from '../../console/src/webhook-view';
import { EVENT_TYPES } from '../../lambdas/core/events';

/** The Webhooks tab's decisions (console/src/webhook-view.ts), apart from the browser. */
const me = (scopes: string[]) => ({ scopes }) as unknown as Me;

describe('what the Webhooks tab offers', () => {
  it('is offered with webhooks:read or admin; Add needs webhooks:write and audit:read, Remove webhooks:write', () => {
    expect(webhookPowers(undefined)).toEqual({ read: false });
    expect(webhookPowers(me(['keys:read', 'audit:read']))).toEqual({ read: false });
    expect(webhookPowers(me(['admin']))).toEqual({ read: true, addBlocked: undefined, removeBlocked: undefined });
    expect(webhookPowers(me(['webhooks:read', 'webhooks:write', 'audit:read']))).toEqual({ read: true, addBlocked: undefined, removeBlocked: undefined });
    const readOnly = webhookPowers(me(['webhooks:read', 'audit:read']));
    expect(readOnly.read).toBe(true);
    expect(readOnly.addBlocked).toMatch(/webhooks:write/);
    expect(readOnly.removeBlocked).toMatch(/webhooks:write/);
    const noAudit = webhookPowers(me(['webhooks:read', 'webhooks:write']));
    expect(noAudit.addBlocked).toMatch(/audit:read/);
    expect(noAudit.removeBlocked).toBeUndefined();
  });
});

describe('the Add form', () => {
  it('sends no event list when every type is checked, else the chosen ones in the vocabulary’s order', () => {
    expect(newWebhookBody(' https://h.example/k ', [...EVENT_TYPES].reverse(), '  ')).toEqual({ url: 'https://h.example/k' });
    expect(newWebhookBody('https://h.example/k', ['key.exposed', 'key.revoked'], ' pager ')).toEqual({ url: 'https://h.example/k', events: ['key.revoked', 'key.exposed'], description: 'pager' });
  });
});

describe('a delivery in words', () => {
  it('names the last answer, and the next retry only while pending', () => {
    expect(lastAnswerWords({ lastStatus: 204, lastError: null, attempts: 1 })).toBe('HTTP 204');
    expect(lastAnswerWords({ lastStatus: 500, lastError: 'server error', attempts: 2 })).toBe('HTTP 500 (server error)');
    expect(lastAnswerWords({ lastStatus: null, lastError: 'timeout', attempts: 3 })).toBe('timeout');
    expect(lastAnswerWords({ lastStatus: null, lastError: null, attempts: 0 })).toBe('Not tried yet');
    expect(nextRetryWords({ status: 'pending', nextAttemptAt: '2026-12-06T10:02:01.000Z' })).toBe('2026-12-06 10:02 UTC');
    expect(nextRetryWords({ status: 'pending', nextAttemptAt: null })).toBe('Soon');
    expect(nextRetryWords({ status: 'delivered', nextAttemptAt: null })).toBe('—');
    expect(nextRetryWords({ status: 'failed', nextAttemptAt: null })).toBe('Given up');
    expect(eventsWords([...EVENT_TYPES])).toBe('All events');
    expect(eventsWords(['key.revoked', 'key.exposed'])).toBe('key.revoked, key.exposed');
  });
});
