import type { AuditLog } from './audit-log';
import type { RecordedChange } from './key-change';
import type { Authenticator } from './authenticator';
import { MAX_EXPOSURE_LOCATION, type Exposure, type ExposureRecord } from './exposure';
import { keyStatus } from './key-status';
import type { Principal } from './principal';
import type { Clock, Store } from './ports';
import type { KeyRecord } from './types';

/** What the pipeline needs of `KeyService`: the Automator key's rotation, and the audited, announced write. */
export interface KeyExposureHost {
  rotate(p: Principal, id: string): Promise<{ key: KeyRecord; replaced?: KeyRecord }>;
  /** The change's write, with its audit record and its event (key-change.ts). */
  recorded: RecordedChange;
}

/**
 * The exposure pipeline (issue 22, core/exposure.ts): one path for every source that finds a key's
 * value where it must not be. `KeyService` hands it its rotation, for the Automator key.
 */
export class KeyExposures {
  constructor(
    private readonly deps: { store: Store; clock: Clock; auth: Authenticator; audit: AuditLog },
    private readonly host: KeyExposureHost,
  ) {}

  /**
   * A key's value was seen where it must not be (core/exposure.ts): a URL or an id slot (the
   * router), a chat (the leak guard), a public repository (GitHub's reports). Whoever holds the
   * value is authority enough, so nothing else is checked: the exposure pipeline runs for the key
   * the value belongs to, if any. The value is never stored, logged or audited; only the key's id.
   */
  async exposed(raw: string, exposure: Exposure): Promise<ExposureOutcome | undefined> {
    const key = await this.deps.auth.inspect(raw);
    return key ? this.expose(key, exposure) : undefined;
  }

  /**
   * The exposure pipeline, for every source: the key is marked exposed once (when and where it
   * was first seen: `Store.markExposed`), a `key.exposed` audit record names the source and the
   * location, and a key that still works stops at once — revoked (a paused or expired one too: an
   * enable or a new expiry would bring it back), or for the Automator key, which cannot be
   * revoked, rotated (its replacement is not handed to anyone here: nobody holds the Automator
   * key's value). Seen again, a key already stopped changes nothing more (`handled: 'already'`).
   */
  async expose(key: KeyRecord, exposure: Exposure): Promise<ExposureOutcome> {
    const now = this.deps.clock.now();
    const record = { source: exposure.source, location: exposure.location.slice(0, MAX_EXPOSURE_LOCATION), at: new Date(now).toISOString() };
    const system: Principal = { kind: 'operator', actor: 'system', projectId: key.projectId };
    const first = !key.exposure && (await this.markFirst(system, key, record));
    const live = keyStatus(key, now) !== 'revoked' && !key.replacedBy;
    const exposed = { ...key, exposure: key.exposure ?? record };
    if (!live) return { key: exposed, handled: 'already', first };
    if (key.type === 'system') {
      const rotated = await this.host.rotate(system, key.id);
      return { key: { ...exposed, ...rotated.replaced }, handled: 'rotated', first, replacementId: rotated.key.id };
    }
    let revoked: KeyRecord | undefined;
    await this.host.recorded(system, 'key.revoke', { key, reason: `exposed (${record.source}): ${record.location}` }, async (event) => {
      revoked = await this.deps.store.revokeKey(key.id, record.at, event);
    });
    return { key: { ...exposed, ...revoked }, handled: 'revoked', first };
  }

  /**
   * Marks the key exposed, audited and announced (`key.exposed`), if nobody did first: `false`
   * when another report marked it meanwhile (its record and event are the key's only ones).
   */
  private async markFirst(system: Principal, key: KeyRecord, record: ExposureRecord): Promise<boolean> {
    try {
      await this.host.recorded(system, 'key.exposed', { key, details: { source: record.source, location: record.location } }, async (event) => {
        if (!(await this.deps.store.markExposed(key.id, record, event))) throw new MarkedBefore();
      });
      return true;
    } catch (err) {
      if (err instanceof MarkedBefore) return false;
      throw err;
    }
  }
}

/** Another report marked the key exposed between our read and our write. */
class MarkedBefore extends Error {}

/** What the exposure pipeline did with a key: stopped it now, or found it stopped already. */
export interface ExposureOutcome {
  key: KeyRecord;
  handled: 'revoked' | 'rotated' | 'already';
  /** This was the first time the key was found exposed. */
  first: boolean;
  /** The Automator key's replacement, when it was rotated. */
  replacementId?: string;
}
