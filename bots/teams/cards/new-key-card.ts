import type { ApiKey } from '../../core/api-types';
import { startPreview } from '../../core/key-text';
import { adaptiveCard, facts, heading, plain, text, type AdaptiveCard } from './adaptive-card';

/**
 * THE ONLY CARD THAT CARRIES A KEY VALUE. Sent to the admin's personal (1:1) chat and nowhere
 * else; the edge checks the conversation before sending it (bots/teams/private-delivery.ts).
 */
export function newKeyCard(input: {
  action: 'create' | 'rotate';
  key: ApiKey;
  secret: string;
  setupScript: string;
  replaced?: { id: string; start: string; graceUntil: string | null };
}): AdaptiveCard {
  const { key } = input;
  return adaptiveCard([
    heading(input.action === 'create' ? `New key “${plain(key.name)}”` : `Key “${plain(key.name)}” rotated`),
    text('Copy it now: it is shown this once and Keywarden cannot show it again.', { color: 'warning' }),
    text(input.secret, { fontType: 'monospace', weight: 'bolder' }),
    facts([
      ['Id', key.id],
      ['Type', key.type],
      ['Scopes', key.scopes.join(', ')],
      ['Expires', key.expiresAt ?? 'never'],
      ...(input.replaced
        ? ([['Replaces', `${startPreview(input.replaced)} (${input.replaced.graceUntil ? `works until ${input.replaced.graceUntil}` : 'revoked now'})`]] as [string, string][])
        : []),
    ]),
    text('External coworker setup script', { weight: 'bolder', separator: true }),
    text(input.setupScript, { fontType: 'monospace', size: 'small' }),
  ]);
}
