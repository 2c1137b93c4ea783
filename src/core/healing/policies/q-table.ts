import { HEAL_ACTIONS, type HealAction } from "../actions.js";
import { PROBLEM_TYPES } from "../incident.js";
import { qValue, type QEntry, type QLearningState } from "./q-learning.js";

/** The seeds' show_qtable as data: one row per problem type seen, one cell per catalog action. */
export interface QTableView {
  actions: readonly HealAction[];
  rows: Array<{ problem: string; cells: Array<{ action: HealAction } & QEntry>; best: HealAction | null }>;
}

function rank(problem: string): number {
  const i = (PROBLEM_TYPES as readonly string[]).indexOf(problem);
  return i < 0 ? PROBLEM_TYPES.length : i;
}

/** Rows in the order problem types are declared (incident kinds, then failure classes); `best` = highest trained Q. */
export function qTable(state: QLearningState): QTableView {
  const problems = Object.keys(state.table).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const rows = problems.map((problem) => {
    const cells = HEAL_ACTIONS.map((action) => ({ action, ...qValue(state, problem, action) }));
    const trained = cells.filter((c) => c.n > 0);
    const best = trained.reduce<(typeof cells)[number] | null>((m, c) => (m === null || c.q > m.q ? c : m), null);
    return { problem, cells, best: best?.action ?? null };
  });
  return { actions: HEAL_ACTIONS, rows };
}
