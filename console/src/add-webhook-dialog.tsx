import { useRef, useState } from 'preact/hooks';
import { EVENT_TYPES, type EventType } from '../../lambdas/core/events';
import { api, ApiError } from './api';
import { useModal } from './modal';
import { newWebhookBody, type NewWebhook } from './webhook-view';

/**
 * Add webhook: the endpoint's URL, the event types it receives (all by default) and a few words
 * on it. The answer carries the signing secret, handed up for its one-time callout.
 */
export function AddWebhookDialog(props: { onClose: () => void; onAdded: (webhook: NewWebhook) => void; onAuthLost: (message: string) => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useModal(ref);
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<EventType[]>([...EVENT_TYPES]);
  const [description, setDescription] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const all = events.length === EVENT_TYPES.length;
  const toggle = (type: EventType, on: boolean) => setEvents((current) => (on ? [...current, type] : current.filter((t) => t !== type)));

  const submit = async (event: Event) => {
    event.preventDefault();
    if (events.length === 0) return setError('Choose at least one event type.');
    setBusy(true);
    setError(undefined);
    try {
      props.onAdded(await api<NewWebhook>('POST', '/webhooks', newWebhookBody(url, events, description)));
    } catch (err) {
      const message = err instanceof ApiError ? err.message : 'The webhook could not be added.';
      if (err instanceof ApiError && err.status === 401) props.onAuthLost(message);
      else setError(message);
      setBusy(false);
    }
  };

  return (
    <dialog ref={ref} class="dialog wide" aria-labelledby="webhook-add-title" onCancel={props.onClose}>
      <form onSubmit={submit}>
        <h2 id="webhook-add-title">Add webhook</h2>
        {error ? (
          <p role="alert" class="banner error">
            {error}
          </p>
        ) : null}
        <label for="webhook-url">Endpoint URL</label>
        <input id="webhook-url" type="url" required maxLength={2048} value={url} placeholder="https://hooks.example.com/keywarden" onInput={(e) => setUrl((e.target as HTMLInputElement).value)} />
        <p class="muted small">https only, to a public address. Each delivery is signed (Standard Webhooks): verify it with the secret shown once after adding.</p>
        <fieldset>
          <legend>Events</legend>
          <label class="choice">
            <input type="checkbox" checked={all} onChange={(e) => setEvents((e.target as HTMLInputElement).checked ? [...EVENT_TYPES] : [])} />
            <span>
              <strong>All events</strong> — every type there is
            </span>
          </label>
          <div class="scopes">
            {EVENT_TYPES.map((type) => (
              <label class="choice" key={type}>
                <input type="checkbox" checked={events.includes(type)} onChange={(e) => toggle(type, (e.target as HTMLInputElement).checked)} />
                <code>{type}</code>
              </label>
            ))}
          </div>
        </fieldset>
        <label for="webhook-description">Description (optional)</label>
        <input id="webhook-description" type="text" maxLength={200} value={description} placeholder="What receives it, e.g. the on-call pager" onInput={(e) => setDescription((e.target as HTMLInputElement).value)} />
        <div class="dialog-actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            Add webhook
          </button>
        </div>
      </form>
    </dialog>
  );
}
