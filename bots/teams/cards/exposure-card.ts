import type { ApiExposureUsage, ApiKey } from '../../core/api-types';
import { encodeExposureButton, exposureFacts, exposureUsageLines, replaceLabel, type ExposureNoticeReply } from '../../core/exposure-notices';
import { startPreview } from '../../core/key-text';
import { adaptiveCard, button, facts, heading, plain, text, type AdaptiveCard, type CardElement } from './adaptive-card';
import { VERB } from './verbs';

/**
 * An exposure notice, to one admin's 1:1 chat: where the key leaked, when, what was done, and
 * what it did since (bots/core/exposure-notices.ts), with `Create replacement` (not for the
 * Automator key, rotated already) and `Show usage`. The key is named by its start; the location,
 * addresses and user agents are shown as text, never as links a crafted value could disguise.
 */
export function exposureNoticeCard(reply: ExposureNoticeReply, nowMs = Date.now()): AdaptiveCard {
  const { key } = reply;
  const found = exposureFacts(key, nowMs);
  return adaptiveCard(
    [
      heading(`🚨 ${plain(found.lead)}`),
      facts([
        ['Where', found.where],
        ['Location', plain(found.location)],
        ['When', found.when],
        ['Done', found.done],
        ['Key id', key.id],
      ]),
      ...usageElements(reply.usage, nowMs),
    ],
    [
      button(replaceLabel(key), VERB.exposure, { button: encodeExposureButton({ op: 'replace', keyId: key.id }) }, 'positive'),
      button('Show usage', VERB.exposure, { button: encodeExposureButton({ op: 'usage', keyId: key.id }) }),
    ],
  );
}

/** `Show usage`: the figures since the exposure, read again. */
export function exposureUsageCard(key: ApiKey, usage: ApiExposureUsage, nowMs = Date.now()): AdaptiveCard {
  return adaptiveCard([heading(`What “${plain(key.name)}” (${startPreview(key)}) did since it was first seen exposed`), ...usageElements(usage, nowMs)]);
}

function usageElements(usage: ApiExposureUsage | undefined, nowMs: number): CardElement[] {
  const lines = exposureUsageLines(usage, nowMs);
  return [
    facts([
      ['Since the exposure', lines.totals],
      ['Use', lines.uses],
    ]),
    ...(lines.sources.length ? [text('Callers (address · user agent · calls)', { weight: 'bolder' }), text(lines.sources.map((s) => `- ${plain(s)}`).join('\n'))] : []),
    ...(lines.note ? [text(lines.note, { isSubtle: true })] : []),
  ];
}
