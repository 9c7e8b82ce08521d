import { useState } from 'preact/hooks';
import type { ApiKey, UsageTotal } from './api';
import { BudgetBar } from './budget-bar';
import { ExposureNote, ExposurePanel } from './exposure';
import { count, statusLabel, truncated, TYPE_BADGE, when } from './format';
import { concurrencyText, tokenText } from './powers';
import { RotationNote, RotationPanel } from './rotation-summary';
import { USAGE_DAYS, UsagePanel } from './usage-panel';

interface Props {
  apiKey: ApiKey;
  usage?: UsageTotal;
  busy: boolean;
  onEdit: () => void;
  onPause: () => void;
  onResume: () => void;
  onRotate: () => void;
  onRevoke: () => void;
  onReportExposed: () => void;
  onDelete: () => void;
  onActivity: () => void;
}

/** The columns of a key's row: its details row spans them all. */
const COLUMNS = 9;

/**
 * One row of the keys list and its actions: Edit (a dialog), Pause / Resume, Rotate and Revoke
 * (at once), Report exposed and Delete (a popup), Activity, and Usage, which opens a details row
 * beneath with the key's charts (and, for an exposed key, what it did since; for a key rotated on
 * schedule, its setting, next run and last failure). The Automator key is Protected: never paused, revoked or deleted here. A paused key
 * reads "Paused" in words, its settings kept. A key with a budget shows its bar under its usage.
 */
export function KeyRow(props: Props) {
  const { apiKey: key, usage, busy } = props;
  const live = key.status === 'active' || key.status === 'disabled';
  const editable = key.status !== 'revoked' && !key.replacedBy;
  const rotatable = key.status !== 'revoked' && !key.replacedBy;
  const revocable = live && key.type !== 'system';
  // Any key that still works can be reported; the Automator key is rotated by the report.
  const reportable = live && !key.replacedBy;
  const pausable = key.status === 'active' && key.type !== 'system' && !key.replacedBy;
  const [open, setOpen] = useState(false);
  return (
    <>
      <tr class={`row-${key.status}`} data-key-id={key.id}>
        <td>
          <span class="key-name">{key.name}</span> <span class={`badge badge-${key.type}`}>{TYPE_BADGE[key.type] ?? key.type}</span>
          {Object.keys(key.metadata).length > 0 ? (
            <span class="metadata muted small" aria-label="Metadata">
              {Object.entries(key.metadata)
                .map(([name, value]) => `${name}=${value}`)
                .join(' · ')}
            </span>
          ) : null}
        </td>
        <td>
          <code>{truncated(key.start)}</code>
        </td>
        <td>{when(key.createdAt)}</td>
        <td>{when(key.expiresAt, 'Never')}</td>
        <td>{when(key.lastUsedAt, 'Never')}</td>
        <td class="usage">
          {usage ? `${count(usage.requests, 'request')} · ${count(usage.credits, 'credit')}` : '—'}
          <BudgetBar apiKey={key} />
        </td>
        <td class="rate">
          {key.rateLimit.limit} per {key.rateLimit.windowSeconds} s
          {key.tokenLimit ? <span class="limit small">{tokenText(key.tokenLimit)}</span> : null}
          {key.maxConcurrent !== null ? <span class="limit small">at most {concurrencyText(key.maxConcurrent)}</span> : null}
        </td>
        <td>
          <span class={`status status-${key.status}`}>{statusLabel(key.status)}</span>
          {key.graceUntil && key.status === 'active' ? <span class="muted small"> until {when(key.graceUntil)}</span> : null}
          <ExposureNote apiKey={key} />
          <RotationNote apiKey={key} />
        </td>
        <td class="row-actions">
          {editable ? (
            <button type="button" class="link" disabled={busy} onClick={props.onEdit} aria-label={`Edit ${key.name}`}>
              Edit
            </button>
          ) : null}
          {pausable ? (
            <button type="button" class="link" disabled={busy} onClick={props.onPause} aria-label={`Pause ${key.name}`}>
              Pause
            </button>
          ) : null}
          {key.status === 'disabled' ? (
            <button type="button" class="link" disabled={busy} onClick={props.onResume} aria-label={`Resume ${key.name}`}>
              Resume
            </button>
          ) : null}
          {rotatable ? (
            <button type="button" class="link" disabled={busy} onClick={props.onRotate} aria-label={`Rotate ${key.name}`}>
              Rotate
            </button>
          ) : null}
          {revocable ? (
            <button type="button" class="link" disabled={busy} onClick={props.onRevoke} aria-label={`Revoke ${key.name}`}>
              Revoke
            </button>
          ) : null}
          {reportable ? (
            <button type="button" class="link danger" disabled={busy} onClick={props.onReportExposed} aria-label={`Report exposed: ${key.name}`}>
              Report exposed
            </button>
          ) : null}
          {key.type === 'system' ? (
            <span class="protected" title="The Automator key is a system key: it can be rotated, never deleted.">
              Protected
            </span>
          ) : (
            <button type="button" class="link danger" disabled={busy} onClick={props.onDelete} aria-label={`Delete ${key.name}`}>
              Delete
            </button>
          )}
          <button type="button" class="link" onClick={props.onActivity} aria-label={`Activity of ${key.name}`}>
            Activity
          </button>
          <button type="button" class="link" aria-expanded={open} onClick={() => setOpen(!open)} aria-label={`Usage of ${key.name}`}>
            Usage
          </button>
        </td>
      </tr>
      {open ? (
        <tr class="key-details" data-details-of={key.id}>
          <td colSpan={COLUMNS}>
            <ExposurePanel apiKey={key} />
            <RotationPanel apiKey={key} />
            <UsagePanel keyId={key.id} heading={`Usage of ${key.name}, last ${USAGE_DAYS} days`} level={3} />
          </td>
        </tr>
      ) : null}
    </>
  );
}
