import type { ApiKey, KeyStatus } from './api-types';
import type { KeywardenClient } from './keywarden-client';

/**
 * What the admin notice jobs walk (expiry reminders, budget alerts, exposure notices): the
 * project's keys of each status asked for (`undefined`: every key), page by page (at most 50 pages
 * of 200 each), each with the project's admins on this bot's platform, read once. A job with no
 * admin here has nothing to do; an API failure ends the walk with what it has visited (the notices
 * claimed so far are sent, the rest wait for the next run).
 */
export async function forKeysWithAdmins(
  client: KeywardenClient,
  statuses: readonly (KeyStatus | undefined)[],
  visit: (key: ApiKey, admins: string[]) => Promise<void>,
): Promise<void> {
  const admins = await client.admins();
  if (!admins.ok) return;
  const onPlatform = admins.value.filter((identity) => identity.startsWith(`${client.bot}:`));
  if (onPlatform.length === 0) return;
  for (const status of statuses) {
    let cursor: string | undefined;
    for (let page = 0; page < 50; page++) {
      const listed = await client.listKeys({ ...(status ? { status } : {}), limit: 200, ...(cursor ? { cursor } : {}) });
      if (!listed.ok) return;
      for (const key of listed.value.keys) await visit(key, onPlatform);
      if (!listed.value.nextCursor) break;
      cursor = listed.value.nextCursor;
    }
  }
}

/** A button of an admin notice: what it asks for (`op`), about which key. */
export interface KeyButton<Op extends string> {
  op: Op;
  keyId: string;
}

/**
 * How a notice's buttons travel in the platform's action value (JSON), and come back checked:
 * one of `ops`, and a key id — anything else (a forged or foreign value) is undefined.
 */
export function keyButtonCodec<Op extends string>(ops: readonly Op[]) {
  return {
    encode: (button: KeyButton<Op>): string => JSON.stringify(button),
    decode(value: string): KeyButton<Op> | undefined {
      try {
        const parsed = JSON.parse(value) as Partial<KeyButton<Op>>;
        if (ops.includes(parsed.op as Op) && typeof parsed.keyId === 'string' && /^key_[0-9A-Za-z]{1,64}$/.test(parsed.keyId)) {
          return { op: parsed.op as Op, keyId: parsed.keyId };
        }
      } catch {
        // not this notice's button
      }
      return undefined;
    },
  };
}
