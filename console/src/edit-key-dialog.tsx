import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type ApiKey, type ModelList } from './api';
import { Banners } from './banners';
import { ExpiryField, ModelsField, RateLimitField, ScopesField } from './edit-key-fields';
import { TYPE_BADGE } from './format';
import { changes, draftOf, MAX_METADATA, type Draft } from './key-edit';
import { BudgetField, ConcurrencyField, TokenLimitField } from './limit-fields';
import { useModal } from './modal';
import { PairRows } from './pair-rows';
import { editBlocked, policyLine, type Ceiling } from './powers';

interface Props {
  apiKey: ApiKey;
  ceiling: Ceiling;
  onClose: () => void;
  /** Saved: the key as it now stands (the dialog is done). */
  onSaved: (key: ApiKey) => void;
  /** Reloaded after a conflict: the key as it now stands (the dialog stays open). */
  onReloaded: (key: ApiKey) => void;
  onAuthLost: (message: string) => void;
}

/**
 * Edit a key in place (issue 21): name, metadata, scopes, models, rate limit, budget, token limit,
 * concurrency cap and expiry. The PATCH
 * carries only what changed and `If-Match` with the version the dialog shows, so an edit made
 * meanwhile (another tab, the CLI, a bot) is a 409 here, never silently overwritten: the dialog
 * says so and offers to reload the key.
 */
export function EditKeyDialog({ apiKey, ceiling, onClose, onSaved, onReloaded, onAuthLost }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const [base, setBase] = useState(apiKey);
  const [draft, setDraft] = useState<Draft>(() => draftOf(apiKey));
  const [catalog, setCatalog] = useState<string[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [conflict, setConflict] = useState(false);
  const [note, setNote] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  useModal(ref);

  useEffect(() => {
    api<ModelList>('GET', '/models').then(
      (list) => setCatalog(list.data.map((m) => m.id)),
      () => setCatalog([]),
    );
  }, []);

  const set = (patch: Partial<Draft>) => setDraft((current) => ({ ...current, ...patch }));
  const failed = (err: unknown, fallback: string) => {
    const message = err instanceof ApiError ? err.message : fallback;
    if (err instanceof ApiError && err.status === 401) onAuthLost(message);
    if (err instanceof ApiError && err.code === 'conflict') setConflict(true);
    else setError(message);
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    setNote(undefined);
    const { body, problems } = changes(base, draft);
    if (problems.length > 0) return setError(problems.join(' '));
    if (Object.keys(body).length === 0) return setNote('Nothing changed.');
    setBusy(true);
    try {
      onSaved(await api<ApiKey>('PATCH', `/keys/${base.id}`, body, { ifMatch: base.version }));
    } catch (err) {
      failed(err, 'The key could not be saved.');
      setBusy(false);
    }
  };

  const reload = async () => {
    setBusy(true);
    try {
      const fresh = await api<ApiKey>('GET', `/keys/${base.id}`);
      setBase(fresh);
      setDraft(draftOf(fresh));
      setConflict(false);
      setError(undefined);
      setNote(`Reloaded: this is the key as it now stands (version ${fresh.version}).`);
      onReloaded(fresh);
    } catch (err) {
      failed(err, 'The key could not be reloaded.');
    } finally {
      setBusy(false);
    }
  };

  const blocked = editBlocked(ceiling, base);
  return (
    <dialog ref={ref} class="dialog wide" aria-labelledby="edit-title" aria-describedby="edit-powers" onCancel={onClose}>
      <form onSubmit={submit}>
        <h2 id="edit-title">Edit “{base.name}”</h2>
        <p class="muted small" id="edit-powers">
          {TYPE_BADGE[base.type] ?? base.type} key, version {base.version}.{' '}
          {ceiling.actor ? 'Choices wider than your own key are disabled, with the reason beside them.' : 'You act as a project admin: any value within the account policy may be set.'}
        </p>
        {policyLine(ceiling) ? (
          <p class="muted small" data-testid="account-policy">
            {policyLine(ceiling)} What this edit sets is held to it; what it leaves alone is kept.
          </p>
        ) : null}
        {blocked ? (
          <p class="banner warn" data-testid="edit-blocked">
            {blocked}
          </p>
        ) : null}
        {conflict ? (
          <div role="alert" class="banner error" data-testid="edit-conflict">
            <p>This key changed after you opened it (someone saved it meanwhile): nothing was saved.</p>
            <button type="button" disabled={busy} onClick={reload}>
              Reload key
            </button>{' '}
            <span class="small">Your unsaved changes here are discarded.</span>
          </div>
        ) : null}
        <Banners error={error} notice={note} />
        <label for="edit-key-name">Key Name</label>
        <input id="edit-key-name" value={draft.name} maxLength={200} required onInput={(e) => set({ name: (e.target as HTMLInputElement).value })} />
        <fieldset>
          <legend>Metadata</legend>
          <p class="muted small">Labels shown and searchable, never used for authorization (at most {MAX_METADATA}).</p>
          <PairRows label="Metadata" rows={draft.metadata} onChange={(metadata) => set({ metadata })} addLabel="+ Add metadata" max={MAX_METADATA} />
        </fieldset>
        <ScopesField apiKey={base} draft={draft} ceiling={ceiling} set={set} />
        <ModelsField apiKey={base} draft={draft} ceiling={ceiling} set={set} catalog={catalog} />
        <RateLimitField apiKey={base} draft={draft} ceiling={ceiling} set={set} />
        <BudgetField apiKey={base} draft={draft} ceiling={ceiling} set={set} />
        <TokenLimitField apiKey={base} draft={draft} ceiling={ceiling} set={set} />
        <ConcurrencyField apiKey={base} draft={draft} ceiling={ceiling} set={set} />
        <ExpiryField apiKey={base} draft={draft} ceiling={ceiling} set={set} />
        <div class="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            Save changes
          </button>
        </div>
      </form>
    </dialog>
  );
}
