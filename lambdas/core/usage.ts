import { roundCredits } from './credits';
import { listingCursors, pageSize } from './cursor';
import { requireRead } from './policy';
import { principalProject, type Principal } from './principal';
import type { SecretsProvider, Store } from './ports';
import type { Page, UsageRecord } from './types';

/** Records a per-key total walks at most, so one listing never reads without bound. */
export const MAX_TOTALLED_RECORDS = 10_000;

export interface KeyUsageTotal {
  keyId: string;
  requests: number;
  totalTokens: number;
  credits: number;
}

/**
 * The usage log (SPEC §4 "Usage"): one record per authenticated call — who (key), what (route,
 * model, streamed), the outcome (status) and what it cost (tokens, credits) — written after the
 * answer is sent, and read back by project, key or request id with sealed cursors and per-key
 * totals, so any charge can be explained afterwards.
 */
export class UsageLog {
  constructor(private readonly deps: { store: Store; secrets: SecretsProvider }) {}

  record(record: UsageRecord): Promise<void> {
    return this.deps.store.putUsage({ ...record, credits: roundCredits(record.credits) });
  }

  async query(
    p: Principal,
    query: { keyId?: string; requestId?: string; since?: string; cursor?: string; limit?: number },
  ): Promise<Page<UsageRecord> & { totals: KeyUsageTotal[]; totalsComplete: boolean }> {
    requireRead(p, 'audit:read');
    const projectId = principalProject(p);
    const filters = { projectId, keyId: query.keyId, requestId: query.requestId, since: query.since };
    const cursors = await listingCursors(this.deps.secrets, ['usage', projectId, query.keyId ?? '', query.requestId ?? '', query.since ?? '']);
    const page = await this.deps.store.queryUsage({ ...filters, cursor: cursors.open(query.cursor), limit: pageSize(query.limit) });
    // Totals cover every record the filters match, not just this page.
    const byKey = new Map<string, KeyUsageTotal>();
    let walked = 0;
    let cursor: string | undefined;
    do {
      const batch = await this.deps.store.queryUsage({ ...filters, cursor, limit: 1000 });
      for (const r of batch.items) {
        const total = byKey.get(r.keyId) ?? { keyId: r.keyId, requests: 0, totalTokens: 0, credits: 0 };
        total.requests += 1;
        total.totalTokens += r.usage?.totalTokens ?? 0;
        total.credits = roundCredits(total.credits + r.credits);
        byKey.set(r.keyId, total);
      }
      walked += batch.items.length;
      cursor = batch.nextCursor;
    } while (cursor && walked < MAX_TOTALLED_RECORDS);
    return { items: page.items, nextCursor: cursors.seal(page.nextCursor), totals: [...byKey.values()], totalsComplete: cursor === undefined };
  }
}
