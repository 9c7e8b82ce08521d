import type { AuditLog } from './audit-log';
import { KeywardenError } from './errors';
import { beyondCeiling, ceilingRefusal, type RequestCeiling } from './key-request-ceiling';
import { channelOf, isChannel, isDirectMessages, type ChannelCeilingRecord } from './key-request-channel';
import type { RequestedKey } from './key-request-record';
import { principalActor, principalProject, type Principal } from './principal';
import type { Clock, Store } from './ports';
import { resolveScopes } from './scopes';

/**
 * Per-channel ceilings on key requests (issue 25 point 1): a key manager of the project sets, reads
 * or clears what requests from one chat channel may ask for at most (the rule: key-request-ceiling.ts).
 * A request naming the channel is checked when it is made and again when it is approved, against
 * the ceiling as it stands then: a ceiling lowered meanwhile still binds.
 *
 * Setting one needs the authority `approve` needs to mint (a key manager: a project admin through a
 * bot, or a key with `keys:write`); reading one too, as it tells how requests are screened. A
 * ceiling only narrows what may be asked, so it is not bounded by the setter's own powers: the
 * approval stays bounded by the approver's (SPEC §3).
 */
export interface KeyRequestCeilingsDeps {
  store: Store;
  clock: Clock;
  audit: AuditLog;
  isKeyManager(p: Principal): Promise<boolean>;
}

export class KeyRequestCeilings {
  constructor(private readonly deps: KeyRequestCeilingsDeps) {}

  /** Sets the channel's ceiling, replacing any: conditional on the version read (409 if another set won meanwhile). */
  async set(p: Principal, channel: string, ceiling: RequestCeiling): Promise<ChannelCeilingRecord> {
    const at = await this.authorized(p, channel, 'key_request.ceiling_set');
    if (ceiling.scopes) {
      const resolved = resolveScopes('privileged', ceiling.scopes);
      if (!resolved.ok) throw new KeywardenError('invalid_request_error', `Unknown scopes: ${resolved.invalid.join(', ')}.`, { param: 'ceiling.scopes' });
    }
    const current = await this.deps.store.getKeyRequestCeiling(principalProject(p), at);
    const record: ChannelCeilingRecord = {
      projectId: principalProject(p),
      channel: at,
      ceiling,
      version: (current?.version ?? 0) + 1,
      setBy: principalActor(p),
      setAt: new Date(this.deps.clock.now()).toISOString(),
    };
    await this.deps.audit.record(p, 'key_request.ceiling_set', 'success', { details: { channel: at, ceiling: JSON.stringify(ceiling) } }, { once: true });
    if (!(await this.deps.store.putKeyRequestCeiling(record, current?.version ?? 0))) {
      await this.deps.audit.record(p, 'key_request.ceiling_set', 'error', { reason: 'changed meanwhile: not set', details: { channel: at } }).catch(() => undefined);
      throw new KeywardenError('conflict', `The ceiling of ${at} was changed meanwhile; read it and try again.`);
    }
    return record;
  }

  async get(p: Principal, channel: string): Promise<ChannelCeilingRecord | undefined> {
    const at = await this.authorized(p, channel, 'key_request.ceiling_read');
    return this.deps.store.getKeyRequestCeiling(principalProject(p), at);
  }

  /** Removes the channel's ceiling: requests from it are bounded by the approver alone again. */
  async clear(p: Principal, channel: string): Promise<boolean> {
    const at = await this.authorized(p, channel, 'key_request.ceiling_clear');
    await this.deps.audit.record(p, 'key_request.ceiling_clear', 'success', { details: { channel: at } }, { once: true });
    return this.deps.store.deleteKeyRequestCeiling(principalProject(p), at);
  }

  /**
   * The refusal for `key` from `channel` under its ceiling as it stands, or undefined when within
   * it (or the channel has none). The text names every axis exceeded (`ceilingRefusal`).
   */
  async refusal(projectId: string, channel: string, key: Pick<RequestedKey, 'type' | 'scopes' | 'budget' | 'expiresInMs'>): Promise<KeywardenError | undefined> {
    const stored = await this.deps.store.getKeyRequestCeiling(projectId, channel);
    const where = isDirectMessages(channel) ? 'direct' : 'channel';
    const reasons = stored ? beyondCeiling(key, stored.ceiling, where) : [];
    return reasons.length ? new KeywardenError('insufficient_permissions', ceilingRefusal(reasons, where), { param: 'channel' }) : undefined;
  }

  /** The checked channel, once `p` is a key manager (a refusal is a denied attempt in the audit trail). */
  private async authorized(p: Principal, channel: string, action: string): Promise<string> {
    // A person through a bot speaks for channels of their own workspace only; a key manager's key names any.
    const at = p.kind === 'key' && p.person ? channelOf(p, channel) : checked(channel);
    if (!(await this.deps.isKeyManager(p))) {
      const who = p.kind === 'key' && p.person ? `${p.person.identity} is not an admin of this project.` : 'This key lacks the keys:write permission.';
      await this.deps.audit.record(p, action, 'denied', { reason: 'not a key manager', details: { channel: at } }, { once: true });
      throw new KeywardenError('insufficient_permissions', `${who} Only a project admin sets a channel's request ceiling.`);
    }
    return at;
  }
}

function checked(channel: string): string {
  if (!isChannel(channel)) {
    throw new KeywardenError('invalid_request_error', 'channel must be slack:<team>:<channel> or teams:<tenant>:<conversation id> (at most 200 characters).', { param: 'channel' });
  }
  return channel;
}
