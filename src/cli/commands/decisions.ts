import type { Command } from "commander";
import { createLogger, openStore } from "../../app/create-app.js";
import { createAppHealLoop } from "../../app/heal-setup.js";
import { loadConfig } from "../../config/config.js";
import { ErrorCode, isPitstopError, PitstopError } from "../../core/errors.js";
import { ENVIRONMENTS } from "../../core/healing/environment.js";
import type { HealLoop } from "../../healing/loop/create-heal-loop.js";
import type { IncidentStatus, Store } from "../../store/port.js";
import { ExitCode, type CommandContext } from "../io.js";
import { renderApproveOutcome, renderDecision, renderDecisionTable, renderIncidentTable, renderPending } from "./decision-view.js";
import { withStore } from "./inspect.js";
import { decisionNotFound, environmentOption, findDecision, limitOption, person } from "../heal-options.js";
import { registerQuarantineCommands } from "./quarantine.js";

const INCIDENT_STATUSES: readonly IncidentStatus[] = ["open", "healed", "failed", "escalated", "inconclusive"];

/** The heal loop over the data dir (store, policy.yml, deploy targets), logging to the data dir's pitstop.log. */
async function withHealLoop<T>(ctx: CommandContext, fn: (loop: HealLoop, store: Store) => Promise<T>): Promise<T> {
  const config = loadConfig({ cwd: ctx.io.cwd, env: ctx.io.env, flags: { dataDir: ctx.globals().dataDir } });
  const store = await openStore(config);
  const log = createLogger(config);
  try {
    const loop = await createAppHealLoop({ store, dataDir: config.dataDir, log, pipelines: null, agentEnv: ctx.io.env });
    return await fn(loop, store);
  } finally {
    await store.close();
    log.flush();
  }
}

async function approveCommand(ctx: CommandContext, ref: string, by: string): Promise<void> {
  await withHealLoop(ctx, async (loop, store) => {
    // An unknown ref goes to the loop as typed: it answers DECISION_NOT_FOUND with the ref in it.
    const id = (await findDecision(store, ref))?.id ?? ref;
    let outcome;
    try {
      outcome = await loop.approve(id, by);
    } catch (e) {
      // Said with the refusal's code (people and scripts tell "not yours to approve" from "no such decision").
      if (!isPitstopError(e) || (e.code !== ErrorCode.APPROVAL_INVALID && e.code !== ErrorCode.DECISION_NOT_FOUND)) throw e;
      ctx.io.stderr.write(`pitstop: approval refused (${e.code}): ${e.message}\n`);
      ctx.setExit(ExitCode.usage);
      return;
    }
    const approved = await store.healing.getDecision(id);
    const steps = await Promise.all(outcome.steps.map((s) => (s.decisionId ? store.healing.getDecision(s.decisionId) : Promise.resolve(null))));
    ctx.io.stdout.write(renderApproveOutcome(approved!, outcome, steps));
    // Approved but refused when it came to run (re-screened: cooldown, budget, no target…): not a success.
    if (outcome.steps[0]?.status === "refused") ctx.setExit(ExitCode.pipelineFailed);
  });
}

interface ListOptions {
  env?: string;
  pending?: boolean;
  limit: string;
  json?: boolean;
}

async function listDecisions(ctx: CommandContext, opts: ListOptions): Promise<void> {
  const environment = opts.env === undefined ? undefined : environmentOption("--env", opts.env);
  const limit = limitOption(opts.limit);
  await withStore(ctx, async (store) => {
    if (opts.pending) {
      const pending = (await store.healing.listPendingApprovals(environment)).slice(0, limit);
      if (opts.json) ctx.io.stdout.write(`${JSON.stringify(pending.map((p) => ({ ...p, approve: `pitstop approve ${p.decisionId}` })), null, 2)}\n`);
      else ctx.io.stdout.write(pending.length === 0 ? `no decision awaits an approval${environment ? ` in ${environment}` : ""}\n` : renderPending(pending, Date.now()));
      return;
    }
    const decisions = await store.healing.listDecisions({ ...(environment ? { environment } : {}), limit });
    if (opts.json) ctx.io.stdout.write(`${JSON.stringify(decisions, null, 2)}\n`);
    else ctx.io.stdout.write(decisions.length === 0 ? `no healing decisions${environment ? ` in ${environment}` : ""} yet: they are made when the heal loop handles an incident\n` : renderDecisionTable(decisions));
  });
}

/** `pitstop approve|decisions|decision|incidents|quarantine`: the healing loop's decisions, for people. */
export function registerDecisionCommands(program: Command, ctx: CommandContext): void {
  program
    .command("decisions")
    .description("list healing decisions, newest first; --pending: those awaiting an approval, with the command to approve each")
    .option("--env <env>", `only this environment (${ENVIRONMENTS.join(", ")})`)
    .option("--pending", "only decisions awaiting an approval (longest waiting first)")
    .option("-n, --limit <n>", "how many", "20")
    .option("--json", "print as JSON")
    .action((opts: ListOptions) => listDecisions(ctx, opts));

  program
    .command("decision")
    .description("explain a healing decision: candidates with estimates and counts, what was masked and why, explore or exploit, the rules' pick, outcome and feedback")
    .argument("<decision>", "decision id or a prefix of at least 4 characters")
    .option("--json", "print the decision, its incident and feedback as JSON")
    .action(async (ref: string, opts: { json?: boolean }) => {
      await withStore(ctx, async (store) => {
        const decision = await findDecision(store, ref);
        if (decision === null) throw decisionNotFound(ref);
        const [incident, feedback] = await Promise.all([store.healing.getIncident(decision.incidentId), store.healing.listFeedback(decision.id)]);
        ctx.io.stdout.write(opts.json ? `${JSON.stringify({ decision, incident, feedback }, null, 2)}\n` : renderDecision(decision, incident, feedback));
      });
    });

  program
    .command("approve")
    .description("approve a healing decision awaiting approval and run it now; the approver must not be its requester")
    .argument("<decision>", "decision id or a prefix of at least 4 characters (`pitstop decisions --pending`)")
    .option("--by <name>", "who approves (default: $USER)")
    .addHelpText("after", "\nExit codes: 0 approved and run (whatever the verdict), 1 approved but refused when it came to run, 2 approval refused or unknown decision, 3 internal error.")
    .action((ref: string, opts: { by?: string }) => approveCommand(ctx, ref, person(ctx, opts.by)));

  program
    .command("incidents")
    .description("list healing incidents, newest first")
    .option("--env <env>", `only this environment (${ENVIRONMENTS.join(", ")})`)
    .option("--status <status>", `only incidents with this status (${INCIDENT_STATUSES.join(", ")})`)
    .option("-n, --limit <n>", "how many", "20")
    .option("--json", "print as JSON")
    .action(async (opts: { env?: string; status?: string; limit: string; json?: boolean }) => {
      const environment = opts.env === undefined ? undefined : environmentOption("--env", opts.env);
      const limit = limitOption(opts.limit);
      const status = opts.status as IncidentStatus | undefined;
      if (status !== undefined && !INCIDENT_STATUSES.includes(status)) throw new PitstopError(ErrorCode.USAGE, `--status ${JSON.stringify(opts.status)}: use one of ${INCIDENT_STATUSES.join(", ")}`);
      await withStore(ctx, async (store) => {
        const incidents = await store.healing.listIncidents({ ...(environment ? { environment } : {}), ...(status ? { status } : {}), limit });
        if (opts.json) ctx.io.stdout.write(`${JSON.stringify(incidents, null, 2)}\n`);
        else ctx.io.stdout.write(incidents.length === 0 ? "no incidents match\n" : renderIncidentTable(incidents));
      });
    });

  registerQuarantineCommands(program, ctx);
}
