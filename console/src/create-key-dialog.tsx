import { useRef, useState } from 'preact/hooks';
import { SCOPES as ALL_SCOPES, VIEWER_CEILING } from '../../lambdas/core/scopes';
import { formatBudget } from '../../lambdas/core/budget';
import { api, ApiError, type IssuedKey } from './api';
import { useModal } from './modal';
import { PairRows, type Pair } from './pair-rows';
import { parseDuration } from '../../lambdas/core/duration';
import { concurrencyText, lifetimeRefusal, policyLine, tokenText, typeRefusal, type Ceiling } from './powers';

/** The scope vocabulary (SPEC §3) and what a Locked-Down Viewer key may ever hold: the server's own lists. */
const SCOPES: readonly string[] = ALL_SCOPES;
const VIEWER_SCOPES: readonly string[] = VIEWER_CEILING;
const EXPIRY = [
  ['365d', '1 year (default)'],
  ['90d', '90 days'],
  ['30d', '30 days'],
  ['7d', '7 days'],
  ['1d', '1 day'],
] as const;

type KeyType = 'privileged' | 'viewer';
interface RoleRow {
  name: string;
  permissions: string;
}

/**
 * What a new key gets from a limited signer (lambdas/core/authority.ts `inheritedLimits`): the
 * form names no budget, token limit or cap, so the key has the signer's own, never wider.
 */
export function inheritedText(ceiling: Ceiling): string | undefined {
  const actor = ceiling.actor;
  const limits = [
    actor?.budget ? `a budget of ${formatBudget(actor.budget)}` : undefined,
    actor?.tokenLimit ? tokenText(actor.tokenLimit) : undefined,
    actor && actor.maxConcurrent !== null ? `at most ${concurrencyText(actor.maxConcurrent)}` : undefined,
  ].filter(Boolean);
  return limits.length ? `The new key gets your key’s own limits: ${limits.join(', ')}. Edit it afterwards to narrow them.` : undefined;
}

/**
 * Seed 003's "Create API Key" form with seed 004's key types: Key Name, Key Prefix, Key Type,
 * scopes (all of the type's by default), roles, context key-value pairs and expiry. The account's
 * policy, when known (`ceiling.policy`), is said in one line, and the types and lifetimes it
 * refuses are disabled with the reason; the API refuses them anyway, naming the policy.
 */
export function CreateKeyDialog({ ceiling, onClose, onCreated }: { ceiling: Ceiling; onClose: () => void; onCreated: (key: IssuedKey) => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [name, setName] = useState('');
  const [prefix, setPrefix] = useState('');
  const firstType: KeyType = typeRefusal(ceiling, 'privileged') && !typeRefusal(ceiling, 'viewer') ? 'viewer' : 'privileged';
  const [type, setType] = useState<KeyType>(firstType);
  const [scopes, setScopes] = useState<string[]>(firstType === 'viewer' ? [...VIEWER_SCOPES] : [...SCOPES]);
  const [roles, setRoles] = useState<RoleRow[]>([]);
  const [context, setContext] = useState<Pair[]>([]);
  const expiryRefused = (value: string) => lifetimeRefusal(ceiling, parseDuration(value)!);
  const [expiresIn, setExpiresIn] = useState<string>(EXPIRY.find(([value]) => !expiryRefused(value))?.[0] ?? '1d');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  useModal(ref);

  const available = type === 'viewer' ? VIEWER_SCOPES : SCOPES;
  const chooseType = (next: KeyType) => {
    setType(next);
    setScopes(next === 'viewer' ? [...VIEWER_SCOPES] : [...SCOPES]);
  };
  const toggle = (scope: string, on: boolean) => setScopes((current) => (on ? [...current, scope] : current.filter((s) => s !== scope)));

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const allScopes = available.every((s) => scopes.includes(s));
    const body = {
      ...(name.trim() ? { name: name.trim() } : {}),
      ...(prefix.trim() ? { prefix: prefix.trim() } : {}),
      type,
      ...(allScopes ? {} : { scopes: available.filter((s) => scopes.includes(s)) }),
      ...(roles.some((r) => r.name.trim())
        ? {
            roles: roles
              .filter((r) => r.name.trim())
              .map((r) => ({
                name: r.name.trim(),
                permissions: r.permissions
                  .split(',')
                  .map((p) => p.trim())
                  .filter(Boolean),
              })),
          }
        : {}),
      ...(context.some((c) => c.name.trim()) ? { context: Object.fromEntries(context.filter((c) => c.name.trim()).map((c) => [c.name.trim(), c.value])) } : {}),
      expiresIn,
    };
    try {
      onCreated(await api<IssuedKey>('POST', '/keys', body));
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'The key could not be created.');
      setBusy(false);
    }
  };

  const setRow = <T,>(rows: T[], i: number, patch: Partial<T>) => rows.map((row, j) => (j === i ? { ...row, ...patch } : row));

  return (
    <dialog ref={ref} class="dialog wide" aria-labelledby="create-title" onCancel={onClose}>
      <form onSubmit={submit}>
        <h2 id="create-title">Create API Key</h2>
        {error ? (
          <p role="alert" class="banner error">
            {error}
          </p>
        ) : null}
        <label for="key-name">Key Name</label>
        <input id="key-name" value={name} maxLength={200} placeholder="Console generated key N when blank" onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        <label for="key-prefix">Key Prefix</label>
        <input id="key-prefix" value={prefix} maxLength={12} placeholder="archie" pattern="[a-z][a-z0-9]{1,11}" onInput={(e) => setPrefix((e.target as HTMLInputElement).value)} />
        {policyLine(ceiling) ? (
          <p class="muted small" data-testid="account-policy">
            {policyLine(ceiling)}
          </p>
        ) : null}
        <fieldset>
          <legend>Key Type</legend>
          <label class="choice">
            <input type="radio" name="key-type" checked={type === 'privileged'} disabled={Boolean(typeRefusal(ceiling, 'privileged'))} onChange={() => chooseType('privileged')} />
            <span>
              <strong>Privileged Key</strong> — full project access, for trusted server-side integrations.
              {typeRefusal(ceiling, 'privileged') ? <span class="muted small"> Not allowed: {typeRefusal(ceiling, 'privileged')}.</span> : null}
            </span>
          </label>
          <label class="choice">
            <input type="radio" name="key-type" checked={type === 'viewer'} disabled={Boolean(typeRefusal(ceiling, 'viewer'))} onChange={() => chooseType('viewer')} />
            <span>
              <strong>Locked-Down Viewer Key</strong> — read-only plus chat runtime, for bots and channel distribution.
              {typeRefusal(ceiling, 'viewer') ? <span class="muted small"> Not allowed: {typeRefusal(ceiling, 'viewer')}.</span> : null}
            </span>
          </label>
        </fieldset>
        <fieldset>
          <legend>Scopes</legend>
          <div class="scopes">
            {available.map((scope) => (
              <label class="choice" key={scope}>
                <input type="checkbox" checked={scopes.includes(scope)} onChange={(e) => toggle(scope, (e.target as HTMLInputElement).checked)} />
                <code>{scope}</code>
              </label>
            ))}
          </div>
        </fieldset>
        <fieldset>
          <legend>Roles</legend>
          {roles.map((role, i) => (
            <div class="pair" key={i}>
              <input aria-label={`Role ${i + 1} name`} placeholder="Role name" value={role.name} onInput={(e) => setRoles(setRow(roles, i, { name: (e.target as HTMLInputElement).value }))} />
              <input
                aria-label={`Role ${i + 1} permissions`}
                placeholder="Permissions, e.g. bots:read, keys:read"
                value={role.permissions}
                onInput={(e) => setRoles(setRow(roles, i, { permissions: (e.target as HTMLInputElement).value }))}
              />
              <button type="button" class="link" onClick={() => setRoles(roles.filter((_, j) => j !== i))}>
                Remove
              </button>
            </div>
          ))}
          <button type="button" class="link" onClick={() => setRoles([...roles, { name: '', permissions: '' }])}>
            + Add role
          </button>
        </fieldset>
        <fieldset>
          <legend>Context</legend>
          <PairRows label="Context" rows={context} onChange={setContext} addLabel="+ Add key-value pair" />
        </fieldset>
        <label for="key-expiry">Expires in</label>
        <select id="key-expiry" value={expiresIn} onChange={(e) => setExpiresIn((e.target as HTMLSelectElement).value)}>
          {EXPIRY.map(([value, label]) => (
            <option value={value} key={value} disabled={Boolean(expiryRefused(value))}>
              {expiryRefused(value) ? `${label} — ${expiryRefused(value)}` : label}
            </option>
          ))}
        </select>
        {inheritedText(ceiling) ? (
          <p class="muted small" data-testid="inherited-limits">
            {inheritedText(ceiling)}
          </p>
        ) : null}
        <div class="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            Create Key
          </button>
        </div>
      </form>
    </dialog>
  );
}
