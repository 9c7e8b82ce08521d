import { parseBudget } from '../../lambdas/core/budget';
import { SCOPES } from '../../lambdas/core/scopes';
import type { CallInput, CallOutput } from '../../lambdas/http/client';
import type { Me } from './api';

/**
 * The Requests tab's decisions, apart from its markup (issue 25 point 1): who is offered Approve
 * and Deny, what the request form sends, a request's key in words, and which requests the signed-in
 * caller can collect. The console's reading only: the API decides, and refuses whatever the page
 * showed (an approver never wider than their own key, a claim by the requester only, once).
 */

export type KeyRequest = CallOutput<'listKeyRequests'>['data'][number];
export type KeyRequestBody = CallInput<'createKeyRequest'>['body'];
export type IssuedKey = CallOutput<'claimKeyRequest'>;

/** Approve / Deny are offered to a key manager (keys:write, or admin); anyone may ask. */
export function mayDecide(me: Me | undefined): boolean {
  const scopes: readonly string[] = me?.scopes ?? [];
  return scopes.includes('admin') || scopes.includes('keys:write');
}

/** The key a request asks for, in one line: exactly what an approval mints. */
export function requestedKeyWords(r: KeyRequest): string {
  const k = r.key;
  return [
    k.type,
    k.scopes.join(', '),
    ...(k.models ? [`models ${k.models.join(', ')}`] : []),
    ...(k.budget ? [`budget ${k.budget.credits}/${k.budget.period}`] : []),
    ...(k.rateLimit ? [`${k.rateLimit.limit} requests / ${k.rateLimit.windowSeconds}s`] : []),
    k.expiresInSeconds === null ? 'default expiry' : `expires ${Math.max(1, Math.round(k.expiresInSeconds / 86_400))}d after approval`,
  ].join(' · ');
}

/** The caller's own approved request whose key waits to be collected (the claim, once). */
export function collectable(r: KeyRequest, actor: string): boolean {
  return r.status === 'approved' && !r.claimed && r.claimUntil !== null && r.requester === actor;
}

export interface RequestForm {
  name: string;
  type: 'viewer' | 'privileged';
  scopes: string;
  budget: string;
  expires: string;
  reason: string;
}

/** What the form sends, or what is wrong with it (the API checks everything again). */
export function requestBody(form: RequestForm): { ok: true; body: KeyRequestBody } | { ok: false; message: string } {
  const name = form.name.trim();
  const reason = form.reason.trim();
  if (!name) return { ok: false, message: 'Name the key you ask for.' };
  if (!reason) return { ok: false, message: 'Say why: the admins who decide read it.' };
  const scopes = form.scopes.split(/[\s,]+/).filter(Boolean);
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown.length) return { ok: false, message: `Unknown scope ${unknown.join(', ')}.` };
  const budget = form.budget.trim() ? parseBudget(form.budget.trim()) : undefined;
  if (form.budget.trim() && !budget) return { ok: false, message: 'A budget looks like 20/month, 5/day, 50/week or 100/total.' };
  const expires = form.expires.trim();
  if (expires && !/^\d{1,6}[smhd]$/.test(expires)) return { ok: false, message: 'Expiry looks like 30d, 12h or 45m.' };
  return {
    ok: true,
    body: {
      name,
      reason,
      type: form.type,
      ...(scopes.length ? { scopes: scopes as NonNullable<KeyRequestBody['scopes']> } : {}),
      ...(budget ? { budget } : {}),
      ...(expires ? { expiresIn: expires } : {}),
    },
  };
}
