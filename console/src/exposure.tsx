import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type ApiKey, type ExposureOutcome, type ExposureUsage } from './api';
import { count, credits, truncated, when } from './format';
import { useModal } from './modal';

/**
 * Issue 22 in the console: `Report exposed` on a key's row (a confirmation first: the key stops at
 * once — revoked, or for the Automator key rotated), the exposure shown on the key once it is set
 * (when, how it was found, where), and in the key's details what it did since.
 */

/** How an exposure was found, in words. */
const SOURCE_WORDS: Record<string, string> = {
  chat: 'posted in a chat',
  github: 'found in a public repository',
  url: 'sent in a URL',
  id_slot: 'pasted where an id belongs',
  report: 'reported exposed',
};

export function exposureWords(exposure: NonNullable<ApiKey['exposure']>): string {
  return `Exposed ${when(exposure.at)}: ${SOURCE_WORDS[exposure.source] ?? exposure.source} — ${exposure.location}`;
}

/** The line a key's row shows under its status once it was found exposed. */
export function ExposureNote({ apiKey }: { apiKey: ApiKey }) {
  if (!apiKey.exposure) return null;
  return (
    <span class="exposure small" data-testid="exposure">
      {exposureWords(apiKey.exposure)}
    </span>
  );
}

/** The confirmation before a report: where it leaked (optional), then the key stops at once. */
export function ReportExposedDialog(props: { apiKey: ApiKey; onCancel: () => void; onReported: (outcome: ExposureOutcome) => void; onAuthLost: (message: string) => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useModal(ref);
  const [location, setLocation] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const { apiKey: key } = props;
  const automator = key.type === 'system';
  const report = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const where = location.trim();
      props.onReported(await api<ExposureOutcome>('POST', `/keys/${key.id}/report-exposed`, where ? { location: where } : {}));
    } catch (err) {
      const message = err instanceof ApiError ? err.message : 'Something went wrong.';
      if (err instanceof ApiError && err.status === 401) props.onAuthLost(message);
      else setError(message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <dialog ref={ref} class="dialog" aria-labelledby="exposed-title" onCancel={props.onCancel}>
      <h2 id="exposed-title">Report exposed?</h2>
      <p>
        <strong>{key.name}</strong> (<code>{truncated(key.start)}</code>){' '}
        {automator ? 'will be rotated at once: the old value stops working and the bots get a new one.' : 'will be revoked at once: anything using it stops working.'} The
        exposure is recorded, and the key’s use since then can be read here.
      </p>
      <label class="inline">
        Where it leaked (optional)
        <input id="exposed-location" type="text" maxLength={500} value={location} placeholder="A URL, a channel, a few words — never the key" onInput={(e) => setLocation((e.target as HTMLInputElement).value)} />
      </label>
      {error ? (
        <p role="alert" class="banner error">
          {error}
        </p>
      ) : null}
      <div class="dialog-actions">
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="button" class="danger-button" disabled={busy} onClick={report}>
          Report exposed
        </button>
      </div>
    </dialog>
  );
}

/** In an exposed key's details: what it did since it was first seen exposed (GET /v1/keys/{id}/exposure). */
export function ExposurePanel({ apiKey }: { apiKey: ApiKey }) {
  const [usage, setUsage] = useState<ExposureUsage | undefined>();
  const [problem, setProblem] = useState<string | undefined>();
  useEffect(() => {
    if (!apiKey.exposure) return;
    let live = true;
    api<ExposureUsage>('GET', `/keys/${apiKey.id}/exposure`).then(
      (u) => live && setUsage(u),
      (err) => live && setProblem(err instanceof ApiError ? err.message : 'Its use since could not be read.'),
    );
    return () => {
      live = false;
    };
  }, [apiKey.id, apiKey.exposure?.at]);
  if (!apiKey.exposure) return null;
  return (
    <section class="exposure-panel" aria-label={`Use of ${apiKey.name} since it was exposed`}>
      <h3>Since it was exposed</h3>
      <p>{exposureWords(apiKey.exposure)}</p>
      {problem ? (
        <p role="alert" class="banner error">
          {problem}
        </p>
      ) : !usage ? (
        <p class="muted" aria-busy="true">
          Reading its use…
        </p>
      ) : (
        <>
          <p data-testid="exposure-usage">
            {count(usage.calls, 'call')} · {count(usage.tokens, 'token')} · {credits(usage.credits)} credits
            {usage.firstUse ? ` · first ${when(usage.firstUse)}, last ${when(usage.lastUse)}` : ''}
            {usage.complete ? '' : ' (the first 10,000 calls)'}
          </p>
          {usage.sources.length > 0 ? (
            <table class="callers">
              <caption>Callers seen</caption>
              <thead>
                <tr>
                  <th scope="col">Address</th>
                  <th scope="col">User agent</th>
                  <th scope="col">Calls</th>
                </tr>
              </thead>
              <tbody>
                {usage.sources.map((s) => (
                  <tr key={`${s.address}|${s.userAgent}`}>
                    <td>{s.address ?? '—'}</td>
                    <td>{s.userAgent ?? '—'}</td>
                    <td>{s.calls}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </>
      )}
    </section>
  );
}
