/**
 * The credit part of an admission's outcome (key-admission.ts): the balance a model call states,
 * or the refusal when no lease could be taken for it (key-lease.ts).
 */
import type { AdmitOutcome } from '../../core/ports';
import { roundCredits } from '../../core/credits';
import type { Item } from './key-admission-plan';
import type { KeyLeases, TakeOutcome } from './key-lease';

/**
 * An admission's credit reservation with the balance it states: the key's lease after it plus
 * the account's unleased credits as last seen here (read once per account, then as lease writes
 * here see them). With no lease taken (`refused`): the refusal, with what the account holds.
 */
export async function credited(leases: KeyLeases, outcome: AdmitOutcome, refused?: Extract<TakeOutcome, { ok: false }>, item?: Item): Promise<AdmitOutcome> {
  if (!outcome.admitted) return outcome;
  if (refused) {
    const reason = refused.reason === 'disabled' ? 'disabled' : 'insufficient';
    const balance = roundCredits(refused.unleased + Number(item?.lease ?? 0));
    return { ...outcome, hold: { ...outcome.hold, credits: { accountId: outcome.key.accountId, reserved: 0, balance, refused: reason } } };
  }
  const credits = outcome.hold?.credits;
  if (!credits) return outcome;
  const unleased = await leases.unleasedOf(credits.accountId);
  return { ...outcome, hold: { ...outcome.hold, credits: { ...credits, balance: roundCredits(credits.balance + unleased) } } };
}
