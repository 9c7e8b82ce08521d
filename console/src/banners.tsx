import type { ComponentChildren } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { copyOrSelect } from './clipboard';

/** A panel's error (an alert) and its live status line, read out by screen readers as they change. */
export function Banners({ error, notice }: { error?: string; notice?: string }) {
  return (
    <>
      {error ? (
        <p role="alert" class="banner error">
          {error}
        </p>
      ) : null}
      <p role="status" class="sr-status">
        {notice ?? ''}
      </p>
    </>
  );
}

/**
 * A value shown once (a new key, a webhook's signing secret): selectable, with Copy — or, where
 * the clipboard is out of reach, selected for copying by hand. Mount it with `key={value}` so a
 * new value starts without the last one's copy note.
 */
export function OneTimeSecret(props: { region: string; what: string; value: string; testId: string; children?: ComponentChildren }) {
  const ref = useRef<HTMLElement>(null);
  const [copyNote, setCopyNote] = useState<string | undefined>();
  const copy = async () => {
    setCopyNote((await copyOrSelect(props.value, ref.current)) ? 'Copied.' : `Clipboard copy unavailable. The ${props.what} is selected: copy it by hand before you leave this tab.`);
  };
  return (
    <div class="callout" role="region" aria-label={props.region}>
      <p class="callout-title">
        <strong>Copy this {props.what} now. It will not be shown again.</strong>
      </p>
      <div class="secret-row">
        <code ref={ref} class="secret" tabIndex={0} data-testid={props.testId}>
          {props.value}
        </code>
        <button type="button" class="primary" onClick={copy}>
          Copy
        </button>
      </div>
      {props.children}
      {copyNote ? (
        <p role="status" class="copy-note">
          {copyNote}
        </p>
      ) : null}
    </div>
  );
}
