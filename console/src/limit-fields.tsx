import type { ComponentChildren } from 'preact';
import { formatBudget } from '../../lambdas/core/budget';
import { BUDGET_PERIODS, type BudgetPeriod } from '../../lambdas/core/types';
import type { ApiKey } from './api';
import { NumberField, Reason } from './edit-key-fields';
import { budgetCredits, MAX_CONCURRENT, MAX_TOKEN_WINDOW, MAX_TOKENS, type Draft } from './key-edit';
import { budgetRefusal, concurrencyRefusal, concurrencyText, tokenLimitRefusal, tokenText, type Ceiling } from './powers';

/**
 * The Edit dialog's optional limits (issue 21): a budget, a token limit and a concurrency cap, each
 * "none" or a value. What the signed-in actor may not set reads beside it in words, asked of the
 * authority rule (powers.ts → `widerAxes`): "none" when the actor itself is limited (no limit is
 * the widest of all), a value when it is wider than the actor's own.
 */
interface FieldProps {
  apiKey: ApiKey;
  draft: Draft;
  ceiling: Ceiling;
  set: (patch: Partial<Draft>) => void;
}

const PERIOD_WORDS: Record<BudgetPeriod, string> = { day: 'per day', week: 'per week', month: 'per month', total: 'in total' };
const CALENDAR = 'Periods are UTC calendar days (from 00:00), weeks (from Monday) and months (from the 1st); a total never resets.';

const whole = (text: string) => (/^\d+$/.test(text.trim()) ? Number(text) : undefined);

/** "None" or "a value" as two radios; the value's inputs follow, disabled while "none" is chosen. */
function NoneOrValue(props: { name: string; on: boolean; noneText: string; valueText: string; noneRefused?: string; onChange: (on: boolean) => void; children: ComponentChildren }) {
  return (
    <>
      <label class="choice">
        <input type="radio" name={props.name} checked={!props.on} disabled={!!props.noneRefused} onChange={() => props.onChange(false)} />
        <span>
          {props.noneText}
          <Reason text={props.noneRefused} />
        </span>
      </label>
      <label class="choice">
        <input type="radio" name={props.name} checked={props.on} onChange={() => props.onChange(true)} />
        <span>{props.valueText}</span>
      </label>
      {props.children}
    </>
  );
}

/** The hint under a limit: the actor's own limit (or the API's bounds), then why the value is refused. */
function Hint({ id, text, refused }: { id: string; text: string; refused: string | undefined }) {
  return (
    <p class="muted small" id={id}>
      {text}
      {refused ? <strong class="field-error"> This is {refused}.</strong> : null}
    </p>
  );
}

export function BudgetField({ apiKey, draft, ceiling, set }: FieldProps) {
  const own = ceiling.actor?.budget;
  const noneRefused = apiKey.budget === null ? undefined : budgetRefusal(ceiling, null);
  const credits = budgetCredits(draft.budgetCredits);
  const refused = draft.budgetOn && credits !== undefined ? budgetRefusal(ceiling, { credits, period: draft.budgetPeriod }) : undefined;
  return (
    <fieldset>
      <legend>Budget</legend>
      <NoneOrValue name="edit-budget" on={draft.budgetOn} noneText="No budget (the account balance only)" valueText="At most" noneRefused={noneRefused} onChange={(budgetOn) => set({ budgetOn })}>
        <div class="pair">
          <NumberField id="edit-budget-credits" label="Credits" value={draft.budgetCredits} min={0.000001} step="any" on={draft.budgetOn} invalid={Boolean(refused)} hint="edit-budget-hint" onValue={(budgetCredits) => set({ budgetCredits })} />
          <label class="inline">
            Period
            <select id="edit-budget-period" disabled={!draft.budgetOn} value={draft.budgetPeriod} aria-invalid={refused ? 'true' : undefined} aria-describedby="edit-budget-hint" onChange={(e) => set({ budgetPeriod: (e.target as HTMLSelectElement).value as BudgetPeriod })}>
              {BUDGET_PERIODS.map((period) => (
                <option value={period} key={period}>
                  {PERIOD_WORDS[period]}
                </option>
              ))}
            </select>
          </label>
        </div>
      </NoneOrValue>
      <Hint
        id="edit-budget-hint"
        text={`${own ? `Your key’s own budget is ${formatBudget(own)}: no budget, more credits or a shorter period is refused.` : 'Calls over the budget are refused until the period resets; the account balance still applies.'} ${CALENDAR}`}
        refused={refused}
      />
    </fieldset>
  );
}

export function TokenLimitField({ apiKey, draft, ceiling, set }: FieldProps) {
  const own = ceiling.actor?.tokenLimit;
  const noneRefused = apiKey.tokenLimit === null ? undefined : tokenLimitRefusal(ceiling, null);
  const [tokens, windowSeconds] = [whole(draft.tokens), whole(draft.tokenWindow)];
  const refused = draft.tokensOn && tokens && windowSeconds ? tokenLimitRefusal(ceiling, { tokens, windowSeconds }) : undefined;
  return (
    <fieldset>
      <legend>Token limit</legend>
      <NoneOrValue name="edit-tokens" on={draft.tokensOn} noneText="No token limit" valueText="At most" noneRefused={noneRefused} onChange={(tokensOn) => set({ tokensOn })}>
        <div class="pair">
          <NumberField id="edit-tokens" label="Tokens" value={draft.tokens} min={1} max={MAX_TOKENS} on={draft.tokensOn} invalid={Boolean(refused)} hint="edit-tokens-hint" onValue={(tokens) => set({ tokens })} />
          <NumberField id="edit-token-window" label="per window of (seconds)" value={draft.tokenWindow} min={1} max={MAX_TOKEN_WINDOW} on={draft.tokensOn} invalid={Boolean(refused)} hint="edit-tokens-hint" onValue={(tokenWindow) => set({ tokenWindow })} />
        </div>
      </NoneOrValue>
      <Hint
        id="edit-tokens-hint"
        text={own ? `Your key’s own limit is ${tokenText(own)}: a wider one is refused.` : 'Settled usage tokens per window (up to 30 days); once reached, calls wait for the next window.'}
        refused={refused}
      />
    </fieldset>
  );
}

export function ConcurrencyField({ apiKey, draft, ceiling, set }: FieldProps) {
  const own = ceiling.actor?.maxConcurrent;
  const noneRefused = apiKey.maxConcurrent === null ? undefined : concurrencyRefusal(ceiling, null);
  const cap = whole(draft.maxConcurrent);
  const refused = draft.capOn && cap ? concurrencyRefusal(ceiling, cap) : undefined;
  return (
    <fieldset>
      <legend>Calls at once</legend>
      <NoneOrValue name="edit-cap" on={draft.capOn} noneText="No cap" valueText="At most" noneRefused={noneRefused} onChange={(capOn) => set({ capOn })}>
        <NumberField id="edit-max-concurrent" label="Calls in flight at once (streams included)" value={draft.maxConcurrent} min={1} max={MAX_CONCURRENT} on={draft.capOn} invalid={Boolean(refused)} hint="edit-cap-hint" onValue={(maxConcurrent) => set({ maxConcurrent })} />
      </NoneOrValue>
      <Hint id="edit-cap-hint" text={own !== undefined && own !== null ? `Your key’s own cap is ${concurrencyText(own)}: a higher one is refused.` : `At most ${MAX_CONCURRENT}.`} refused={refused} />
    </fieldset>
  );
}
