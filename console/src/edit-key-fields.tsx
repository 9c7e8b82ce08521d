import type { ApiKey } from './api';
import { localValue, type Draft } from './key-edit';
import { allModelsRefusal, expiryRefusal, modelRefusal, neverRefusal, rateRefusal, rateText, scopeRefusal, scopesFor, type Ceiling } from './powers';

/**
 * The Edit dialog's limit fields. Each shows what the signed-in actor may set: a choice wider than
 * the actor is disabled with its reason in words beside it, unless it is what the key holds now
 * (the API refuses a wider result either way, with 403, which the dialog shows).
 */
interface FieldProps {
  apiKey: ApiKey;
  draft: Draft;
  ceiling: Ceiling;
  set: (patch: Partial<Draft>) => void;
}

/**
 * A labelled number input of the dialog, described by its hint; `on: false` disables it (its
 * limit set to none) and it is required while on.
 */
export function NumberField(p: { id: string; label: string; value: string; min: number; max?: number; step?: string; on?: boolean; invalid: boolean; hint: string; onValue: (value: string) => void }) {
  const on = p.on ?? true;
  return (
    <label class="inline">
      {p.label}
      <input
        id={p.id}
        type="number"
        min={p.min}
        max={p.max}
        step={p.step}
        required={on}
        disabled={!on}
        value={p.value}
        aria-invalid={p.invalid ? 'true' : undefined}
        aria-describedby={p.hint}
        onInput={(e) => p.onValue((e.target as HTMLInputElement).value)}
      />
    </label>
  );
}

/** Why a choice is disabled, in words (never colour alone). */
export function Reason({ text, id }: { text: string | undefined; id?: string }) {
  return text ? (
    <span class="reason" id={id}>
      {' '}
      — {text}
    </span>
  ) : null;
}

export function ScopesField({ apiKey, draft, ceiling, set }: FieldProps) {
  const toggle = (scope: string, on: boolean) => set({ scopes: on ? [...draft.scopes, scope] : draft.scopes.filter((s) => s !== scope) });
  return (
    <fieldset>
      <legend>Scopes</legend>
      <div class="scopes">
        {scopesFor(apiKey.type).map((scope) => {
          const held = (apiKey.scopes as readonly string[]).includes(scope);
          const refused = held ? undefined : scopeRefusal(ceiling, scope);
          return (
            <label class="choice" key={scope}>
              <input type="checkbox" checked={draft.scopes.includes(scope)} disabled={!!refused} onChange={(e) => toggle(scope, (e.target as HTMLInputElement).checked)} />
              <span>
                <code>{scope}</code>
                <Reason text={refused} />
              </span>
            </label>
          );
        })}
      </div>
    </fieldset>
  );
}

export function ModelsField({ apiKey, draft, ceiling, set, catalog }: FieldProps & { catalog: string[] | undefined }) {
  const allRefused = apiKey.models === null ? undefined : allModelsRefusal(ceiling);
  const options = [...new Set([...(catalog ?? []), ...(apiKey.models ?? [])])].sort();
  const toggle = (model: string, on: boolean) => set({ models: on ? [...draft.models, model] : draft.models.filter((m) => m !== model) });
  return (
    <fieldset>
      <legend>Models</legend>
      <label class="choice">
        <input type="radio" name="edit-models" checked={draft.allModels} disabled={!!allRefused} onChange={() => set({ allModels: true })} />
        <span>
          Every model
          <Reason text={allRefused} />
        </span>
      </label>
      <label class="choice">
        <input type="radio" name="edit-models" checked={!draft.allModels} onChange={() => set({ allModels: false })} />
        <span>Only these models</span>
      </label>
      {catalog === undefined ? (
        <p class="muted small" aria-busy="true">
          Loading models…
        </p>
      ) : (
        <div class="scopes">
          {options.map((model) => {
            const refused = apiKey.models?.includes(model) ? undefined : modelRefusal(ceiling, model);
            return (
              <label class="choice" key={model}>
                <input
                  type="checkbox"
                  checked={!draft.allModels && draft.models.includes(model)}
                  disabled={draft.allModels || !!refused}
                  onChange={(e) => toggle(model, (e.target as HTMLInputElement).checked)}
                />
                <span>
                  <code>{model}</code>
                  <Reason text={refused} />
                </span>
              </label>
            );
          })}
        </div>
      )}
    </fieldset>
  );
}

export function RateLimitField({ draft, ceiling, set }: FieldProps) {
  const own = ceiling.actor?.rateLimit;
  const wanted = { limit: Number(draft.limit), windowSeconds: Number(draft.windowSeconds) };
  const refused = Number.isFinite(wanted.limit) && Number.isFinite(wanted.windowSeconds) && wanted.windowSeconds > 0 ? rateRefusal(ceiling, wanted) : undefined;
  return (
    <fieldset>
      <legend>Rate limit</legend>
      <div class="pair">
        <NumberField id="edit-rate-limit" label="Requests" value={draft.limit} min={1} max={1_000_000} invalid={Boolean(refused)} hint="edit-rate-hint" onValue={(limit) => set({ limit })} />
        <NumberField id="edit-rate-window" label="per window of (seconds)" value={draft.windowSeconds} min={1} max={86_400} invalid={Boolean(refused)} hint="edit-rate-hint" onValue={(windowSeconds) => set({ windowSeconds })} />
      </div>
      <p class="muted small" id="edit-rate-hint">
        {own ? `Your key’s own limit is ${rateText(own)}: a wider one is refused.` : 'Any limit up to 1000000 requests per window of up to a day.'}
        {refused ? <strong class="field-error"> This is {refused}.</strong> : null}
      </p>
    </fieldset>
  );
}

export function ExpiryField({ apiKey, draft, ceiling, set }: FieldProps) {
  const neverRefused = apiKey.expiresAt === null ? undefined : neverRefusal(ceiling);
  const chosen = draft.never || !draft.expiresAt ? undefined : `${draft.expiresAt}:00Z`;
  const refused = chosen && draft.expiresAt !== localValue(apiKey.expiresAt) ? expiryRefusal(ceiling, chosen) : undefined;
  return (
    <fieldset>
      <legend>Expires</legend>
      <label class="choice">
        <input type="radio" name="edit-expiry" checked={draft.never} disabled={!!neverRefused} onChange={() => set({ never: true })} />
        <span>
          Never
          <Reason text={neverRefused} />
        </span>
      </label>
      <label class="choice">
        <input type="radio" name="edit-expiry" checked={!draft.never} onChange={() => set({ never: false })} />
        <span>On this date and time (UTC)</span>
      </label>
      <input
        id="edit-expires-at"
        type="datetime-local"
        aria-label="Expiry date and time (UTC)"
        disabled={draft.never}
        value={draft.expiresAt}
        aria-invalid={refused ? 'true' : undefined}
        aria-describedby={refused ? 'edit-expiry-error' : undefined}
        onInput={(e) => set({ expiresAt: (e.target as HTMLInputElement).value, never: false })}
      />
      {refused ? (
        <p class="field-error small" id="edit-expiry-error">
          This is {refused}: the API refuses it.
        </p>
      ) : null}
    </fieldset>
  );
}
