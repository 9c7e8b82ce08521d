import type { ApiKey } from './api';
import { when } from './format';

type Rotation = NonNullable<ApiKey['rotation']>;

/** Where a scheduled rotation delivers: the secret's ARN, or the owner reached privately. */
export function rotationTarget(rotation: Rotation): string {
  return 'secretsManagerArn' in rotation.deliverTo ? `Secrets Manager ${rotation.deliverTo.secretsManagerArn}` : `privately to ${rotation.deliverTo.owner}`;
}

/**
 * A key's rotation on schedule (issue 25 point 2), read-only: set through the API or the CLI.
 * In the row, one short line (and a warning when the last run could not deliver); in the details
 * row, the full setting. Text only: Preact escapes it, and the reason never holds a key value.
 */
export function RotationNote({ apiKey }: { apiKey: ApiKey }) {
  const rotation = apiKey.rotation;
  if (!rotation) return null;
  return (
    <span class="rotation-note muted small" data-rotation-of={apiKey.id}>
      {' '}
      Rotates every {rotation.every}
      {rotation.lastFailure ? (
        <span class="rotation-failed">
          {' '}
          · last rotation failed
        </span>
      ) : null}
    </span>
  );
}

export function RotationPanel({ apiKey }: { apiKey: ApiKey }) {
  const rotation = apiKey.rotation;
  if (!rotation) return null;
  return (
    <section class="rotation-panel" aria-label={`Rotation of ${apiKey.name}`}>
      <h3>Rotation on schedule</h3>
      <dl>
        <dt>Every</dt>
        <dd>{rotation.every}</dd>
        <dt>Overlap</dt>
        <dd>{rotation.overlap}</dd>
        <dt>Delivers to</dt>
        <dd>
          <code>{rotationTarget(rotation)}</code>
        </dd>
        <dt>Next run</dt>
        <dd>{when(rotation.nextRotationAt)}</dd>
        {rotation.lastFailure ? (
          <>
            <dt>Last failure</dt>
            <dd class="rotation-failed">
              {when(rotation.lastFailure.at)}: {rotation.lastFailure.reason} The old key kept working; the job tries again a day later.
            </dd>
          </>
        ) : null}
      </dl>
    </section>
  );
}
