import { budgetSpentText, lastUsedText, rateLimitText, relativeTime, startPreview, statusWord } from '../../core/key-text';
import type { ApiKey } from '../../core/api-types';
import { facts, plain, type FactSet } from './adaptive-card';

/** The facts every card that names a key shows: what it is, and what it would hit. */
export function keyFacts(key: ApiKey, nowMs = Date.now()): FactSet {
  return facts([
    ['Name', plain(key.name)],
    ['Start', startPreview(key)],
    ['Id', key.id],
    ['Type', key.protected ? `${key.type} (protected)` : key.type],
    ['Status', statusText(key, nowMs)],
    ['Rate limit', rateLimitText(key.rateLimit)],
    ['Budget', key.budget ? budgetSpentText(key.budget, nowMs) : null],
    ['Last used', lastUsedText(key, nowMs)],
  ]);
}

export function statusText(key: ApiKey, nowMs = Date.now()): string {
  if (key.status === 'active' && key.graceUntil) return `active (replaced; stops ${relativeTime(key.graceUntil, nowMs)})`;
  return statusWord(key.status);
}

/** One line for lists: `**CI deploy** · archie_4fQa… · privileged · active · last used 2 hours ago` (a disabled key: paused) */
export function keySummaryLine(key: ApiKey, nowMs = Date.now()): string {
  return `**${plain(key.name)}** · \`${startPreview(key)}\` · ${key.type} · ${statusText(key, nowMs)} · ${lastUsedText(key, nowMs)}`;
}
