import { describe, expect, it } from 'vitest';
import type { ApiKey } from '../../../bots/core';
import { decodeAction, HELP } from '../../../bots/core';
import { SCOPES } from '../../../lambdas/core/scopes';
import { generateKey } from '../../../lambdas/core/key-format';
import { adaptiveCard, button, plain, type AdaptiveCard } from '../../../bots/teams/cards/adaptive-card';
import { confirmCard } from '../../../bots/teams/cards/confirm-card';
import { createKeyCard } from '../../../bots/teams/cards/create-key-card';
import { helpCard } from '../../../bots/teams/cards/help-card';
import { keyListCard } from '../../../bots/teams/cards/key-list-card';
import { leakAlertCard } from '../../../bots/teams/cards/leak-alert-card';
import { newKeyCard } from '../../../bots/teams/cards/new-key-card';
import { publicActivity, redactActivity } from '../../../bots/teams/render-reply';
import { conversationKind, mentionsBot, identityOf } from '../../../bots/teams/activity';
import { sampleApiKey } from '../../support/sample-api-key';

/** The card factories and activity readers, pure: no stack. */
const now = Date.parse('2026-06-01T12:00:00Z');
const key: ApiKey = sampleApiKey({ createdBy: 'teams:t:u' });

/** Every action in a card tree. */
function actions(card: AdaptiveCard): any[] {
  return card.actions ?? [];
}

describe('Adaptive Cards 1.5', () => {
  it('every button is an Action.Execute with an Action.Submit fallback carrying the same data and verb', () => {
    const b = button('Go', 'keywarden.confirm', { action: 'x' }, 'destructive');
    expect(b).toEqual({
      type: 'Action.Execute',
      title: 'Go',
      verb: 'keywarden.confirm',
      data: { action: 'x', verb: 'keywarden.confirm' },
      style: 'destructive',
      fallback: { type: 'Action.Submit', title: 'Go', data: { action: 'x', verb: 'keywarden.confirm' }, style: 'destructive' },
    });
    expect(adaptiveCard([])).toMatchObject({ type: 'AdaptiveCard', version: '1.5', $schema: 'http://adaptivecards.io/schemas/adaptive-card.json' });
  });

  it('the confirmation names what it will hit and carries the core’s pending action, no person', () => {
    const action = { v: 1 as const, op: 'revoke' as const, keyId: key.id, origin: 'confirm' as const, iat: 1 };
    const card = confirmCard({ action, key, consequence: 'The key stops working immediately.' }, now);
    const facts = (card.body.find((e) => e.type === 'FactSet') as any).facts;
    expect(facts).toEqual(
      expect.arrayContaining([
        { title: 'Name', value: 'CI deploy' },
        { title: 'Start', value: 'archie_4fQa…' },
        { title: 'Last used', value: 'last used 2 hours ago' },
      ]),
    );
    const [go, cancel] = actions(card);
    expect(decodeAction(go.data.action)).toEqual(action);
    expect(cancel.verb).toBe('keywarden.cancel');
  });

  it('the create form offers every scope and both user key types', () => {
    const card = createKeyCard({ defaults: { type: 'privileged' }, scopes: SCOPES });
    const scopes = card.body.find((e) => e.type === 'Input.ChoiceSet' && e.id === 'scopes') as any;
    expect(scopes.choices.map((c: any) => c.value)).toEqual([...SCOPES]);
    const type = card.body.find((e) => e.type === 'Input.ChoiceSet' && e.id === 'type') as any;
    expect(type.value).toBe('privileged');
    expect(type.choices.map((c: any) => c.value)).toEqual(['viewer', 'privileged']);
  });

  it('the leak alert has a revoke button only when the recipient may revoke', () => {
    const revoke = { v: 1 as const, op: 'revoke' as const, keyId: key.id, origin: 'leak' as const, iat: 1 };
    expect(actions(leakAlertCard({ audience: 'poster', key, poster: 'teams:t:u' }, now))).toEqual([]);
    expect(actions(leakAlertCard({ audience: 'admin', key, poster: 'teams:t:u', revoke }, now))).toHaveLength(1);
  });

  it('help lists every command; lists show starts, never secrets', () => {
    const help = JSON.stringify(helpCard({ entries: HELP }));
    for (const entry of HELP) expect(help).toContain(entry.usage.replace(/"/g, '\\"'));
    expect(JSON.stringify(keyListCard({ keys: [key], more: true }, now))).toContain('archie_4fQa…');
  });

  it('user-controlled names cannot become links', () => {
    expect(plain('[docs](https://evil.example)')).not.toContain('](');
  });

  it('public rendering redacts any well-formed key, even one a model echoed', () => {
    const secret = generateKey();
    const rendered = publicActivity({ kind: 'chat_answer', text: `your key is ${secret}` });
    expect(JSON.stringify(rendered)).not.toContain(secret);
    expect(rendered.text).toContain(`${secret.slice(0, 11)}…`);
    expect(JSON.stringify(redactActivity({ a: [{ b: secret }] }))).not.toContain(secret);
  });

  it('only the new-key card carries the value, with the setup script', () => {
    const secret = generateKey();
    const card = JSON.stringify(newKeyCard({ action: 'create', key, secret, setupScript: `export OPENAI_API_KEY="${secret}"` }));
    expect(card.split(secret)).toHaveLength(3);
  });
});

describe('reading activities', () => {
  const base = { channelId: 'msteams', from: { id: '29:u', aadObjectId: 'aad-1' }, recipient: { id: '28:bot' } } as const;

  it('identity is teams:<tenant>:<aadObjectId>, tenant from the conversation or channelData', () => {
    expect(identityOf({ ...base, conversation: { id: 'c', tenantId: 'ten-1' } } as any)).toBe('teams:ten-1:aad-1');
    expect(identityOf({ ...base, conversation: { id: 'c' }, channelData: { tenant: { id: 'ten-2' } } } as any)).toBe('teams:ten-2:aad-1');
    expect(identityOf({ ...base, conversation: { id: 'c' } } as any)).toBeUndefined();
    expect(identityOf({ ...base, from: { id: '29:u' }, conversation: { id: 'c', tenantId: 't' } } as any)).toBeUndefined();
    expect(identityOf({ ...base, from: { id: '29:u', aadObjectId: 'a:b' }, conversation: { id: 'c', tenantId: 't' } } as any)).toBeUndefined();
    expect(identityOf({ channelId: 'emulator', from: { id: 'emu-user-1' }, conversation: { id: 'c' } } as any)).toBe('teams:emulator:emu-user-1');
  });

  it('only a personal conversation is private; Teams without a conversationType is treated as a channel', () => {
    expect(conversationKind({ ...base, conversation: { id: 'c', conversationType: 'personal' } } as any)).toBe('personal');
    expect(conversationKind({ ...base, conversation: { id: 'c', conversationType: 'groupChat' } } as any)).toBe('groupChat');
    expect(conversationKind({ ...base, conversation: { id: 'c' } } as any)).toBe('channel');
    expect(conversationKind({ channelId: 'emulator', conversation: { id: 'c', isGroup: true } } as any)).toBe('groupChat');
    expect(conversationKind({ channelId: 'emulator', conversation: { id: 'c' } } as any)).toBe('personal');
  });

  it('a mention counts only when it names the bot itself', () => {
    const channel = { ...base, conversation: { id: 'c', conversationType: 'channel' } };
    expect(mentionsBot({ ...channel, entities: [{ type: 'mention', mentioned: { id: '28:bot' } }] } as any)).toBe(true);
    expect(mentionsBot({ ...channel, entities: [{ type: 'mention', mentioned: { id: '29:someone' } }] } as any)).toBe(false);
  });
});
