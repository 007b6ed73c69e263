import { durationFlag } from './duration-flag.js';
import { EXIT, ExitError } from './exit-error.js';

const TOKENS = /^(\d+(?:\.\d+)?)([km]?)-?tokens?$/i;
const COST = /^\$(\d+(?:\.\d+)?)$/;
/** A character no duration (ms, s, m, h) has: "5bananas" is no budget at all, not a bad time. */
const NOT_A_DURATION = /[^\d.\smsh]/i;

/**
 * `--budget 50k-tokens`, `--budget '$0.20'`, `--budget 5m`, or several at once separated by
 * commas (`50k-tokens,$0.20`): what the task may spend. Each limit given replaces the agent's own.
 */
export type BudgetLimits = { tokens?: number; cost?: number; timeMs?: number };

export function budgetFlag(value: string): BudgetLimits {
  const budget: BudgetLimits = {};
  for (const part of value.split(',').map((piece) => piece.trim()).filter(Boolean)) {
    const tokens = TOKENS.exec(part);
    const cost = COST.exec(part);
    if (tokens) {
      const count = Math.round(Number(tokens[1]) * (tokens[2]!.toLowerCase() === 'k' ? 1_000 : tokens[2]!.toLowerCase() === 'm' ? 1_000_000 : 1));
      if (count < 1) throw bad(part);
      budget.tokens = count;
    } else if (cost) {
      const dollars = Number(cost[1]);
      if (!(dollars > 0)) throw bad(part);
      budget.cost = dollars;
    } else if (/^\d/.test(part) && !NOT_A_DURATION.test(part)) {
      budget.timeMs = durationFlag('--budget', part, { positive: true, example: '5m' });
    } else {
      throw bad(part);
    }
  }
  if (Object.keys(budget).length === 0) throw bad(value);
  return budget;
}

function bad(part: string): ExitError {
  return new ExitError(
    `--budget: "${part}" is not a budget\n  fix: tokens (50k-tokens), dollars ('$0.20', quoted for the shell) or time (5m); several at once with commas: 50k-tokens,'$0.20'`,
    EXIT.usage,
  );
}
