import type { ApiAuditRecord, ApiKey } from '../../core/api-types';
import { relativeTime } from '../../core/key-text';
import { adaptiveCard, heading, plain, text, type AdaptiveCard, type TextColor } from './adaptive-card';

const OUTCOME_COLOR: Record<ApiAuditRecord['outcome'], TextColor> = { success: 'good', denied: 'attention', error: 'warning' };

/** `audit <key>`: who did what to the key, newest first. */
export function auditCard(input: { key: ApiKey; entries: ApiAuditRecord[] }, nowMs = Date.now()): AdaptiveCard {
  const rows = input.entries.map((e) =>
    text(
      `**${e.action}** · ${e.outcome} · ${e.actor}${e.viaBot ? ` via ${e.viaBot}` : ''} · ${relativeTime(e.at, nowMs)}${e.reason ? ` — ${plain(e.reason)}` : ''}`,
      { color: OUTCOME_COLOR[e.outcome], spacing: 'small' },
    ),
  );
  return adaptiveCard([
    heading(`Audit trail of “${plain(input.key.name)}” (${input.key.start}…)`),
    ...(rows.length > 0 ? rows : [text('No audit records yet.', { isSubtle: true })]),
  ]);
}
