import * as z from 'zod';
import { MAX_BUDGET_CREDITS } from '../../lambdas/core/budget';
import { BUDGET_PERIODS } from '../../lambdas/core/types';

/**
 * What a confirmation or leak-alert button will do when clicked, carried in the button's value.
 *
 * It names the action and the exact key id resolved when the button was shown (a name is never
 * re-resolved at click time) — and deliberately no person. Whoever clicks is the actor: the edge
 * passes the clicking user's identity, taken from the platform-signed interaction payload, and the
 * core checks that person is an admin and signs the API assertion for them. So a copied or crafted
 * button value can never make the bot act on behalf of someone else.
 */
export const CONFIRMATION_TTL_S = 15 * 60;

const PendingActionSchema = z
  .strictObject({
    v: z.literal(1),
    /** `expose`: report the key exposed (`exposed <key>`); `replace`: a new key like this exposed one (its exposure notice). */
    op: z.enum(['rotate', 'revoke', 'delete', 'pause', 'resume', 'limit', 'budget', 'expose', 'replace']),
    keyId: z.string().regex(/^key_[0-9A-Za-z]{1,64}$/),
    overlap: z.string().regex(/^\d{1,6}[smhd]$/).optional(),
    /**
     * pause / resume / limit / budget: the key's version when the question was asked, sent as `If-Match`, so
     * a key changed since is not overwritten by a click on what the person saw before.
     */
    version: z.number().int().positive().optional(),
    /** limit: the new rate limit the click sets. */
    rateLimit: z.strictObject({ limit: z.number().int().min(1).max(1_000_000), windowSeconds: z.number().int().min(1).max(86_400) }).optional(),
    /** budget: the new budget the click sets, or null to remove it. */
    budget: z.strictObject({ credits: z.number().gt(0).max(MAX_BUDGET_CREDITS), period: z.enum(BUDGET_PERIODS) }).nullable().optional(),
    /** `confirm`: answer to a command, expires; `leak`: one-click revoke offered by the leak guard. */
    origin: z.enum(['confirm', 'leak']),
    /** Epoch seconds when the button was shown. */
    iat: z.number().int().nonnegative(),
  })
  .refine((a) => !['pause', 'resume', 'limit', 'budget'].includes(a.op) || a.version !== undefined, 'a key change carries the version it was asked on')
  .refine((a) => a.origin === 'confirm' || a.op === 'revoke', 'the leak guard offers revoke only')
  .refine((a) => (a.op === 'limit') === (a.rateLimit !== undefined), 'limit, and only limit, carries the new rate limit')
  .refine((a) => (a.op === 'budget') === (a.budget !== undefined), 'budget, and only budget, carries the new budget');
export type PendingAction = z.infer<typeof PendingActionSchema>;

export function encodeAction(action: PendingAction): string {
  return JSON.stringify(action);
}

export function decodeAction(value: string): PendingAction | undefined {
  try {
    const parsed = PendingActionSchema.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Confirmations go stale (the key may have changed since); leak revokes stay valid — revoke is idempotent. */
export function isStale(action: PendingAction, nowMs = Date.now()): boolean {
  return action.origin === 'confirm' && Math.floor(nowMs / 1000) - action.iat > CONFIRMATION_TTL_S;
}

/** What a confirmation asks, and its button, per action: the same words on Slack and Teams. */
export const CONFIRM_QUESTION: Record<PendingAction['op'], string> = {
  rotate: 'Rotate this key?',
  revoke: 'Revoke this key?',
  delete: 'Delete this key?',
  pause: 'Pause this key?',
  resume: 'Resume this key?',
  limit: 'Change this key’s rate limit?',
  budget: 'Change this key’s budget?',
  expose: 'Report this key exposed?',
  replace: 'Create a replacement for this key?',
};
export const CONFIRM_BUTTON: Record<PendingAction['op'], string> = {
  rotate: 'Rotate key',
  revoke: 'Revoke key',
  delete: 'Delete key',
  pause: 'Pause key',
  resume: 'Resume key',
  limit: 'Set limit',
  budget: 'Set budget',
  expose: 'Report exposed',
  replace: 'Create replacement',
};
