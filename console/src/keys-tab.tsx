import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, listed, type ApiKey, type IssuedKey, type KeyList, type Me, type Session, type UsageTotal } from './api';
import { copyOrSelect } from './clipboard';
import { Banners, OneTimeSecret } from './banners';
import { CreateKeyDialog } from './create-key-dialog';
import { EditKeyDialog } from './edit-key-dialog';
import { ReportExposedDialog } from './exposure';
import { count, truncated, TYPE_BADGE, when } from './format';
import { KeyRow } from './key-row';
import { useModal } from './modal';
import { ceilingOf, policyLine } from './powers';
import { USAGE_DAYS, UsagePanel } from './usage-panel';

export const GATE_MESSAGE = 'API access is not enabled for this account.';
const PLACEHOLDER = '<new-api-key>';

interface Props {
  session: Session;
  me: Me | undefined;
  onChanged: () => void;
  onAuthLost: (message: string) => void;
  onShowActivity: (keyId: string) => void;
}

/**
 * Settings → API Keys (seeds 000, 003, 004). A new or rotated key's raw value lives only in this
 * component's state, for its one-time callout and the coworker setup script: leaving the tab
 * unmounts it, and creating or rotating another key replaces it.
 */
export function KeysTab({ session, me, onChanged, onAuthLost, onShowActivity }: Props) {
  const [keys, setKeys] = useState<ApiKey[] | undefined>();
  const [usage, setUsage] = useState<Record<string, UsageTotal>>({});
  const [search, setSearch] = useState('');
  const [oneTime, setOneTime] = useState<IssuedKey | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [setupNote, setSetupNote] = useState<string | undefined>();
  const [formOpen, setFormOpen] = useState(false);
  const [deleting, setDeleting] = useState<ApiKey | undefined>();
  const [editing, setEditing] = useState<ApiKey | undefined>();
  const [reporting, setReporting] = useState<ApiKey | undefined>();
  const [busy, setBusy] = useState(false);
  const scriptRef = useRef<HTMLPreElement>(null);
  const searchRef = useRef(search);
  searchRef.current = search;

  const gateOff = me?.account ? !me.account.apiAccess : false;

  const fail = (err: unknown) => {
    const message = err instanceof ApiError ? err.message : 'Something went wrong.';
    if (err instanceof ApiError && err.status === 401) onAuthLost(message);
    else setError(message);
  };

  const load = async (query = searchRef.current) => {
    try {
      const q = query.trim();
      // What is typed may be a whole key: it goes in the body of a POST, never into a URL that access logs keep.
      const page = q ? await api<KeyList>('POST', '/keys/search', { search: q, limit: 200 }) : await api<KeyList>('GET', '/keys?limit=200');
      if (query === searchRef.current) setKeys(page.data);
    } catch (err) {
      fail(err);
    }
  };
  const loadUsage = async () => {
    try {
      const page = await api<{ totals: UsageTotal[] }>('GET', '/usage?limit=1');
      setUsage(Object.fromEntries(page.totals.map((t) => [t.keyId, t])));
    } catch {
      // usage is a nicety beside the list; the list still works without it
    }
  };

  useEffect(() => {
    const timer = setTimeout(() => void load(search), search ? 200 : 0);
    return () => clearTimeout(timer);
  }, [search]);
  useEffect(() => void loadUsage(), []);
  useEffect(() => {
    if (keys && performance.getEntriesByName('keywarden:keys-rendered').length === 0) performance.mark('keywarden:keys-rendered');
  }, [keys]);

  const issued = (key: IssuedKey, message: string) => {
    setOneTime(key);
    setSetupNote(undefined);
    setNotice(message);
    setError(undefined);
    const replaced = key.replaced;
    setKeys((current) => [listed(key), ...(current ?? []).filter((k) => k.id !== key.id).map((k) => (replaced && k.id === replaced.id ? replaced : k))]);
    void load();
    onChanged();
  };

  const act = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  };

  const createNow = () => act(async () => issued(await api<IssuedKey>('POST', '/keys', {}), 'Key created.'));
  const rotate = (key: ApiKey) =>
    act(async () => {
      const replacement = await api<IssuedKey>('POST', `/keys/${key.id}/rotate`, {});
      issued(replacement, `“${key.name}” rotated: the old key stopped working.`);
    });
  const revoke = (key: ApiKey) =>
    act(async () => {
      await api('POST', `/keys/${key.id}/revoke`);
      setNotice(`“${key.name}” revoked.`);
      await load();
    });
  /** A key as the API now answers it, in its row. */
  const replaced = (key: ApiKey) => setKeys((current) => current?.map((k) => (k.id === key.id ? key : k)));
  /** Pause and resume act at once, like revoke: each undoes the other. */
  const pause = (key: ApiKey) =>
    act(async () => {
      replaced(await api<ApiKey>('POST', `/keys/${key.id}/disable`));
      setNotice(`“${key.name}” paused: calls with it are refused until it is resumed.`);
    });
  const resume = (key: ApiKey) =>
    act(async () => {
      replaced(await api<ApiKey>('POST', `/keys/${key.id}/enable`));
      setNotice(`“${key.name}” resumed.`);
    });
  const remove = (key: ApiKey) =>
    act(async () => {
      await api('DELETE', `/keys/${key.id}`);
      setDeleting(undefined);
      setNotice(`“${key.name}” deleted.`);
      if (oneTime?.id === key.id) setOneTime(undefined);
      await load();
    });

  const endpoint = `${window.location.origin}/v1`;
  const script = oneTime?.setupScript ?? me?.setupScript ?? '';
  const copySetup = async () => {
    setSetupNote((await copyOrSelect(script, scriptRef.current)) ? 'Setup copied.' : 'Clipboard copy unavailable. The script is selected: copy it by hand.');
  };

  return (
    <div class="keys-tab">
      <div class="heading">
        <div>
          <h1>API Keys</h1>
          <p class="muted">Create, copy, rotate and revoke the project’s API keys, and wire an external coworker tool to the endpoint.</p>
          {policyLine(ceilingOf(session, me)) ? (
            <p class="muted small policy-line" data-testid="policy-line">
              {policyLine(ceilingOf(session, me))}
            </p>
          ) : null}
        </div>
        <div class="actions">
          <button type="button" class="primary" disabled={gateOff || busy || !me} onClick={createNow}>
            Create key
          </button>
          <button type="button" disabled={gateOff || busy || !me} onClick={() => setFormOpen(true)}>
            + Add new API key
          </button>
        </div>
      </div>
      {gateOff ? (
        <p role="alert" class="banner warn">
          {GATE_MESSAGE}
        </p>
      ) : null}
      <Banners error={error} notice={notice} />

      {oneTime ? (
        <OneTimeSecret key={oneTime.key} region="New key" what="key" value={oneTime.key} testId="one-time-key">
          <p class="muted small">
            {oneTime.name} · {TYPE_BADGE[oneTime.type]} · expires {when(oneTime.expiresAt, 'never')}
          </p>
        </OneTimeSecret>
      ) : null}

      <div class="stats">
        <div class="stat">
          <span class="muted">Credit balance</span>
          <strong data-testid="credits">
            {me?.account ? `${count(me.account.credits, 'credit')}${me.account.credits < 0 ? ' — in debt: model calls are refused until a grant repays it' : ''}` : '—'}
          </strong>
        </div>
        <div class="stat">
          <span class="muted">Environment</span>
          <strong>{me?.environment ?? '—'}</strong>
        </div>
      </div>

      <section class="card" aria-labelledby="coworker-title">
        <h2 id="coworker-title">External coworker access</h2>
        <dl class="fields">
          <div>
            <dt>Public endpoint</dt>
            <dd>
              <code>{endpoint}</code>
            </dd>
          </div>
          <div>
            <dt>Key source</dt>
            <dd data-testid="key-source">{oneTime ? 'New one-time key included' : 'Generate or rotate a key'}</dd>
          </div>
        </dl>
        <pre class="script" ref={scriptRef} tabIndex={0} aria-label="Setup script preview" data-testid="setup-script">
          {script || `export OPENAI_API_KEY="${PLACEHOLDER}"`}
        </pre>
        <button type="button" onClick={copySetup} disabled={!script}>
          Copy setup
        </button>
        {setupNote ? (
          <p role="status" class="copy-note">
            {setupNote}
          </p>
        ) : null}
      </section>

      <section class="list" aria-labelledby="list-title">
        <div class="list-head">
          <h2 id="list-title">Keys</h2>
          <label class="search">
            <span>Search by name or key</span>
            <input type="search" value={search} placeholder="Name, archie_4fQa… or a full key" onInput={(e) => setSearch((e.target as HTMLInputElement).value)} />
          </label>
        </div>
        {keys === undefined ? (
          <p class="muted" aria-busy="true">
            Loading keys…
          </p>
        ) : keys.length === 0 ? (
          <p class="muted">{search ? 'No key matches this search.' : 'No keys yet.'}</p>
        ) : (
          <table data-testid="keys">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">API Key</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">Usage</th>
                <th scope="col">Limits</th>
                <th scope="col">Status</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {keys.map((key) => (
                <KeyRow
                  key={key.id}
                  apiKey={key}
                  usage={usage[key.id]}
                  busy={busy}
                  onRotate={() => rotate(key)}
                  onRevoke={() => revoke(key)}
                  onReportExposed={() => setReporting(key)}
                  onEdit={() => setEditing(key)}
                  onPause={() => pause(key)}
                  onResume={() => resume(key)}
                  onDelete={() => setDeleting(key)}
                  onActivity={() => onShowActivity(key.id)}
                />
              ))}
            </tbody>
          </table>
        )}
      </section>

      <div class="card">
        <UsagePanel heading={`Account usage, last ${USAGE_DAYS} days`} level={2} onAuthLost={onAuthLost} />
      </div>

      {formOpen ? (
        <CreateKeyDialog
          ceiling={ceilingOf(session, me)}
          onClose={() => setFormOpen(false)}
          onCreated={(key) => {
            setFormOpen(false);
            issued(key, 'Key created.');
          }}
        />
      ) : null}
      {editing ? (
        <EditKeyDialog
          apiKey={editing}
          ceiling={ceilingOf(session, me)}
          onClose={() => setEditing(undefined)}
          onAuthLost={onAuthLost}
          onReloaded={replaced}
          onSaved={(key) => {
            replaced(key);
            setEditing(undefined);
            setNotice(`“${key.name}” saved.`);
            setError(undefined);
            onChanged(); // the signed-in key may have edited itself
          }}
        />
      ) : null}
      {reporting ? (
        <ReportExposedDialog
          apiKey={reporting}
          onCancel={() => setReporting(undefined)}
          onAuthLost={onAuthLost}
          onReported={(outcome) => {
            replaced(outcome.key);
            setReporting(undefined);
            setError(undefined);
            const done = { revoked: 'revoked', rotated: 'rotated: its old value stopped working', already: 'recorded; it had already stopped working' }[outcome.handled];
            setNotice(`“${outcome.key.name}” reported exposed and ${done}.`);
            if (outcome.handled === 'rotated') void load();
            onChanged(); // the signed-in key may have reported itself
          }}
        />
      ) : null}
      {deleting ? <DeleteDialog apiKey={deleting} busy={busy} error={error} onCancel={() => setDeleting(undefined)} onConfirm={() => remove(deleting)} /> : null}
    </div>
  );
}

/** Seed 004: deleting asks in a popup; rotate and revoke act at once (seed 000). */
function DeleteDialog(props: { apiKey: ApiKey; busy: boolean; error?: string; onCancel: () => void; onConfirm: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useModal(ref);
  return (
    <dialog ref={ref} class="dialog" aria-labelledby="delete-title" onCancel={props.onCancel}>
      <h2 id="delete-title">Delete API key?</h2>
      <p>
        <strong>{props.apiKey.name}</strong> (<code>{truncated(props.apiKey.start)}</code>) will be deleted. Anything still using it stops working, and it
        leaves the list.
      </p>
      <div class="dialog-actions">
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="button" class="danger-button" disabled={props.busy} onClick={props.onConfirm}>
          Delete
        </button>
      </div>
    </dialog>
  );
}
