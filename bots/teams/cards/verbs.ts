/**
 * The verbs Keywarden's buttons carry (Action.Execute `verb`, and `data.verb` for the
 * Action.Submit fallback). Both doors reach one switch with a case per verb, in
 * bots/teams/listeners/card-action.ts.
 */
export const VERB = {
  /** Run a confirmed rotate/revoke/delete, or a leak-guard revoke: `data.action` is the core's encoded PendingAction. */
  confirm: 'keywarden.confirm',
  cancel: 'keywarden.cancel',
  /** The create form: `data` carries the form's inputs. */
  create: 'keywarden.create',
  /** Rotate… / Revoke… on an expiry reminder: `data.button` names the key; the usual confirmation follows. */
  reminder: 'keywarden.reminder',
  /** Raise budget… / Pause key on a budget alert: `data.button` names the key and which. */
  budgetAlert: 'keywarden.budget-alert',
  /** The new-budget form (Raise budget…): `data.keyId`, and the `budget` input; the usual confirmation follows. */
  budget: 'keywarden.budget',
  /** Create replacement / Show usage on an exposure notice: `data.button` names the key and which. */
  exposure: 'keywarden.exposure',
  /** Approve / Deny (with the card's `reason` input) on a key request card, Collect key on its decision: `data.button` names the request and which. */
  keyRequest: 'keywarden.key-request',
  /** Collect key on a scheduled rotation's notice to the key's owner: `data.button` names the key. */
  rotationDelivery: 'keywarden.rotation-delivery',
} as const;

export type Verb = (typeof VERB)[keyof typeof VERB];

export function isVerb(value: unknown): value is Verb {
  return typeof value === 'string' && (Object.values(VERB) as string[]).includes(value);
}
