import { KeywardenError } from './errors';
import { requireRead } from './policy';
import { principalProject, type Principal } from './principal';
import type { Store } from './ports';
import type { KeyRecord } from './types';

/**
 * Stragglers (issue 25 point 4): during a rotation's overlap, who still calls with the old key.
 * Cheap by construction: no write on the hot path — every authenticated call already leaves a
 * usage record naming its key, address, user agent and route (types.ts `UsageRecord`), so the
 * report is a query of the old key's records since the rotation (the replacement's creation),
 * grouped by caller and route.
 */
export interface Straggler {
  sourceIp: string | null;
  userAgent: string | null;
  route: string;
  count: number;
  lastSeen: string;
}

export interface StragglerReport {
  keyId: string;
  replacedBy: string | null;
  graceUntil: string | null;
  since: string | null;
  callers: Straggler[];
  complete: boolean;
}

const MAX_RECORDS = 10_000;
const MAX_CALLERS = 50;

/**
 * The report for a key of the caller's project: the key given may be the old one or its
 * replacement (what the person who rotated holds). Needs `keys:read`.
 */
export async function stragglerReport(deps: { store: Store }, p: Principal, id: string): Promise<StragglerReport> {
  requireRead(p, 'keys:read');
  const projectId = principalProject(p);
  const given = await deps.store.getKey(id);
  if (!given || given.projectId !== projectId) throw new KeywardenError('not_found', `No key ${id} in this project.`);
  let old: KeyRecord = given;
  let replacement: KeyRecord | undefined;
  if (!given.replacedBy && given.rotatedFrom) {
    const prior = await deps.store.getKey(given.rotatedFrom);
    if (prior && prior.projectId === projectId && prior.replacedBy === given.id) [old, replacement] = [prior, given];
  } else if (given.replacedBy) {
    replacement = await deps.store.getKey(given.replacedBy);
  }
  const since = replacement?.createdAt ?? null;
  const report: StragglerReport = {
    keyId: old.id,
    replacedBy: old.replacedBy ?? null,
    graceUntil: old.graceUntil === undefined ? null : new Date(old.graceUntil).toISOString(),
    since,
    callers: [],
    complete: true,
  };
  if (!since) return report;
  report.callers = (await straggling(deps.store, old, since, report)).slice(0, MAX_CALLERS);
  return report;
}

/** The old key's calls since `since`, grouped by address, user agent and route, most recent first. */
async function straggling(store: Store, old: KeyRecord, since: string, report: StragglerReport): Promise<Straggler[]> {
  const callers = new Map<string, Straggler>();
  let seen = 0;
  let cursor: string | undefined;
  do {
    const page = await store.queryUsage({ projectId: old.projectId, keyId: old.id, since, cursor, limit: 1000 });
    for (const r of page.items) {
      if (r.at < since) continue;
      seen += 1;
      const slot = `${r.sourceIp ?? ''}\u0000${r.userAgent ?? ''}\u0000${r.route}`;
      const caller = callers.get(slot) ?? { sourceIp: r.sourceIp ?? null, userAgent: r.userAgent ?? null, route: r.route, count: 0, lastSeen: r.at };
      caller.count += 1;
      if (r.at > caller.lastSeen) caller.lastSeen = r.at;
      callers.set(slot, caller);
    }
    cursor = page.nextCursor;
  } while (cursor && seen < MAX_RECORDS);
  report.complete = cursor === undefined;
  return [...callers.values()].sort((a, b) => (a.lastSeen < b.lastSeen ? 1 : a.lastSeen > b.lastSeen ? -1 : b.count - a.count));
}
