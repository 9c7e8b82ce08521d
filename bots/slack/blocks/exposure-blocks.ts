import type { types } from '@slack/bolt';
import { redactKeys, startPreview, type ApiKey } from '../../core';
import type { ApiExposureUsage } from '../../core/api-types';
import { encodeExposureButton, exposureFacts, exposureUsageLines, replaceLabel, type ExposureNoticeReply } from '../../core/exposure-notices';
import { ACTION_EXPOSURE } from './action-ids';
import { actions, code, context, join, md, section, wire, type Block, type Mrkdwn, type WireMessage } from './mrkdwn';

/**
 * An exposure notice, to one admin's DM: where the key leaked, when, what was done, and what it
 * did since (bots/core/exposure-notices.ts), with `Create replacement` (for the Automator key,
 * rotated already, `Get a working key`: rotated once more, the value to the clicking admin) and
 * `Show usage`. The key is named by its start; the location is shown
 * as text (a link as Slack's own autolink, never a disguised one).
 */
export function exposureNoticeMessage(reply: ExposureNoticeReply, now = Date.now()): WireMessage {
  const { key } = reply;
  const facts = exposureFacts(key, now);
  const buttons: types.Button[] = [];
  buttons.push({ type: 'button', action_id: `${ACTION_EXPOSURE}_replace`, text: { type: 'plain_text', text: replaceLabel(key) }, style: 'primary', value: encodeExposureButton({ op: 'replace', keyId: key.id }) });
  buttons.push({ type: 'button', action_id: `${ACTION_EXPOSURE}_usage`, text: { type: 'plain_text', text: 'Show usage' }, value: encodeExposureButton({ op: 'usage', keyId: key.id }) });
  const blocks: Block[] = [
    section(md`:rotating_light: *${facts.lead}*\n*Where:* ${facts.where} — ${code(facts.location)}\n*When:* ${facts.when}\n*Done:* ${facts.done}\n${code(key.id)}`),
    ...usageBlocks(reply.usage, now),
    actions(buttons),
  ];
  return redacted(wire({ text: md`:rotating_light: ${facts.lead}: ${facts.done}`, blocks }));
}

/** `Show usage`: the figures since the exposure, read again. */
export function exposureUsageMessage(key: ApiKey, usage: ApiExposureUsage, now = Date.now()): { text: Mrkdwn; blocks: Block[] } {
  const head = md`:mag: *What “${key.name}” ${code(startPreview(key))} did since it was first seen exposed*`;
  return { text: md`What ${key.name} (${startPreview(key)}) did since it was exposed`, blocks: [section(head), ...usageBlocks(usage, now)] };
}

function usageBlocks(usage: ApiExposureUsage | undefined, now: number): Block[] {
  const lines = exposureUsageLines(usage, now);
  const body = [md`*Since the exposure:* ${lines.totals}`, ...(lines.uses ? [md`${lines.uses}`] : [])];
  const blocks = [section(join(body, '\n'))];
  if (lines.sources.length) blocks.push(section(md`*Callers (address · user agent · calls):*\n${join(lines.sources.map((s) => md`• ${s}`), '\n')}`));
  if (lines.note) blocks.push(context(md`${lines.note}`));
  return blocks;
}

/** No key value can be in a notice; redacted anyway, like every message but a new key. */
function redacted(message: WireMessage): WireMessage {
  return JSON.parse(redactKeys(JSON.stringify(message))) as WireMessage;
}
