import { Fragment } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { AddWebhookDialog } from './add-webhook-dialog';
import { api, ApiError } from './api';
import { Banners, OneTimeSecret } from './banners';
import { DeliveryLog } from './delivery-log';
import { when } from './format';
import { useModal } from './modal';
import { eventsWords, type NewWebhook, type Webhook, type WebhookPowers } from './webhook-view';

/**
 * Settings → Webhooks (issue 22): the project's endpoints for lifecycle events, each with its
 * delivery log. A new webhook's signing secret lives only in this component's state, for its
 * one-time callout: leaving the tab unmounts it, adding another replaces it.
 */
export function WebhooksTab({ powers, onAuthLost }: { powers: WebhookPowers; onAuthLost: (message: string) => void }) {
  const [webhooks, setWebhooks] = useState<Webhook[] | undefined>();
  const [added, setAdded] = useState<NewWebhook | undefined>();
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<Webhook | undefined>();
  const [open, setOpen] = useState<string | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const fail = (err: unknown, fallback: string) => {
    const message = err instanceof ApiError ? err.message : fallback;
    if (err instanceof ApiError && err.status === 401) onAuthLost(message);
    else setError(message);
  };
  const load = () =>
    api<{ data: Webhook[] }>('GET', '/webhooks').then(
      (list) => setWebhooks(list.data),
      (err: unknown) => {
        fail(err, 'The webhooks could not be read.');
        setWebhooks((current) => current ?? []);
      },
    );
  useEffect(() => void load(), []);

  const remove = async (webhook: Webhook) => {
    setBusy(true);
    setError(undefined);
    try {
      await api('DELETE', `/webhooks/${webhook.id}`);
      setRemoving(undefined);
      if (added?.id === webhook.id) setAdded(undefined);
      if (open === webhook.id) setOpen(undefined);
      setNotice(`Webhook ${webhook.url} removed: nothing more is sent to it.`);
      await load();
    } catch (err) {
      setRemoving(undefined);
      fail(err, 'The webhook could not be removed.');
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="webhooks-tab">
      <div class="heading">
        <div>
          <h1>Webhooks</h1>
          <p class="muted">Endpoints told of the project’s lifecycle events — a key created, revoked or exposed, a budget threshold crossed — signed per Standard Webhooks and retried for 24 hours.</p>
        </div>
        <div class="actions">
          <button type="button" class="primary" disabled={Boolean(powers.addBlocked) || busy} onClick={() => setAdding(true)}>
            Add webhook
          </button>
        </div>
      </div>
      {powers.addBlocked ? <p class="muted small">{powers.addBlocked}</p> : null}
      <Banners error={error} notice={notice} />

      {added ? (
        <OneTimeSecret key={added.secret} region="New webhook signing secret" what="signing secret" value={added.secret} testId="webhook-secret">
          <p class="muted small">
            For {added.url}: the receiver verifies each delivery’s <code>webhook-signature</code> with it.
          </p>
        </OneTimeSecret>
      ) : null}

      <section class="list" aria-labelledby="webhooks-title">
        <h2 id="webhooks-title">Endpoints</h2>
        {webhooks === undefined ? (
          <p class="muted" aria-busy="true">
            Loading webhooks…
          </p>
        ) : webhooks.length === 0 ? (
          <p class="muted">No webhooks yet.</p>
        ) : (
          <table data-testid="webhooks">
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">Created</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {webhooks.map((w) => (
                <Fragment key={w.id}>
                  <tr data-webhook-id={w.id}>
                    <td>
                      <code class="webhook-url">{w.url}</code>
                      {w.description ? <span class="details muted small">{w.description}</span> : null}
                    </td>
                    <td>{eventsWords(w.events)}</td>
                    <td>{when(w.createdAt)}</td>
                    <td class="row-actions">
                      <button type="button" class="link" aria-expanded={open === w.id} aria-controls={`log-${w.id}`} aria-label={`Delivery log: ${w.url}`} onClick={() => setOpen(open === w.id ? undefined : w.id)}>
                        Delivery log
                      </button>
                      <button type="button" class="link danger" disabled={Boolean(powers.removeBlocked) || busy} title={powers.removeBlocked} aria-label={`Remove: ${w.url}`} onClick={() => setRemoving(w)}>
                        Remove
                      </button>
                    </td>
                  </tr>
                  {open === w.id ? (
                    <tr class="key-details" id={`log-${w.id}`}>
                      <td colSpan={4}>
                        <DeliveryLog webhook={w} onAuthLost={onAuthLost} />
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              ))}
            </tbody>
          </table>
        )}
      </section>

      {adding ? (
        <AddWebhookDialog
          onClose={() => setAdding(false)}
          onAuthLost={onAuthLost}
          onAdded={(webhook) => {
            setAdding(false);
            setAdded(webhook);
            setError(undefined);
            setNotice(`Webhook ${webhook.url} added.`);
            const { secret: _secret, ...listed } = webhook;
            setWebhooks((current) => [listed, ...(current ?? []).filter((w) => w.id !== webhook.id)]);
            void load();
          }}
        />
      ) : null}
      {removing ? <RemoveDialog webhook={removing} busy={busy} onCancel={() => setRemoving(undefined)} onConfirm={() => remove(removing)} /> : null}
    </div>
  );
}

/** Removing asks first: deliveries stop at once, and its log goes with it. */
function RemoveDialog(props: { webhook: Webhook; busy: boolean; onCancel: () => void; onConfirm: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useModal(ref);
  return (
    <dialog ref={ref} class="dialog" aria-labelledby="webhook-remove-title" onCancel={props.onCancel}>
      <h2 id="webhook-remove-title">Remove webhook?</h2>
      <p>
        Nothing more is sent to <code>{props.webhook.url}</code>, retries pending included. Its signing secret stops being used.
      </p>
      <div class="dialog-actions">
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="button" class="danger-button" disabled={props.busy} onClick={props.onConfirm}>
          Remove
        </button>
      </div>
    </dialog>
  );
}
