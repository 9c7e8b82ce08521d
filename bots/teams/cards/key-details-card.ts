import type { ApiKey } from '../../core/api-types';
import { adaptiveCard, facts, heading, plain, type AdaptiveCard } from './adaptive-card';
import { keyFacts } from './key-facts';

/** `show <key>`: the public record. */
export function keyDetailsCard(key: ApiKey, nowMs = Date.now()): AdaptiveCard {
  return adaptiveCard([
    heading(`Key “${plain(key.name)}”`),
    keyFacts(key, nowMs),
    facts([
      ['Scopes', key.scopes.join(', ') || '(none)'],
      ['Created', `${key.createdAt} by ${key.createdBy}`],
      ['Expires', key.expiresAt ?? 'never'],
      ['Revoked', key.revokedAt],
      ['Rotated from', key.rotatedFrom],
      ['Replaced by', key.replacedBy],
    ]),
  ]);
}
