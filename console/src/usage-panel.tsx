import { useEffect, useId, useState } from 'preact/hooks';
import { api, ApiError, type DailyUsage } from './api';
import { count, credits, day } from './format';
import { UsageChart } from './usage-chart';

export const USAGE_DAYS = 30;

interface Props {
  /** One key's usage; without it, the account's totals. */
  keyId?: string;
  heading: string;
  /** The heading's level where the panel sits: a card on the tab (2) or a key's details (3). */
  level: 2 | 3;
  onAuthLost?: (message: string) => void;
}

const METRICS = [
  { field: 'requests', caption: 'Requests per day', words: (n: number) => count(n, 'request') },
  { field: 'tokens', caption: 'Tokens per day', words: (n: number) => count(n, 'token') },
  { field: 'credits', caption: 'Credits per day', words: (n: number) => `${credits(n)} credit${n === 1 ? '' : 's'}` },
] as const;

/**
 * Requests, tokens and credits per UTC day over the last 30 days (issue 21), for one key or the
 * account: three charts side by side from one `GET /v1/usage/daily` (the server keeps daily
 * counters, so this is one read whatever the traffic), and the same numbers as a table on request.
 * A failed read says so in place and leaves the rest of the tab working.
 */
export function UsagePanel({ keyId, heading, level, onAuthLost }: Props) {
  const [usage, setUsage] = useState<DailyUsage | undefined>();
  const [problem, setProblem] = useState<string | undefined>();
  const [table, setTable] = useState(false);
  /** Bumped by Refresh: the charts read again, keeping what they show until the answer is in. */
  const [round, setRound] = useState(0);
  const id = `usage${useId().replace(/[^A-Za-z0-9_-]/g, '')}`;

  useEffect(() => {
    let live = true;
    const query = `days=${USAGE_DAYS}${keyId ? `&keyId=${encodeURIComponent(keyId)}` : ''}`;
    api<DailyUsage>('GET', `/usage/daily?${query}`).then(
      (answer) => {
        if (!live) return;
        setUsage(answer);
        setProblem(undefined);
      },
      (err: unknown) => {
        if (!live) return;
        if (err instanceof ApiError && err.status === 401) onAuthLost?.(err.message);
        // An older server has no such route (404 "Unknown path"): say so in the console's words.
        const unknownRoute = err instanceof ApiError && err.status === 404 && /^Unknown path/.test(err.message);
        const why = unknownRoute ? 'this server does not keep daily usage yet.' : err instanceof ApiError ? err.message : 'the answer could not be read.';
        setProblem(`Usage per day could not be loaded: ${why}`);
      },
    );
    return () => {
      live = false;
    };
  }, [keyId, round]);

  const Heading = level === 2 ? 'h2' : 'h3';
  const days = usage?.data ?? [];
  return (
    <section class="usage-panel" aria-labelledby={`${id}-heading`} data-testid={keyId ? `usage-${keyId}` : 'account-usage'}>
      <Heading id={`${id}-heading`}>{heading}</Heading>
      {problem ? (
        <p class="banner warn" role="status">
          {problem}
        </p>
      ) : usage === undefined ? (
        <p class="muted" aria-busy="true">
          Loading usage…
        </p>
      ) : (
        <>
          <div class="charts">
            {METRICS.map((m) => (
              <UsageChart key={m.field} id={`${id}-${m.field}`} testId={`chart-${m.field}`} caption={m.caption} words={m.words} points={days.map((d) => ({ date: d.date, value: d[m.field] }))} />
            ))}
          </div>
          <button type="button" class="link" aria-expanded={table} aria-controls={`${id}-table`} onClick={() => setTable(!table)}>
            {table ? 'Hide the table' : 'Show as table'}
          </button>
          <button type="button" class="link" aria-label={`Refresh ${heading}`} onClick={() => setRound(round + 1)}>
            Refresh
          </button>
          <table id={`${id}-table`} class="usage-table" data-testid="usage-table" hidden={!table}>
            <caption>
              {heading}: per UTC day, oldest first
            </caption>
            <thead>
              <tr>
                <th scope="col">Day</th>
                <th scope="col">Requests</th>
                <th scope="col">Tokens</th>
                <th scope="col">Credits</th>
              </tr>
            </thead>
            <tbody>
              {days.map((d) => (
                <tr key={d.date}>
                  <th scope="row">{day(d.date, true)}</th>
                  <td>{d.requests}</td>
                  <td>{d.tokens}</td>
                  <td>{credits(d.credits)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
