import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type ApiKey, type Me, type Session } from './api';
import { ActivityTab } from './activity-tab';
import { KeysTab } from './keys-tab';
import { RequestsTab } from './requests-tab';
import { SignIn } from './sign-in';
import { webhookPowers } from './webhook-view';
import { WebhooksTab } from './webhooks-tab';

/** A one-time link arrives as `/console/#link=<token>`: the fragment never reaches a server. */
function takeLinkFromUrl(): string | undefined {
  const match = /^#link=([A-Za-z0-9._-]+)$/.exec(window.location.hash);
  if (!match) return undefined;
  // Out of the address bar and the history at once: the link signs in once, and is spent now.
  history.replaceState(null, '', window.location.pathname);
  return match[1];
}

export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [problem, setProblem] = useState<string | undefined>();

  useEffect(() => {
    void (async () => {
      const link = takeLinkFromUrl();
      if (link) {
        try {
          setSession(await api<Session>('POST', '/console/sessions', { link }));
          return;
        } catch (err) {
          setProblem(err instanceof ApiError ? err.message : 'Signing in with the link failed.');
        }
      }
      try {
        setSession(await api<Session>('GET', '/console/session'));
      } catch (err) {
        // A refused cookie (one tossed in by another site) says what to do; a missing session says nothing.
        if (err instanceof ApiError && err.status === 400) setProblem(err.message);
        setSession(null);
      }
    })();
  }, []);

  if (session === undefined) return <main class="loading" aria-busy="true">Loading the console…</main>;
  if (session === null) return <SignIn problem={problem} onSignedIn={setSession} />;
  return <Console session={session} onSignedOut={() => setSession(null)} />;
}

type Tab = 'keys' | 'requests' | 'activity' | 'webhooks';

function Console({ session, onSignedOut }: { session: Session; onSignedOut: () => void }) {
  const [tab, setTab] = useState<Tab>('keys');
  const [me, setMe] = useState<Me | undefined>();
  const [auditFilter, setAuditFilter] = useState<{ keyId?: string; actor?: string }>({});
  const [ended, setEnded] = useState<string | undefined>();

  const refreshMe = () =>
    api<Me>('GET', '/me').then(setMe, (err: unknown) => {
      if (err instanceof ApiError && err.status === 401) onSignedOut();
    });
  useEffect(() => void refreshMe(), []);

  // The header names who is signed in: a person by their chat identity, an operator's session by
  // the operator, a key session by its key's name (the audit's `key:key_…` stays in the tooltip).
  const [keyName, setKeyName] = useState<string | undefined>();
  useEffect(() => {
    if (session.kind === 'key') void api<ApiKey>('GET', `/keys/${session.keyId}`).then((key) => setKeyName(key.name), () => undefined);
  }, [session.kind, session.keyId]);
  const who = session.operator ? `${session.operator} (operator, as ${keyName ?? 'the Automator key'})` : session.kind === 'key' ? (keyName ?? session.actor) : session.actor;

  const signOut = async () => {
    try {
      await api('DELETE', '/console/session');
    } catch {
      // the session is over either way
    }
    onSignedOut();
  };
  const onAuthLost = (message: string) => setEnded(message);
  // Offered only to a key holding webhooks:read (or admin); the API decides either way.
  const webhooks = webhookPowers(me);
  const shown: Tab = tab === 'webhooks' && !webhooks.read ? 'keys' : tab;

  return (
    <div class="shell">
      <header class="top">
        <div class="brand">Keywarden</div>
        <nav aria-label="Main">
          <span class="crumb">Settings</span>
          {me?.account ? <span class="crumb">{me.account.name}</span> : null}
          {me?.project ? <span class="crumb">{me.project.name}</span> : null}
        </nav>
        <div class="who">
          <span data-testid="signed-in-as" title={`The audit trail names you ${session.actor} “via console”`}>
            {who} <span class="muted">via console</span>
          </span>
          <button type="button" class="link" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main>
        <div role="tablist" aria-label="Settings" class="tabs">
          <button type="button" role="tab" id="tab-keys" aria-selected={shown === 'keys'} aria-controls="panel" onClick={() => setTab('keys')}>
            API Keys
          </button>
          <button type="button" role="tab" id="tab-requests" aria-selected={shown === 'requests'} aria-controls="panel" onClick={() => setTab('requests')}>
            Requests
          </button>
          <button type="button" role="tab" id="tab-activity" aria-selected={shown === 'activity'} aria-controls="panel" onClick={() => setTab('activity')}>
            Activity
          </button>
          {webhooks.read ? (
            <button type="button" role="tab" id="tab-webhooks" aria-selected={shown === 'webhooks'} aria-controls="panel" onClick={() => setTab('webhooks')}>
              Webhooks
            </button>
          ) : null}
        </div>
        {ended ? (
          <p role="alert" class="banner error">
            {ended}{' '}
            <button type="button" class="link" onClick={onSignedOut}>
              Sign in again
            </button>
          </p>
        ) : null}
        <section id="panel" role="tabpanel" aria-labelledby={`tab-${shown}`}>
          {shown === 'keys' ? (
            <KeysTab
              session={session}
              me={me}
              onChanged={refreshMe}
              onAuthLost={onAuthLost}
              onShowActivity={(keyId) => {
                setAuditFilter({ keyId });
                setTab('activity');
              }}
            />
          ) : shown === 'requests' ? (
            <RequestsTab session={session} me={me} onAuthLost={onAuthLost} />
          ) : shown === 'webhooks' ? (
            <WebhooksTab powers={webhooks} onAuthLost={onAuthLost} />
          ) : (
            <ActivityTab filter={auditFilter} onFilter={setAuditFilter} onAuthLost={onAuthLost} />
          )}
        </section>
      </main>
    </div>
  );
}
