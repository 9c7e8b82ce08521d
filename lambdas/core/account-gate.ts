import type { Clock, Store } from './ports';

/**
 * The API product gate as seen by /v1/models, cached per warm instance for a few seconds so that
 * model discovery stays at one blocking round trip (the key check). Key state is never cached:
 * revocation still takes effect at once; a gate switched off reaches model discovery within the TTL
 * (and /v1/responses at once, through the credit reservation).
 */
export class AccountGate {
  private readonly cache = new Map<string, { enabled: boolean; until: number }>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly ttlMs = 5_000,
  ) {}

  async enabled(accountId: string): Promise<boolean> {
    const now = this.clock.now();
    const hit = this.cache.get(accountId);
    if (hit && hit.until > now) return hit.enabled;
    const account = await this.store.getAccount(accountId);
    const enabled = account?.apiAccess === true;
    this.cache.set(accountId, { enabled, until: now + this.ttlMs });
    return enabled;
  }
}
