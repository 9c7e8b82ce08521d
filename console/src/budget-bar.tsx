import type { ApiKey } from './api';
import { credits, resetText } from './format';

type KeyBudget = NonNullable<ApiKey['budget']>;

const IN_PERIOD: Record<KeyBudget['period'], string> = { day: 'today (UTC)', week: 'this week', month: 'this month', total: 'in total' };

/** A budget in words: `40 % used`, `2 / 5 credits this month`, `resets Mon 8 Dec, 00:00 UTC`. */
export function budgetWords(budget: KeyBudget): { used: string; spent: string; reset: string; percent: number } {
  const ratio = budget.credits > 0 ? budget.spent / budget.credits : 1;
  const percent = Math.min(100, Math.floor(ratio * 100));
  const used = percent === 0 && budget.spent > 0 ? 'under 1 % used' : `${percent} % used`;
  return { used, spent: `${credits(budget.spent)} / ${credits(budget.credits)} credits ${IN_PERIOD[budget.period]}`, reset: resetText(budget.resetsAt), percent };
}

/**
 * A key's budget as a meter (issue 21): the native `<meter>` (role meter: its value, bounds and
 * text read out) beside the same numbers in words, so nothing rests on the bar's length or colour.
 */
export function BudgetBar({ apiKey }: { apiKey: ApiKey }) {
  const budget = apiKey.budget;
  if (!budget) return null;
  const words = budgetWords(budget);
  return (
    <div class="budget" data-testid="budget">
      <span class="budget-head">
        <span>Budget</span>
        <meter
          min={0}
          max={budget.credits}
          value={Math.min(budget.spent, budget.credits)}
          aria-label={`Budget of ${apiKey.name}`}
          aria-valuetext={`${words.used}: ${words.spent}, ${words.reset}`}
        />
        <strong>{words.used}</strong>
      </span>
      <span class="small">{words.spent}</span>
      <span class="small muted">{words.reset}</span>
    </div>
  );
}
