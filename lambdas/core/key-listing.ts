import type { Authenticator } from './authenticator';
import { listingCursors, pageSize } from './cursor';
import { parseKey } from './key-format';
import { keyStatus } from './key-status';
import { requireRead } from './policy';
import { principalProject, type Principal } from './principal';
import type { Clock, SecretsProvider, Store } from './ports';
import type { KeyType } from './scopes';
import type { KeyRecord, KeyStatus, Page } from './types';

export interface KeyQuery {
  search?: string;
  type?: KeyType;
  status?: KeyStatus;
  cursor?: string;
  limit?: number;
}

/**
 * A project's keys, a page at a time (`GET /v1/keys`, `POST /v1/keys/search`), filtered by a
 * search term, type or status. `admin` asks, in passing, whether a person is an admin of the
 * project: the bot's "is this person an admin, and which keys does this name match" before it
 * offers a confirmation. Their admin entry is read in the same BatchGetItem as the first page's
 * keys (`Store.listKeys`), so the question costs no round trip of its own.
 */
export class KeyListing {
  constructor(private readonly deps: { store: Store; secrets: SecretsProvider; clock: Clock; auth: Authenticator }) {}

  async list(p: Principal, query: KeyQuery, options: { admin?: string } = {}): Promise<Page<KeyRecord> & { admin?: boolean }> {
    requireRead(p, 'keys:read');
    const projectId = principalProject(p);
    const limit = pageSize(query.limit);
    const now = this.deps.clock.now();
    const search = query.search?.trim();
    const admin = options.admin;
    if (search && parseKey(search).ok) {
      // A whole key value: looked up by its hash, not listed; the admin entry read beside it.
      const [key, isAdmin] = await Promise.all([this.deps.auth.inspect(search), admin === undefined ? undefined : this.deps.store.isAdmin(projectId, admin)]);
      return { items: key && key.projectId === projectId ? [key] : [], ...(isAdmin === undefined ? {} : { admin: isAdmin }) };
    }
    const matches = (k: KeyRecord) =>
      (!query.type || k.type === query.type) &&
      (!query.status || keyStatus(k, now) === query.status) &&
      (!search || matchesSearch(k, search));
    const cursors = await listingCursors(this.deps.secrets, ['keys', projectId, search ?? '', query.type ?? '', query.status ?? '']);
    const start = cursors.open(query.cursor);
    if (!search && !query.type && !query.status) {
      const page = await this.deps.store.listKeys(projectId, { cursor: start, limit, ...(admin === undefined ? {} : { admin }) });
      return { items: page.items, nextCursor: cursors.seal(page.nextCursor), ...(page.admin === undefined ? {} : { admin: page.admin }) };
    }
    // Filtered listings walk the project's keys (projects hold tens to hundreds of keys) and stop
    // at the `limit`-th match; the next page resumes right after it, so nothing is skipped. The
    // admin entry, if asked for, comes with the first page.
    const items: KeyRecord[] = [];
    let isAdmin: boolean | undefined;
    const answer = (page: Page<KeyRecord>) => (isAdmin === undefined ? page : { ...page, admin: isAdmin });
    let cursor = start;
    for (;;) {
      const page = await this.deps.store.listKeys(projectId, { cursor, limit: 200, ...(admin !== undefined && isAdmin === undefined ? { admin } : {}) });
      isAdmin ??= page.admin;
      for (const key of page.items) {
        if (!matches(key)) continue;
        items.push(key);
        if (items.length === limit) return answer({ items, nextCursor: cursors.seal(this.deps.store.keysCursorAfter(key)) });
      }
      cursor = page.nextCursor;
      if (!cursor) return answer({ items });
    }
  }
}

/** A search matches a key's id, name, visible start, or one of its metadata values. */
function matchesSearch(key: KeyRecord, search: string): boolean {
  const s = search.toLowerCase();
  return (
    key.id === search ||
    key.name.toLowerCase().includes(s) ||
    Object.values(key.metadata ?? {}).some((v) => v.toLowerCase().includes(s)) ||
    key.start.startsWith(search) ||
    (search.length > key.start.length && search.startsWith(key.start))
  );
}
