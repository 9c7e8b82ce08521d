import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type ApiKey, type AuditList, type AuditRecord, type KeyList } from './api';
import { when } from './format';

/** The audit trail (seeds 001/003), filtered by key and by actor; an edit's details name each field before → after. */
export function ActivityTab(props: { filter: { keyId?: string; actor?: string }; onFilter: (f: { keyId?: string; actor?: string }) => void; onAuthLost: (m: string) => void }) {
  const { filter, onFilter } = props;
  const [records, setRecords] = useState<AuditRecord[] | undefined>();
  const [keys, setKeys] = useState<ApiKey[]>([]);
  const [actor, setActor] = useState(filter.actor ?? '');
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    api<KeyList>('GET', '/keys?limit=200').then((page) => setKeys(page.data), () => undefined);
  }, []);
  useEffect(() => {
    const query = new URLSearchParams({ limit: '100' });
    if (filter.keyId) query.set('keyId', filter.keyId);
    if (filter.actor) query.set('actor', filter.actor);
    setRecords(undefined);
    api<AuditList>('GET', `/audit?${query}`).then(
      (page) => {
        setRecords(page.data);
        setError(undefined);
      },
      (err: unknown) => {
        const message = err instanceof ApiError ? err.message : 'The audit trail could not be read.';
        if (err instanceof ApiError && err.status === 401) props.onAuthLost(message);
        else setError(message);
        setRecords([]);
      },
    );
  }, [filter.keyId, filter.actor]);

  const names = Object.fromEntries(keys.map((k) => [k.id, k.name]));
  return (
    <div>
      <h1>Activity</h1>
      <p class="muted">Every create, edit, pause, resume, rotate, revoke and delete, denied attempts included.</p>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          onFilter({ ...filter, actor: actor.trim() || undefined });
        }}
      >
        <label>
          <span>Key</span>
          <select value={filter.keyId ?? ''} onChange={(e) => onFilter({ ...filter, keyId: (e.target as HTMLSelectElement).value || undefined })}>
            <option value="">All keys</option>
            {keys.map((k) => (
              <option value={k.id} key={k.id}>
                {k.name} ({k.start})
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>Actor</span>
          <input value={actor} placeholder="slack:T…:U…, key:key_…" onInput={(e) => setActor((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit">Filter</button>
      </form>
      {error ? (
        <p role="alert" class="banner error">
          {error}
        </p>
      ) : null}
      {records === undefined ? (
        <p class="muted" aria-busy="true">
          Loading…
        </p>
      ) : records.length === 0 ? (
        <p class="muted">No audit records match.</p>
      ) : (
        <table data-testid="audit">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Action</th>
              <th scope="col">Outcome</th>
              <th scope="col">Actor</th>
              <th scope="col">Via</th>
              <th scope="col">Key</th>
            </tr>
          </thead>
          <tbody>
            {records.map((r) => (
              <tr key={r.id}>
                <td>{when(r.at)}</td>
                <td>
                  {r.action}
                  {r.details && Object.keys(r.details).length > 0 ? (
                    <span class="details muted small">
                      {Object.entries(r.details)
                        .map(([field, change]) => `${field}: ${change}`)
                        .join(' · ')}
                    </span>
                  ) : null}
                </td>
                <td>
                  <span class={`status outcome-${r.outcome}`}>{r.outcome}</span>
                  {r.reason ? <span class="muted small"> {r.reason}</span> : null}
                </td>
                <td>
                  <button type="button" class="link" onClick={() => {
                    setActor(r.actor);
                    onFilter({ ...filter, actor: r.actor });
                  }}>
                    {r.actor}
                  </button>
                </td>
                <td>{r.viaBot ? `via ${r.viaBot}` : ''}</td>
                <td>{r.keyId ? names[r.keyId] ?? r.keyId : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
