import type { ApiExposureUsage, ApiKey, CreateKeyRequest } from './api-types';
import { countText, creditsText, keyLine, relativeTime, startPreview } from './key-text';
import type { KeywardenClient } from './keywarden-client';
import { forKeysWithAdmins, keyButtonCodec, type KeyButton } from './admin-notice-walk';
import { apiFailure } from './failure-replies';
import type { Reply } from './replies';

/**
 * Exposure notices (issue 22): a key found exposed — posted in a chat, pushed to a public GitHub
 * repository, sent in a URL or an id slot, or reported by someone — was stopped at once by the
 * API's exposure pipeline (revoked; the Automator key rotated). The project's admins on each
 * platform are then told privately (Slack DM, Teams 1:1), once per key, whatever the source:
 * where it leaked, when, what was done, and what the key did since it was first seen exposed
 * (`GET /v1/keys/{id}/exposure`: calls, tokens, credits, first and last use, caller addresses
 * and user agents). Buttons: `Create replacement` (admins; a confirmation, then a key with the
 * same name, type, scopes, models and limits, its value delivered privately to the clicker) and
 * `Show usage` (the same figures, read again).
 *
 * The job runs with the budget alerts (every 5 minutes in AWS, lib/keywarden-bots.ts; locally
 * with the reminders). It reads the keys with `exposure` set (the key answer carries
 * `{source, location, at}`: `GET /v1/audit` has no action filter), recent ones only, and claims
 * `exposure:<keyId>` per bot and admin through `POST /v1/bots/deliveries` before a notice goes out —
 * the claim the budget alerts use — so a second run, or one on another instance at the same
 * moment, sends nothing.
 */

const DAY_S = 86_400;
/** How long a notice's claim is held (the API's longest). */
export const EXPOSURE_CLAIM_S = 90 * DAY_S;
/**
 * Exposures older than this are not announced: well inside the claim, so a claim that ran out
 * never announces an old exposure again, and a bot set up today does not replay a year of them.
 */
export const EXPOSURE_NOTICE_WINDOW_MS = 30 * DAY_S * 1000;

/** One notice for one admin: the key as read (its exposure with it), and its use since (undefined: could not be read now). */
export interface ExposureNoticeReply {
  kind: 'exposure_notice';
  key: ApiKey;
  usage?: ApiExposureUsage;
}

/** What makes a notice once per key, bot and admin (hashed with the bot-only secret by the client). */
export function exposureNoticeDelivery(bot: string, keyId: string, admin: string): string {
  return `exposure:${keyId}:${bot}:${admin}`;
}

export interface ExposureNoticeRun {
  due: { admin: string; reply: ExposureNoticeReply }[];
  /** Notices skipped because an earlier (or concurrent) run claimed them. */
  alreadySent: number;
}

/**
 * The notices to send now, each already claimed: every key of the project read page by page (an
 * exposed key is revoked, so no status filter), the admins on this bot's platform. An API failure
 * ends the run with what it has; nothing unclaimed is lost.
 */
export async function claimDueExposureNotices(client: KeywardenClient, nowMs: number): Promise<ExposureNoticeRun> {
  const run: ExposureNoticeRun = { due: [], alreadySent: 0 };
  await forKeysWithAdmins(client, [undefined], async (key, admins) => {
    const at = key.exposure ? Date.parse(key.exposure.at) : NaN;
    if (!(at > nowMs - EXPOSURE_NOTICE_WINDOW_MS)) return;
    const claimed: string[] = [];
    for (const admin of admins) {
      const claim = await client.claimDelivery(exposureNoticeDelivery(client.bot, key.id, admin), EXPOSURE_CLAIM_S);
      if (claim.ok) claimed.push(admin);
      else if (claim.error.code === 'conflict') run.alreadySent += 1;
    }
    if (claimed.length === 0) return;
    // Read once per key, after the claims: only a run that will send asks for the figures.
    const usage = await client.exposureUsage(key.id);
    for (const admin of claimed) run.due.push({ admin, reply: { kind: 'exposure_notice', key, ...(usage.ok ? { usage: usage.value } : {}) } });
  });
  return run;
}

/** The words for where a key was found, per source. */
const SOURCE_WORDS: Record<NonNullable<ApiKey['exposure']>['source'], string> = {
  chat: 'posted in a chat conversation',
  github: 'pushed to a public GitHub repository (GitHub secret scanning)',
  url: 'sent in a URL, which access logs keep',
  id_slot: 'sent to the API where a key id or text belongs',
  report: 'reported exposed',
};

/** Plain-text lines of a notice, which each edge marks up in its own idiom (never a key value). */
export interface ExposureFacts {
  lead: string;
  where: string;
  location: string;
  when: string;
  done: string;
}

export function exposureFacts(key: ApiKey, nowMs = Date.now()): ExposureFacts {
  const exposure = key.exposure;
  const when = exposure ? `${relativeTime(exposure.at, nowMs)} (${exposure.at})` : 'unknown';
  const done =
    key.protected || key.type === 'system'
      ? `Rotated: the old value no longer works${key.replacedBy ? ` (replacement ${key.replacedBy})` : ''}. Its replacement was not sent to anyone: rotate it again to get a value.`
      : key.status === 'revoked'
        ? 'Revoked: it no longer works.'
        : `Now ${key.status}.`;
  return {
    lead: `An API key of this project was exposed: “${key.name}” (${startPreview(key)}, ${key.type})`,
    where: exposure ? SOURCE_WORDS[exposure.source] : 'unknown',
    location: exposure?.location ?? 'unknown',
    when,
    done,
  };
}

/** What the key did since it was first seen exposed, as lines: the totals, first and last use, and who called. */
export function exposureUsageLines(usage: ApiExposureUsage | undefined, nowMs = Date.now()): { totals: string; uses: string; sources: string[]; note?: string } {
  if (!usage) return { totals: 'Could not be read just now: press Show usage.', uses: '', sources: [] };
  const calls = `${countText(usage.calls)} ${usage.calls === 1 ? 'call' : 'calls'} · ${countText(usage.tokens)} tokens · ${creditsText(usage.credits)} credits`;
  const uses = usage.firstUse ? `First use ${relativeTime(usage.firstUse, nowMs)} (${usage.firstUse}), last ${relativeTime(usage.lastUse ?? usage.firstUse, nowMs)} (${usage.lastUse ?? usage.firstUse})` : 'Not used since.';
  const sources = usage.sources.slice(0, 10).map((s) => `${s.address ?? 'unknown address'} · ${s.userAgent ?? 'no user agent'} · ${countText(s.calls)} ${s.calls === 1 ? 'call' : 'calls'}`);
  const since = usage.since ? ` since ${usage.since}` : '';
  return {
    totals: `${calls}${since}`,
    uses,
    sources,
    ...(usage.complete ? {} : { note: 'Counted up to 10,000 records: there may be more.' }),
  };
}

/** `Show usage`: the figures read again, for whoever clicks (a read with the bot's viewer key). */
export async function exposureUsageReply(client: KeywardenClient, keyId: string): Promise<Reply> {
  const [key, usage] = await Promise.all([client.getKey(keyId), client.exposureUsage(keyId)]);
  if (!key.ok) return apiFailure(key.error);
  if (!usage.ok) return apiFailure(usage.error);
  return { kind: 'exposure_usage', key: key.value, usage: usage.value };
}

/** The replacement of an exposed key: the same name, type, scopes, roles, context, models and limits (not its expiry: the new key starts afresh). */
export function replacementRequest(key: ApiKey): CreateKeyRequest {
  return {
    name: key.name,
    type: key.type === 'viewer' ? 'viewer' : 'privileged',
    scopes: key.scopes,
    ...(key.roles.length ? { roles: key.roles } : {}),
    ...(Object.keys(key.context).length ? { context: key.context } : {}),
    ...(key.models ? { models: key.models } : {}),
    rateLimit: key.rateLimit,
    ...(key.budget ? { budget: { credits: key.budget.credits, period: key.budget.period } } : {}),
    ...(key.tokenLimit ? { tokenLimit: key.tokenLimit } : {}),
    ...(key.maxConcurrent ? { maxConcurrent: key.maxConcurrent } : {}),
  };
}

/**
 * `Create replacement`, asked before anything is created (the usual confirmation). For the
 * Automator key, which the exposure pipeline rotated at once and whose new value nobody holds,
 * the button gets the project a working value: `current` (the Automator key as it now stands) is
 * rotated once more, and that value goes to the confirming admin only, privately.
 */
export function replaceQuestion(key: ApiKey, nowMs: number, current?: ApiKey): Reply {
  const iat = Math.floor(nowMs / 1000);
  if (key.type === 'system') {
    if (!current || current.status !== 'active') return { kind: 'error', code: 'refused', message: `${keyLine(key, nowMs)} is the Automator key: it was rotated when it was found exposed, and no working Automator key follows it now.` };
    const consequence = 'The Automator key was rotated when it was found exposed, and nobody holds its new value: it is rotated once more now, and that value is sent only to you, privately.';
    return { kind: 'confirm', key: current, summary: `Get a working Automator key for this project? ${consequence}`, consequence, action: { v: 1, op: 'rotate', keyId: current.id, origin: 'confirm', iat } };
  }
  const consequence = 'A new key with the same name, type, scopes, models and limits is created; its value is sent only to you, privately.';
  return {
    kind: 'confirm',
    key,
    summary: `Create a replacement for ${keyLine(key, nowMs)}? ${consequence}`,
    consequence,
    action: { v: 1, op: 'replace', keyId: key.id, origin: 'confirm', iat },
  };
}

/** The label of an exposure notice's replacement button. */
export function replaceLabel(key: Pick<ApiKey, 'type'>): string {
  return key.type === 'system' ? 'Get a working key' : 'Create replacement';
}

/** `exposed <key>`, asked first like revoke: the API decides at the click whether the clicker may report it. */
export function exposedQuestion(key: ApiKey, nowMs: number): Reply {
  if (key.exposure) return { kind: 'text', text: `${keyLine(key, nowMs)} was already found exposed ${relativeTime(key.exposure.at, nowMs)}: it no longer works.` };
  const consequence =
    key.type === 'system'
      ? 'The Automator key is rotated at once (it cannot be revoked); the exposure is recorded and the project’s admins are told.'
      : 'The key stops working at once (revoked); the exposure is recorded and the project’s admins are told.';
  return {
    kind: 'confirm',
    key,
    summary: `Report ${keyLine(key, nowMs)} exposed? ${consequence}`,
    consequence,
    action: { v: 1, op: 'expose', keyId: key.id, origin: 'confirm', iat: Math.floor(nowMs / 1000) },
  };
}

/** The `exposed` confirmation clicked: reported as the clicker (`location` says where and by whom). */
export async function reportExposed(client: KeywardenClient, keyId: string, clicker: string, location: string, nowMs: number): Promise<Reply> {
  const result = await client.reportExposed(clicker, keyId, location);
  if (!result.ok) return result.error.code === 'insufficient_permissions' ? { kind: 'error', code: 'not_admin', message: result.error.message } : apiFailure(result.error);
  const line = keyLine(result.value.key, nowMs);
  const said = {
    revoked: `Reported ${line} exposed: it has been revoked and no longer works. The project admins are told what it did since.`,
    rotated: `Reported ${line} exposed: the Automator key was rotated, so the old value no longer works. The project admins are told.`,
    already: `${line} had stopped working already; the report is recorded.`,
  }[result.value.handled];
  return { kind: 'text', text: said };
}

/** What an exposure notice's button asks for, run for whoever clicks. */
export type ExposureButton = KeyButton<'replace' | 'usage'>;

export const { encode: encodeExposureButton, decode: decodeExposureButton } = keyButtonCodec<ExposureButton['op']>(['replace', 'usage']);
