import { verifyAssertion } from './actor-assertion';
import { verifyDeliveryClaim } from './delivery-claim';
import { KeywardenError } from './errors';
import { hashesEqual, hashingSecret, hashingSecrets, keyHash, keyIdFor } from './hashing';
import { parseKey } from './key-format';
import { keyStatus, rateLimitState, type RateLimitState } from './key-status';
import type { Principal } from './principal';
import type { Clock, KeyHold, ModelCallAdmission, SecretsProvider, Store } from './ports';
import type { KeyRecord } from './types';

/** The outcome of presenting a key: data, mapped to a status only at the edge. */
export type KeyCheck =
  /** `hold`: what a model call's admission took (budget reservation, token window, slot). */
  | { result: 'valid'; key: KeyRecord; rateLimit: RateLimitState; hold?: KeyHold }
  | { result: 'invalid' }
  | { result: 'expired'; key: KeyRecord }
  | { result: 'revoked'; key: KeyRecord }
  | { result: 'disabled'; key: KeyRecord }
  | { result: 'rate_limited'; key: KeyRecord; rateLimit: RateLimitState }
  /** A model call refused by the key's own budget, token limit or concurrency cap (counted as nothing). */
  | { result: 'over_limit'; limit: 'budget' | 'tokens' | 'concurrency'; key: KeyRecord; rateLimit: RateLimitState; hold: KeyHold };

/**
 * Who is calling: a presented key checked and counted against its rate limit, a raw key looked
 * up without counting, and a person vouched for by a bot's actor assertion.
 */
/** Keys whose account this instance remembers (a bound, so a flood of keys cannot grow it). */
const MAX_KNOWN_ACCOUNTS = 10_000;

export class Authenticator {
  /** Key id → account id of keys admitted on this instance: a key never changes account. */
  private readonly accounts = new Map<string, string>();

  constructor(private readonly deps: { store: Store; secrets: SecretsProvider; clock: Clock }) {}

  /**
   * The account of a raw key this instance admitted before and has not seen refused since, so a
   * credit reservation can go out alongside the key's admission. Only a hint: the admission
   * decides, and a reservation made on a hint the admission refuses is given back.
   */
  async accountOf(raw: string): Promise<string | undefined> {
    if (this.accounts.size === 0) return undefined;
    const { current } = await hashingSecret(this.deps.secrets);
    return this.accounts.get(keyIdFor(current, raw));
  }

  private remember(key: KeyRecord, usable: boolean): void {
    if (!usable) {
      this.accounts.delete(key.id);
      return;
    }
    if (this.accounts.size >= MAX_KNOWN_ACCOUNTS) this.accounts.clear();
    this.accounts.set(key.id, key.accountId);
  }

  /**
   * A bot claims an incoming platform request (or a notice it sends once) before acting on it, so
   * a replay runs at most once across every instance. Only a bot may claim: the claim carries a
   * proof signed with the bot-only secret and bound to the calling key and the id
   * (delivery-claim.ts); anything else is `not_a_bot`. The claim is stored under project +
   * calling key + id, so no other key — of this project or another — can take a bot's claim
   * first, and one single-use write decides. Kept `forMs`.
   */
  async claimDelivery(key: Pick<KeyRecord, 'id' | 'projectId'>, id: string, proof: string | undefined, forMs: number): Promise<'claimed' | 'taken' | 'not_a_bot'> {
    const { current } = await this.deps.secrets.get<{ current: string }>('botAssertion');
    if (!verifyDeliveryClaim(current, key.id, id, proof)) return 'not_a_bot';
    const fresh = await this.deps.store.claimNonce(`delivery:${key.projectId}:${key.id}:${id}`, this.deps.clock.now() + forMs);
    return fresh ? 'claimed' : 'taken';
  }

  /**
   * Authenticates a presented key and counts the request against its rate limit, in one
   * conditional write on the warm path. A string failing format or checksum never reaches storage.
   * `countIn`: the UTC day a call that is not a model call is counted in by that write (a valid
   * check then counted it: Store.admitKeyUse).
   */
  async authenticate(raw: string, call?: ModelCallAdmission, countIn?: string): Promise<KeyCheck> {
    if (!parseKey(raw).ok) return { result: 'invalid' };
    const now = this.deps.clock.now();
    for (const secret of hashingSecrets(await hashingSecret(this.deps.secrets))) {
      const id = keyIdFor(secret, raw);
      const hash = keyHash(secret, raw);
      const outcome = await this.deps.store.admitKeyUse(id, hash, now, call, countIn);
      if (outcome.admitted) {
        this.remember(outcome.key, true);
        return { result: 'valid', key: outcome.key, rateLimit: rateLimitState(outcome.key, outcome.window), ...(outcome.hold ? { hold: outcome.hold } : {}) };
      }
      const key = outcome.key;
      if (!key || !hashesEqual(key.hash, hash)) continue;
      if (outcome.refusal) {
        // Usable, and under its rate limit: its account stays known (the next call may fit).
        return { result: 'over_limit', limit: outcome.refusal, key, rateLimit: rateLimitState(key, outcome.window), hold: outcome.hold ?? {} };
      }
      // Refused (revoked, expired, paused, over its limit): its calls go back to admission first.
      this.remember(key, false);
      const status = keyStatus(key, now);
      if (status === 'revoked') return { result: 'revoked', key };
      if (status === 'expired') return { result: 'expired', key };
      if (status === 'disabled') return { result: 'disabled', key };
      return {
        result: 'rate_limited',
        key,
        rateLimit: rateLimitState(key, outcome.window),
      };
    }
    return { result: 'invalid' };
  }

  /** Looks a raw key up without counting a request (verify endpoint, search, leak guard). */
  async inspect(raw: string): Promise<KeyRecord | undefined> {
    if (!parseKey(raw).ok) return undefined;
    for (const secret of hashingSecrets(await hashingSecret(this.deps.secrets))) {
      const key = await this.deps.store.getKey(keyIdFor(secret, raw));
      if (key && hashesEqual(key.hash, keyHash(secret, raw))) return key;
    }
    return undefined;
  }

  /**
   * Turns a key plus an optional person assertion into a principal. A bad assertion is an error,
   * never a silent fall-back to the key's own rights. Checked here: signature, lifetime and the
   * binding to the calling key. Spent later, once: the key-changing action's first audit record
   * is keyed by it (AuditLog.record), so a replay finds its record taken and is refused — with no
   * round trip of its own. Reads may present it again within its ≤ 5 minutes: they change nothing.
   */
  async principalFor(key: KeyRecord, assertion: string | undefined): Promise<Principal> {
    if (assertion === undefined) return { kind: 'key', key };
    const { current } = await this.deps.secrets.get<{ current: string }>('botAssertion');
    const check = verifyAssertion(current, assertion, key.id, this.deps.clock.now());
    if (!check.ok) {
      throw new KeywardenError('insufficient_permissions', `The actor assertion is not valid (${check.reason}).`, {
        param: 'X-Keywarden-Actor',
      });
    }
    const { sub, bot, jti, iat } = check.claims;
    return { kind: 'key', key, person: { identity: sub, bot, assertion: { jti, iat } } };
  }
}

export type { RateLimitState };
