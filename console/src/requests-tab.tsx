import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type Me, type Session } from './api';
import { Banners, OneTimeSecret } from './banners';
import { when } from './format';
import { collectable, mayDecide, requestBody, requestedKeyWords, type IssuedKey, type KeyRequest, type RequestForm } from './requests-view';

const EMPTY: RequestForm = { name: '', type: 'viewer', scopes: '', budget: '', expires: '', reason: '' };

/**
 * Settings → Requests (issue 25 point 1): keys asked for and what became of them. Anyone signed in
 * asks; a key manager sees the project's pending requests with Approve and Deny (a reason the
 * requester reads); the requester collects an approved key here once — its value lives only in
 * this component's state, for its one-time callout, and leaving the tab unmounts it.
 */
export function RequestsTab({ session, me, onAuthLost }: { session: Session; me: Me | undefined; onAuthLost: (message: string) => void }) {
  const [requests, setRequests] = useState<KeyRequest[] | undefined>();
  const [form, setForm] = useState<RequestForm>(EMPTY);
  const [denying, setDenying] = useState<{ id: string; reason: string } | undefined>();
  const [collected, setCollected] = useState<IssuedKey | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const decides = mayDecide(me);

  const fail = (err: unknown, fallback: string) => {
    const message = err instanceof ApiError ? err.message : fallback;
    if (err instanceof ApiError && err.status === 401) onAuthLost(message);
    else setError(message);
  };
  const load = () =>
    api<{ data: KeyRequest[] }>('GET', '/key-requests?limit=100').then(
      (list) => setRequests(list.data),
      (err: unknown) => {
        fail(err, 'The requests could not be read.');
        setRequests((current) => current ?? []);
      },
    );
  useEffect(() => void load(), []);

  /** One call at a time; its outcome said, the list read again. */
  const act = async (call: () => Promise<string>, fallback: string) => {
    setBusy(true);
    setError(undefined);
    try {
      setNotice(await call());
      await load();
    } catch (err) {
      fail(err, fallback);
    } finally {
      setBusy(false);
    }
  };
  const ask = (event: Event) => {
    event.preventDefault();
    const checked = requestBody(form);
    if (!checked.ok) return setError(checked.message);
    void act(async () => {
      const r = await api<KeyRequest>('POST', '/key-requests', checked.body);
      setForm(EMPTY);
      return `Asked for “${r.key.name}” (${r.id}); an admin approves or denies it.`;
    }, 'The request could not be made.');
  };
  const approve = (r: KeyRequest) =>
    act(async () => {
      const done = await api<KeyRequest>('POST', `/key-requests/${r.id}/approve`);
      return `Approved: key “${done.key.name}” (${done.keyStart ?? ''}…) was created; its value goes only to ${done.requester}.`;
    }, 'The request could not be approved.');
  const deny = (id: string, reason: string) =>
    act(async () => {
      const done = await api<KeyRequest>('POST', `/key-requests/${id}/deny`, { reason });
      setDenying(undefined);
      return `Denied “${done.key.name}”; ${done.requester} reads why.`;
    }, 'The request could not be denied.');
  const collect = (r: KeyRequest) =>
    act(async () => {
      setCollected(await api<IssuedKey>('POST', `/key-requests/${r.id}/claim`));
      return `Collected key “${r.key.name}”.`;
    }, 'The key could not be collected.');
  const field = (name: keyof RequestForm) => (event: Event) => setForm({ ...form, [name]: (event.currentTarget as HTMLInputElement).value });

  return (
    <div class="requests-tab">
      <div class="heading">
        <div>
          <h1>Key requests</h1>
          <p class="muted">Ask for a key; a project admin approves or denies it. An approved key’s value goes only to whoever asked, once.</p>
        </div>
      </div>
      <Banners error={error} notice={notice} />
      {collected ? (
        <OneTimeSecret key={collected.key} region="Collected key" what="key" value={collected.key} testId="collected-key">
          <p class="muted small">Key “{collected.name}” ({collected.start}…): it is not shown again.</p>
        </OneTimeSecret>
      ) : null}

      <form class="request-form" aria-labelledby="ask-title" onSubmit={ask}>
        <h2 id="ask-title">Ask for a key</h2>
        <label>
          Name <input id="request-name" value={form.name} maxLength={200} onInput={field('name')} />
        </label>
        <label>
          Type{' '}
          <select id="request-type" value={form.type} onChange={field('type')}>
            <option value="viewer">Viewer</option>
            <option value="privileged">Privileged</option>
          </select>
        </label>
        <label>
          Scopes <input id="request-scopes" value={form.scopes} placeholder="models:read, responses:write" onInput={field('scopes')} />
        </label>
        <label>
          Budget <input id="request-budget" value={form.budget} placeholder="20/month" onInput={field('budget')} />
        </label>
        <label>
          Expires after <input id="request-expires" value={form.expires} placeholder="30d" onInput={field('expires')} />
        </label>
        <label>
          Why <input id="request-reason" value={form.reason} maxLength={1000} onInput={field('reason')} />
        </label>
        <button type="submit" class="primary" disabled={busy}>
          Ask
        </button>
      </form>

      <section class="list" aria-labelledby="requests-title">
        <h2 id="requests-title">{decides ? 'The project’s requests' : 'Your requests'}</h2>
        {requests === undefined ? (
          <p class="muted" aria-busy="true">
            Loading requests…
          </p>
        ) : requests.length === 0 ? (
          <p class="muted">No requests yet.</p>
        ) : (
          <table data-testid="key-requests">
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Asked by</th>
                <th scope="col">Why</th>
                <th scope="col">Status</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {requests.map((r) => (
                <tr key={r.id} data-request-id={r.id}>
                  <td>
                    <strong>{r.key.name}</strong>
                    <span class="details muted small">{requestedKeyWords(r)}</span>
                  </td>
                  <td>
                    {r.requester}
                    <span class="details muted small">{when(r.createdAt)}</span>
                  </td>
                  <td>{r.reason}</td>
                  <td>
                    {r.status}
                    {r.decidedBy ? <span class="details muted small">by {r.decidedBy}</span> : null}
                    {r.denyReason ? <span class="details muted small">“{r.denyReason}”</span> : null}
                  </td>
                  <td class="row-actions">
                    {decides && r.status === 'pending' && denying?.id !== r.id ? (
                      <>
                        <button type="button" class="link" disabled={busy} aria-label={`Approve: ${r.key.name}`} onClick={() => void approve(r)}>
                          Approve
                        </button>
                        <button type="button" class="link danger" disabled={busy} aria-label={`Deny: ${r.key.name}`} onClick={() => setDenying({ id: r.id, reason: '' })}>
                          Deny
                        </button>
                      </>
                    ) : null}
                    {denying?.id === r.id ? (
                      <form onSubmit={(event) => (event.preventDefault(), void deny(r.id, denying.reason))}>
                        <label>
                          Reason{' '}
                          <input id="deny-reason" required maxLength={1000} value={denying.reason} onInput={(event) => setDenying({ id: r.id, reason: (event.currentTarget as HTMLInputElement).value })} />
                        </label>
                        <button type="submit" class="link danger" disabled={busy || !denying.reason.trim()}>
                          Deny request
                        </button>
                      </form>
                    ) : null}
                    {collectable(r, session.actor) ? (
                      <button type="button" class="primary" disabled={busy} onClick={() => void collect(r)}>
                        Collect key
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
