import { useRef, useState } from 'preact/hooks';
import { api, ApiError, type Session } from './api';

/**
 * Signing in without a new identity system: a one-time link from chat or the CLI, or an API key
 * exchanged for a session. The key goes to the API once and is cleared from the field at once;
 * the page keeps only the session's HttpOnly cookie, which it cannot read.
 */
export function SignIn({ problem, onSignedIn }: { problem?: string; onSignedIn: (s: Session) => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [error, setError] = useState<string | undefined>(problem);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const field = input.current;
    const key = field?.value.trim() ?? '';
    if (field) field.value = '';
    if (!key) {
      setError('Enter an API key, or follow a sign-in link.');
      return;
    }
    setBusy(true);
    try {
      onSignedIn(await api<Session>('POST', '/console/sessions', { key }));
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'Signing in failed.');
      setBusy(false);
    }
  };

  return (
    <main class="sign-in">
      <h1>Sign in to Keywarden</h1>
      <p>
        Admins: ask the bot for a one-time link — <code>/apikeys console</code> in Slack, <code>console</code> in a Teams 1:1 chat — or run{' '}
        <code>npx keywarden console-link</code>. Or sign in with an API key that can read keys.
      </p>
      {error ? (
        <p role="alert" class="banner error">
          {error}
        </p>
      ) : null}
      <form onSubmit={submit} autocomplete="off">
        <label for="api-key">API key</label>
        <input id="api-key" ref={input} type="password" autocomplete="off" spellcheck={false} placeholder="archie_…" />
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
      </form>
      <p class="muted small">The key is exchanged for a session of up to 8 hours; this page does not keep it.</p>
    </main>
  );
}
