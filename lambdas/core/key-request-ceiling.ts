import { budgetWider } from './authority';
import type { RequestCeiling, RequestedKey } from './key-request-record';

export type { RequestCeiling } from './key-request-record';

/**
 * A chat channel's ceiling on key requests (issue 25 point 1: "per channel, an admin can set a
 * ceiling (type, scopes, budget, lifetime) beyond which requests from that channel are refused
 * with the reason"). The rule alone, pure: what a request from the channel may ask for at most.
 * Stored per project and channel and enforced on request and approval by key-request-ceilings.ts.
 *
 * Every axis left out of the ceiling is unbounded; an axis set bounds the request even when the
 * request leaves it out (no budget asked is no limit at all, so it exceeds a budget ceiling; no
 * lifetime asked takes the approver's default, a year, so it exceeds a lifetime ceiling).
 */

const TYPE_RANK = { viewer: 0, privileged: 1 } as const;

/** Why `key` exceeds `ceiling`, one sentence per axis; empty when the channel allows it. */
export function beyondCeiling(key: Pick<RequestedKey, 'type' | 'scopes' | 'budget' | 'expiresInMs'>, ceiling: RequestCeiling, where: CeilingPlace = 'channel'): string[] {
  const out: string[] = [];
  const allows = where === 'direct' ? 'direct messages allow' : 'this channel allows';
  if (ceiling.type && TYPE_RANK[key.type] > TYPE_RANK[ceiling.type]) out.push(`a ${key.type} key (${allows} ${ceiling.type} keys at most)`);
  if (ceiling.scopes && !ceiling.scopes.includes('admin')) {
    const extra = key.scopes.filter((s) => !ceiling.scopes!.includes(s));
    if (extra.length) out.push(`the scopes ${extra.join(', ')} (${allows} ${ceiling.scopes.join(', ') || 'none'})`);
  }
  if (ceiling.budget && (!key.budget || budgetWider(key.budget, ceiling.budget))) {
    const asked = key.budget ? `${key.budget.credits}/${key.budget.period}` : 'no budget';
    out.push(`${asked} (${allows} at most ${ceiling.budget.credits}/${ceiling.budget.period})`);
  }
  if (ceiling.maxLifetimeMs !== undefined && (key.expiresInMs === undefined || key.expiresInMs > ceiling.maxLifetimeMs)) {
    const days = (ms: number) => `${Math.max(1, Math.round(ms / 86_400_000))}d`;
    out.push(`${key.expiresInMs === undefined ? 'the default lifetime' : `a lifetime of ${days(key.expiresInMs)}`} (${allows} ${days(ceiling.maxLifetimeMs)} at most)`);
  }
  return out;
}

/** The refusal a requester reads: every axis the request went beyond. */
export function ceilingRefusal(reasons: string[], where: CeilingPlace = 'channel'): string {
  const from = where === 'direct' ? 'Requests from direct messages with the bot' : 'Requests from this channel';
  return `${from} cannot ask for ${reasons.join('; ')}. Ask for less, or ask in a channel whose ceiling allows it.`;
}

/** Where a ceiling binds: a channel, or a workspace's direct messages with the bot (key-request-channel.ts). */
export type CeilingPlace = 'channel' | 'direct';
