import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from './api';
import { when } from './format';
import { DELIVERY_STATUS, lastAnswerWords, nextRetryWords, type DeliveryPage, type Webhook } from './webhook-view';

/** Deliveries per page of the log. */
const PAGE = 20;

/**
 * One webhook's delivery log, newest event first: each event's status, attempts, the receiver's
 * last answer and the next retry. Paged by the API's cursor; the cursors of the pages already
 * passed are kept so Newer goes back without a second cursor scheme.
 */
export function DeliveryLog(props: { webhook: Webhook; onAuthLost: (message: string) => void }) {
  const { webhook } = props;
  /** Cursors of the pages shown so far: the last is the one on screen (undefined: the first page). */
  const [trail, setTrail] = useState<Array<string | undefined>>([undefined]);
  const [page, setPage] = useState<DeliveryPage | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [reads, setReads] = useState(0);
  const cursor = trail[trail.length - 1];

  useEffect(() => {
    let live = true;
    const query = new URLSearchParams({ limit: String(PAGE) });
    if (cursor) query.set('cursor', cursor);
    api<DeliveryPage>('GET', `/webhooks/${webhook.id}/deliveries?${query}`).then(
      (p) => {
        if (!live) return;
        setPage(p);
        setError(undefined);
      },
      (err: unknown) => {
        if (!live) return;
        const message = err instanceof ApiError ? err.message : 'The delivery log could not be read.';
        if (err instanceof ApiError && err.status === 401) props.onAuthLost(message);
        else setError(message);
      },
    );
    return () => {
      live = false;
    };
  }, [webhook.id, cursor, reads]);

  const older = page?.nextCursor;
  return (
    <section class="delivery-log" aria-label={`Delivery log of ${webhook.url}`} data-log-of={webhook.id}>
      <div class="list-head">
        <h3>Delivery log</h3>
        <div class="actions">
          <button type="button" onClick={() => setReads((n) => n + 1)}>
            Refresh
          </button>
          <button type="button" disabled={trail.length === 1} onClick={() => setTrail((t) => t.slice(0, -1))}>
            Newer
          </button>
          <button type="button" disabled={!older} onClick={() => older && setTrail((t) => [...t, older])}>
            Older
          </button>
        </div>
      </div>
      {error ? (
        <p role="alert" class="banner error">
          {error}
        </p>
      ) : page === undefined ? (
        <p class="muted" aria-busy="true">
          Reading the log…
        </p>
      ) : page.data.length === 0 ? (
        <p class="muted">{trail.length === 1 ? 'Nothing sent yet: an event it receives shows here once it happens.' : 'No older deliveries.'}</p>
      ) : (
        <table data-testid="deliveries">
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Event id</th>
              <th scope="col">Happened</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last answer</th>
              <th scope="col">Next retry</th>
            </tr>
          </thead>
          <tbody>
            {page.data.map((d) => (
              <tr key={d.eventId} data-event-id={d.eventId}>
                <td>
                  <code>{d.eventType}</code>
                </td>
                <td>
                  <code class="small">{d.eventId}</code>
                </td>
                <td>{when(d.eventAt)}</td>
                <td>
                  <span class={`status delivery-${d.status}`}>{DELIVERY_STATUS[d.status]}</span>
                </td>
                <td>{d.attempts}</td>
                <td>{lastAnswerWords(d)}</td>
                <td>{nextRetryWords(d)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
