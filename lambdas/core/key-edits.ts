import type { PolicyField } from './account-policy';
import type { AccountPolicyGate } from './account-policy-gate';
import type { AuditLog } from './audit-log';
import type { RecordedChange } from './key-change';
import { managesKeys, type Authority, type AuditAction, type PowerAxis } from './authority';
import { KeywardenError } from './errors';
import { keyStatus } from './key-status';
import type { Principal } from './principal';
import type { Clock, KeyEdit, Store } from './ports';
import { resolveScopes, type Scope } from './scopes';
import { formatBudget, periodEnd } from './budget';
import { describeRotation, requireDeliverable } from './key-rotation';
import { roundCredits } from './credits';
import type { AuditRecord, Budget, KeyRecord, KeyRotationSetting, RateLimit, Role, TokenLimit } from './types';

/**
 * Keys changed in place (issue 21): the edit (`update`) and the pause and resume (`disable`,
 * `enable`). Each is one write conditional on the version it was read at (`Store.updateKey`), so
 * `If-Match` is exact and a change never lands on a key that moved under it; each is bounded by
 * its actor (`Authority`) and its account's policy (`AccountPolicyGate`, on the fields an edit
 * sets), keeps a manager in the project, and is audited field by field, before →
 * after. The admission write reads the key item itself, so a change holds from the next request.
 */

/** What an edit may change; absent = kept, `null` removes (metadata, the model list, the expiry). */
export interface KeyChanges {
  name?: string;
  metadata?: Record<string, string> | null;
  scopes?: Scope[];
  roles?: Role[];
  context?: Record<string, string>;
  models?: string[] | null;
  rateLimit?: RateLimit;
  /** Epoch ms, or `null` for never. */
  expiresAt?: number | null;
  budget?: Budget | null;
  tokenLimit?: TokenLimit | null;
  maxConcurrent?: number | null;
  /** Rotation on schedule (key-rotation.ts); who may set it is who may rotate the key (SPEC §3). */
  rotation?: KeyRotationSetting | null;
}

type Field = keyof KeyChanges;
const FIELDS: readonly Field[] = ['name', 'metadata', 'scopes', 'roles', 'context', 'models', 'rateLimit', 'budget', 'tokenLimit', 'maxConcurrent', 'expiresAt', 'rotation'];
type Removable = 'metadata' | 'models' | 'expiresAt' | 'budget' | 'tokenLimit' | 'maxConcurrent' | 'rotation';

/** The power axis each field is part of (`widerAxes`); name and metadata grant nothing. */
const AXIS: Partial<Record<Field, PowerAxis>> = {
  scopes: 'scopes',
  roles: 'roles',
  context: 'roles',
  models: 'models',
  rateLimit: 'rate limit',
  expiresAt: 'expiry',
  budget: 'budget',
  tokenLimit: 'token limit',
  maxConcurrent: 'concurrency',
};

const MAX_METADATA = 20;
const MAX_METADATA_VALUE = 256;

/** What the edits need of `KeyService`: the key an action is about, and its audited write. */
export interface KeyEditHost {
  target(p: Principal, id: string): Promise<{ key: KeyRecord; personIsAdmin?: boolean }>;
  /** The change's write, with its audit record and its event (key-change.ts). */
  recorded: RecordedChange;
}

export class KeyEdits {
  constructor(
    private readonly deps: { store: Store; clock: Clock; audit: AuditLog; homeAccount?: string },
    private readonly authority: Authority,
    private readonly policies: AccountPolicyGate,
    private readonly host: KeyEditHost,
  ) {}

  /**
   * Edits a key in place. `ifVersion`: only if the key is still at that version (409 conflict
   * otherwise, also when another change lands between this read and this write). A revoked key
   * is not edited (409); an expired one may be, to give it a new expiry.
   */
  async update(p: Principal, id: string, changes: KeyChanges, options: { ifVersion?: number } = {}): Promise<KeyRecord> {
    const { key, personIsAdmin } = await this.host.target(p, id);
    await this.authority.requireKeyManager(p, 'key.update', key.id, personIsAdmin);
    this.requireVersion(key, options.ifVersion);
    const now = this.deps.clock.now();
    if (keyStatus(key, now) === 'revoked') {
      return this.authority.refuse(p, 'key.update', { keyId: key.id, reason: 'revoked' }, new KeywardenError('conflict', `Key ${key.id} is revoked: it cannot be edited.`));
    }
    const normalized = normalize(key, changes, now);
    requireDeliverable(normalized.rotation, this.deps.homeAccount);
    const changed = FIELDS.filter((f) => normalized[f] !== undefined && !same(fieldOf(key, f), normalized[f] ?? undefined));
    const after = { ...key };
    for (const f of changed) Object.assign(after, { [f]: normalized[f] ?? undefined });
    if (after.expiresAt === undefined) after.expiresAt = null;
    await this.authority.requireEditWithinActor(p, key, after, changed.map((f) => AXIS[f]).filter((a) => a !== undefined));
    // A schedule rotates the key: setting one takes what rotating it takes (its powers within the actor's).
    if (changed.includes('rotation')) await this.authority.authorize(p, 'key.rotate', { keyId: key.id, powers: key, personIsAdmin });
    // The account's policy holds what the edit sets; what it leaves alone (a key older than the policy) stays.
    const touches = changed.filter((f): f is PolicyField => f === 'expiresAt' || f === 'rateLimit' || f === 'budget');
    if (touches.length > 0) await this.policies.require(p, 'key.update', await this.policies.of(key.accountId), after, { path: 'update', now, keyId: key.id, touches });
    if (changed.length === 0) return key;
    const edit: KeyEdit = { version: versionOf(key), set: {}, remove: [] };
    for (const f of changed) {
      const value = normalized[f];
      if (value === null) edit.remove.push(f as Removable);
      else Object.assign(edit.set, { [f]: value });
    }
    if (changed.includes('budget')) carryBudgetState(edit, key, normalized.budget ?? null, now);
    // A token limit taken away takes its window with it; a new or changed one keeps counting.
    if (normalized.tokenLimit === null) edit.remove.push('tokensUsed', 'tokensResetAt');
    const details = Object.fromEntries(changed.map((f) => [f, `${render(f, fieldOf(key, f))} → ${render(f, fieldOf(after, f))}`]));
    const write = () => this.write(p, 'key.update', key, edit, details);
    // Taking `keys:write` from a key that manages keys: only while another one still does.
    return managesKeys(key, now) && !managesKeys(after, now) ? this.authority.keepingAManager(p, 'key.update', key, write) : write();
  }

  /**
   * Pauses a key: refused (401 key_disabled) before any usage is counted, until enabled; it stays
   * listed with its settings. The rules of revoke: bounded by the actor, never the Automator key,
   * never the project's last key manager. Idempotent; a revoked or expired key is 409.
   */
  async disable(p: Principal, id: string, options: { ifVersion?: number } = {}): Promise<KeyRecord> {
    const { key, personIsAdmin } = await this.host.target(p, id);
    if (key.type === 'system') {
      await this.authority.authorize(p, 'key.disable', { personIsAdmin });
      return this.authority.refuse(p, 'key.disable', { keyId: key.id, reason: 'protected' }, new KeywardenError('protected_key', 'The Automator key is Protected and cannot be disabled.'));
    }
    await this.authority.authorize(p, 'key.disable', { keyId: key.id, powers: key, personIsAdmin });
    this.requireVersion(key, options.ifVersion);
    const status = keyStatus(key, this.deps.clock.now());
    if (status === 'disabled') return key;
    if (status !== 'active') return this.notLive(p, 'key.disable', key, status);
    const write = () => this.write(p, 'key.disable', key, { version: versionOf(key), set: { status: 'disabled' }, remove: [] }, { status: 'active → disabled' });
    return this.authority.keepingAManager(p, 'key.disable', key, write);
  }

  /** Resumes a paused key, at once. Idempotent on an active key; a revoked or expired key is 409. */
  async enable(p: Principal, id: string, options: { ifVersion?: number } = {}): Promise<KeyRecord> {
    const { key, personIsAdmin } = await this.host.target(p, id);
    await this.authority.authorize(p, 'key.enable', { keyId: key.id, powers: key, personIsAdmin });
    this.requireVersion(key, options.ifVersion);
    const status = keyStatus(key, this.deps.clock.now());
    if (status === 'active') return key;
    if (status !== 'disabled') return this.notLive(p, 'key.enable', key, status);
    return this.write(p, 'key.enable', key, { version: versionOf(key), set: { status: 'active' }, remove: [] }, { status: 'disabled → active' });
  }

  private requireVersion(key: KeyRecord, ifVersion: number | undefined): void {
    if (ifVersion !== undefined && ifVersion !== versionOf(key)) {
      throw new KeywardenError('conflict', `Key ${key.id} is at version ${versionOf(key)}, not ${ifVersion}: read it again and redo the edit.`);
    }
  }

  private notLive(p: Principal, action: AuditAction, key: KeyRecord, status: string): Promise<never> {
    const verb = action === 'key.enable' ? 'enabled' : 'disabled';
    return this.authority.refuse(p, action, { keyId: key.id, reason: `key ${status}` }, new KeywardenError('conflict', `Key ${key.id} is ${status}: it cannot be ${verb}.`));
  }

  /** The audited conditional write; a key that moved since it was read is a 409, never overwritten. */
  private async write(p: Principal, action: AuditAction, key: KeyRecord, edit: KeyEdit, details: AuditRecord['details']): Promise<KeyRecord> {
    let result: KeyRecord | undefined;
    await this.host.recorded(p, action, { key, details: { ...details, version: `${edit.version} → ${edit.version + 1}` } }, async (event) => {
      const out = await this.deps.store.updateKey(key.id, { ...edit, event });
      if (out === undefined) throw new KeywardenError('not_found', `No key ${key.id} in this project.`);
      if (out === 'stale') throw new KeywardenError('conflict', `Key ${key.id} changed while this change was made: read it again and retry.`);
      result = out;
    });
    return result!;
  }
}

/** A key's version: absent on keys stored before versions existed, which are version 1. */
export function versionOf(key: Pick<KeyRecord, 'version'>): number {
  return key.version ?? 1;
}

/** The changes checked and made canonical (trimmed name, scopes as the key's type resolves them). */
function normalize(key: KeyRecord, changes: KeyChanges, now: number): KeyChanges {
  const out: KeyChanges = { ...changes };
  if (changes.name !== undefined) {
    out.name = changes.name.trim();
    if (!out.name) throw invalid('name', 'A key needs a name.');
  }
  if (changes.scopes !== undefined) {
    // Unlike create, no scopes is not "every scope of the type": an edit names what the key keeps.
    if (changes.scopes.length === 0) throw invalid('scopes', 'A key needs at least one scope.');
    const resolved = resolveScopes(key.type, changes.scopes);
    if (!resolved.ok) throw invalid('scopes', `Scopes not allowed for a ${key.type} key: ${resolved.invalid.join(', ')}.`);
    out.scopes = resolved.scopes;
  }
  if (changes.metadata) {
    const entries = Object.entries(changes.metadata);
    if (entries.length > MAX_METADATA) throw invalid('metadata', `metadata holds at most ${MAX_METADATA} entries.`);
    if (entries.some(([, v]) => typeof v !== 'string' || v.length > MAX_METADATA_VALUE)) throw invalid('metadata', `metadata values are strings of at most ${MAX_METADATA_VALUE} characters.`);
    // An empty set of labels is no labels.
    if (entries.length === 0) out.metadata = null;
  }
  if (changes.models && changes.models.length === 0) throw invalid('models', 'Name at least one model, or null for every model.');
  if (changes.rateLimit && !(Number.isInteger(changes.rateLimit.limit) && changes.rateLimit.limit >= 1 && Number.isInteger(changes.rateLimit.windowSeconds) && changes.rateLimit.windowSeconds >= 1)) {
    throw invalid('rateLimit', 'A rate limit is a whole number of requests (≥ 1) per whole number of seconds (≥ 1).');
  }
  if (typeof changes.expiresAt === 'number' && changes.expiresAt <= now) throw invalid('expiresAt', 'The expiry must be in the future.');
  if (changes.budget) {
    if (!(changes.budget.credits > 0)) throw invalid('budget', 'A budget is a number of credits above zero per period.');
    out.budget = { credits: roundCredits(changes.budget.credits), period: changes.budget.period };
  }
  return out;
}

/**
 * A budget changed mid-period keeps what the period has spent: the credits left move by the
 * difference (relative to what the item holds at the write, since admissions move it in between),
 * and a new period length runs from now. With no period running (none yet, or it ended), or with
 * the budget removed, the state goes and the next call starts a fresh period.
 */
function carryBudgetState(edit: KeyEdit, key: KeyRecord, budget: Budget | null, now: number): void {
  const running = key.budget !== undefined && key.budgetLeft !== undefined && key.budgetResetAt !== undefined && key.budgetResetAt > now;
  if (!budget || !running) {
    edit.remove.push('budgetLeft', 'budgetResetAt');
    return;
  }
  edit.add = { budgetLeft: roundCredits(budget.credits - key.budget!.credits) };
  if (budget.period !== key.budget!.period) edit.set.budgetResetAt = periodEnd(budget.period, now);
}

function invalid(param: string, message: string): KeywardenError {
  return new KeywardenError('invalid_request_error', message, { param });
}

function fieldOf(key: KeyRecord, f: Field): unknown {
  return key[f] ?? undefined;
}

function same(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/** JSON with object keys sorted, so `{a, b}` and `{b, a}` are the same labels. */
function canonical(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A field's value in the audit record: the expiry as an ISO time, anything else as JSON (null when absent). */
function render(f: Field, value: unknown): string {
  if (f === 'expiresAt' && typeof value === 'number') return new Date(value).toISOString();
  if (f === 'rateLimit' && value) return `${(value as RateLimit).limit}/${(value as RateLimit).windowSeconds}s`;
  if (f === 'budget' && value) return formatBudget(value as Budget);
  if (f === 'rotation' && value) return describeRotation(value as KeyRotationSetting);
  if (f === 'tokenLimit' && value) return `${(value as TokenLimit).tokens} tokens/${(value as TokenLimit).windowSeconds}s`;
  return canonical(value);
}
