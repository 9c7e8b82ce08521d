import type { ApiKey } from './api-types';
import type { KeywardenClient } from './keywarden-client';

/**
 * What the admin notice jobs walk (budget alerts, exposure notices): the project's keys, page by
 * page (at most 50 pages of 200), each with the project's admins on this bot's platform. A job
 * with no admin here has nothing to do; an API failure ends the walk with what it has visited
 * (the notices claimed so far are sent, the rest wait for the next run).
 */
export async function forKeysWithAdmins(
  client: KeywardenClient,
  query: { status?: 'active' },
  visit: (key: ApiKey, admins: string[]) => Promise<void>,
): Promise<void> {
  const admins = await client.admins();
  if (!admins.ok) return;
  const onPlatform = admins.value.filter((identity) => identity.startsWith(`${client.bot}:`));
  if (onPlatform.length === 0) return;
  let cursor: string | undefined;
  for (let page = 0; page < 50; page++) {
    const listed = await client.listKeys({ ...query, limit: 200, ...(cursor ? { cursor } : {}) });
    if (!listed.ok) return;
    for (const key of listed.value.keys) await visit(key, onPlatform);
    if (!listed.value.nextCursor) return;
    cursor = listed.value.nextCursor;
  }
}
