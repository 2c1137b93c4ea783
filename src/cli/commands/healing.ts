import { stat } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import type { Store } from "../../store/port.js";
import { LATEST_DEMO } from "./demo.js";
import { ErrorCode, PitstopError } from "../../core/errors.js";
import { ENVIRONMENTS, type Environment } from "../../core/healing/environment.js";
import { FeedbackValue } from "../../core/healing/feedback.js";
import { qTable, type QTableView } from "../../core/healing/policies/q-table.js";
import { recordFeedback } from "../../app/record-feedback.js";
import { table } from "../format.js";
import type { CommandContext } from "../io.js";
import { withStore } from "./inspect.js";
import { environmentOption, findDecision, person } from "../heal-options.js";


/** The seeds' show_qtable: learned value (and visit count) per problem type × action. */
export function renderQTable(view: QTableView): string {
  if (view.rows.length === 0) return "";
  const header = ["PROBLEM", ...view.actions, "BEST"];
  const rows = view.rows.map((r) => [r.problem, ...r.cells.map((c) => (c.n > 0 ? `${c.q.toFixed(2)} (${c.n})` : "·")), r.best ?? "-"]);
  return table([header, ...rows]);
}

export function registerHealingCommands(program: Command, ctx: CommandContext): void {
  program
    .command("qtable")
    .description("print the learned Q-table of an environment: value (visits) per failure type × action")
    .option("--env <env>", `environment (${ENVIRONMENTS.join(", ")})`, "stage")
    .option("--json", "print as JSON")
    .action(async (opts: { env: string; json?: boolean }) => {
      const env = environmentOption("--env", opts.env);
      const latest = await latestDemoDir(ctx);
      const printed = await withStore(ctx, (store) => printQTable(ctx, store, env, { json: opts.json ?? false, fallback: latest !== null }));
      if (printed || latest === null) return;
      // Nothing learned here, but each `pitstop demo` learns in its own data directory: show the newest.
      (opts.json ? ctx.io.stderr : ctx.io.stdout).write(`(nothing learned in ${ctx.globals().dataDir ?? ".pitstop"}; showing the last \`pitstop demo\`'s table, from ${LATEST_DEMO})\n`);
      await withStore({ ...ctx, globals: () => ({ ...ctx.globals(), dataDir: latest }) }, (store) => printQTable(ctx, store, env, { json: opts.json ?? false, fallback: false }));
    });

  program
    .command("feedback")
    .description("accept or reject a healing decision; stored beside its outcome, never folded into the reward")
    .argument("<decision>", "decision id or a prefix of at least 4 characters")
    .argument("<verdict>", "accept or reject")
    .option("--note <text>", "why")
    .option("--by <name>", "who gives it (default: $USER)")
    .action(async (ref: string, verdict: string, opts: { note?: string; by?: string }) => {
      if (verdict !== FeedbackValue.accept && verdict !== FeedbackValue.reject) {
        throw new PitstopError(ErrorCode.USAGE, `feedback verdict ${JSON.stringify(verdict)}: use accept or reject`);
      }
      const by = person(ctx, opts.by);
      await withStore(ctx, async (store) => {
        // An unknown ref goes to the store as typed: it answers DECISION_NOT_FOUND with the ref in it.
        const decisionId = (await findDecision(store, ref))?.id ?? ref;
        const record = await recordFeedback(store, { decisionId, by, verdict, note: opts.note ?? null, at: Date.now() });
        ctx.io.stdout.write(`recorded ${record.verdict} for decision ${decisionId} by ${by}\n`);
      });
    });
}

/** `.pitstop/demo/latest` when the default data directory is in use and a demo has run here; else null. */
async function latestDemoDir(ctx: CommandContext): Promise<string | null> {
  if (ctx.globals().dataDir !== undefined || ctx.io.env.PITSTOP_DATA_DIR !== undefined) return null;
  const latest = path.join(ctx.io.cwd, LATEST_DEMO);
  return (await stat(latest).then((s) => s.isDirectory(), () => false)) ? latest : null;
}

/**
 * Prints the environment's learned table; returns false, printing nothing, when nothing is learned
 * yet and `fallback` says the caller has another data directory to show.
 */
async function printQTable(ctx: CommandContext, store: Store, env: Environment, opts: { json: boolean; fallback: boolean }): Promise<boolean> {
  const stored = await store.healing.getPolicyState(env);
  if (!stored && opts.fallback) return false;
  if (opts.json) {
    ctx.io.stdout.write(`${JSON.stringify({ environment: env, version: stored?.version ?? 0, state: stored?.state ?? null, table: stored?.state.kind === "q-learning" ? qTable(stored.state) : null }, null, 2)}\n`);
  } else if (!stored) {
    ctx.io.stdout.write(`no learned values for ${env} yet: the table fills as healing decisions are verified\n`);
  } else if (stored.state.kind !== "q-learning") {
    ctx.io.stdout.write(`${env} uses the rules policy (state version ${stored.version}); it keeps no Q-table\n`);
  } else {
    const view = qTable(stored.state);
    ctx.io.stdout.write(view.rows.length === 0 ? `the ${env} Q-table is empty\n` : `Q-table of ${env} (version ${stored.version}); value (visits), · = never tried\n${renderQTable(view)}`);
  }
  return true;
}
