import { copyFile, mkdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { createInterface, type Interface } from "node:readline";
import { ErrorCode, PitstopError } from "../../core/errors.js";
import { parseCsv } from "../../core/healing/csv.js";
import { DEFAULT_DATA_QUALITY_RULES, rulesForDataset } from "../../core/healing/data-quality.js";
import { ENVIRONMENTS, isEnvironment, type Environment } from "../../core/healing/environment.js";
import { FeedbackValue } from "../../core/healing/feedback.js";
import { didYouMean } from "../../core/pipeline/did-you-mean.js";
import type { App } from "../../app/create-app.js";
import { EXTRA_SCENARIOS, SCENARIOS, type Scenario, type ScenarioContext } from "../../app/demo/demo-scenarios.js";
import { createHealLoopBeside } from "../../app/heal-setup.js";
import { startHealDispatch, sourceName } from "../../app/heal-dispatch.js";
import { environmentOption, person } from "../heal-options.js";
import { createHealFeed, type HealFeed } from "../../app/heal-feed.js";
import { recordFeedback } from "../../app/record-feedback.js";
import { openDeployTarget } from "../../deploy/adapters/create-deploy-target.js";
import { createDataQualityCheck } from "../../healing/detectors/data-quality-check.js";
import type { DetectorEvent } from "../../healing/detectors/detector-event.js";
import { createFaultInjector } from "../../healing/inject/create-fault-injector.js";
import { anomalyKindFor } from "../../healing/inject/force-anomaly.js";
import type { HealLoop } from "../../healing/loop/create-heal-loop.js";
import type { HealEvent, HealOutcome } from "../../healing/loop/heal-types.js";
import type { OrchestratorEvent } from "../../orchestrator/events.js";
import type { RunRecord } from "../../store/port.js";
import type { CliIO } from "../io.js";
import { describeOutcome } from "./decision-view.js";

/** The seeds' `--fail-type` values. */
export const FAIL_TYPES = ["crash", "latency", "overload", "false-alarm", "flaky", "bad-release"] as const;
export type FailType = (typeof FAIL_TYPES)[number];

/** Faults injected into the app the run deployed, after the run: the demo's scenarios. */
const DEPLOYED_FAULTS: Readonly<Record<Exclude<FailType, "flaky">, string>> = {
  crash: "crash",
  latency: "latency",
  overload: "overload",
  "false-alarm": "false alarm",
  "bad-release": "bad release",
};

export interface RunHealingFlags {
  heal?: boolean;
  healEnv?: string;
  feedback?: boolean;
  failType?: string;
  forceAnomaly?: boolean;
  dataset?: string;
}

export interface RunHealingPlan {
  environment: Environment;
  feedback: boolean;
  failType: FailType | null;
  /** Absolute path of the `--dataset` to break (with `--force-anomaly`). */
  dataset: string | null;
  /** Job env the faults need (`--fail-type flaky`, hooks of the deployed app). */
  env: Record<string, string>;
}

function isFailType(s: string): s is FailType {
  return (FAIL_TYPES as readonly string[]).includes(s);
}

/**
 * Checks the healing flags of `pitstop run` before anything runs; null when healing is off.
 * `--heal-env`, `--feedback`, `--fail-type` and `--force-anomaly` turn it on as `--heal` does.
 */
export async function planRunHealing(flags: RunHealingFlags, cwd: string, dataDir: string): Promise<RunHealingPlan | null> {
  if (!flags.heal && flags.healEnv === undefined && !flags.feedback && flags.failType === undefined && !flags.forceAnomaly && flags.dataset === undefined) return null;
  const environment = environmentOption("--heal-env", flags.healEnv ?? "dev");
  let failType: FailType | null = null;
  if (flags.failType !== undefined) {
    if (!isFailType(flags.failType)) {
      const guess = didYouMean(flags.failType, FAIL_TYPES);
      throw new PitstopError(ErrorCode.USAGE, `--fail-type ${JSON.stringify(flags.failType)}: unknown fault${guess ? ` (did you mean \`${guess}\`?)` : ""}; use one of ${FAIL_TYPES.join(", ")}`);
    }
    failType = flags.failType;
  }
  if (flags.forceAnomaly && flags.dataset === undefined) throw new PitstopError(ErrorCode.USAGE, "--force-anomaly needs --dataset <csv>: the dataset to break (a copy is broken; the file stays as it is)");
  if (flags.dataset !== undefined && !flags.forceAnomaly) throw new PitstopError(ErrorCode.USAGE, "--dataset is only used with --force-anomaly: add --force-anomaly, or drop --dataset");
  let dataset: string | null = null;
  if (flags.dataset !== undefined) {
    dataset = path.resolve(cwd, flags.dataset);
    const st = await stat(dataset).catch(() => null);
    if (st === null) throw new PitstopError(ErrorCode.USAGE, `--dataset ${flags.dataset}: no such file (looked at ${dataset})`);
    if (!st.isFile()) throw new PitstopError(ErrorCode.USAGE, `--dataset ${flags.dataset}: not a file; pass one CSV file, e.g. datasets/student_scores.csv`);
  }
  const env: Record<string, string> = {};
  if (failType !== null) env["PITSTOP_FAULTS"] = "1";
  if (failType === "flaky") {
    const marker = path.join(dataDir, "faults", `flaky-${Date.now()}.marker`);
    await mkdir(path.dirname(marker), { recursive: true });
    Object.assign(env, (await createFaultInjector().flakyTest(marker)).env);
  }
  return { environment, feedback: flags.feedback ?? false, failType, dataset, env };
}

export interface HealingReport {
  event: HealEvent;
  outcome: HealOutcome;
  feedback: FeedbackValue | null;
}

export interface RunHealing {
  onEvent(event: OrchestratorEvent): void;
  /** Waits for the run's incidents, injects the deployed-app fault or the data anomaly, and returns every outcome. */
  afterRun(run: RunRecord): Promise<HealingReport[]>;
  /** Stops the healer beside the run (after the run's incidents are settled). */
  close(): Promise<void>;
}

/** The seeds' prompt: y/n per decision; anything else asks again; end of input skips. */
function createPrompt(io: CliIO): { ask(question: string): Promise<FeedbackValue | null>; close(): void } {
  let rl: Interface | null = null;
  let lines: AsyncIterator<string> | null = null;
  return {
    async ask(question) {
      rl ??= createInterface({ input: io.stdin, terminal: false });
      lines ??= rl[Symbol.asyncIterator]();
      for (let tries = 0; tries < 3; tries++) {
        io.stderr.write(`${question} (y/n) `);
        const next = await lines.next();
        if (next.done) {
          io.stderr.write("\n(no answer: no feedback recorded)\n");
          return null;
        }
        const a = next.value.trim().toLowerCase();
        if (a === "y" || a === "yes") return FeedbackValue.accept;
        if (a === "n" || a === "no") return FeedbackValue.reject;
        io.stderr.write("please answer y or n\n");
      }
      return null;
    },
    close() {
      rl?.close();
    },
  };
}

/**
 * The data-quality check on a broken copy of the dataset (or on the dataset as it is, when none of
 * the seed columns is there to break), with the rules that apply to that file (rulesForDataset).
 */
async function anomalyEvent(plan: RunHealingPlan & { dataset: string }, workDir: string, subject: string): Promise<DetectorEvent | null> {
  const dir = path.join(workDir, `anomaly-${Date.now()}`);
  await mkdir(dir, { recursive: true });
  const name = path.basename(plan.dataset);
  const copy = path.join(dir, name);
  const { header } = parseCsv(await readFile(plan.dataset, "utf8"));
  const kind = anomalyKindFor(header);
  if (kind === null) await copyFile(plan.dataset, copy);
  else await createFaultInjector().forceAnomaly(plan.dataset, kind, copy);
  let event: DetectorEvent | null = null;
  const rules = rulesForDataset(DEFAULT_DATA_QUALITY_RULES, name, header);
  const check = createDataQualityCheck({ environment: plan.environment, target: subject, emit: (e) => (event ??= e), datasetsDir: dir, rules });
  await check.checkNow();
  await check.stop();
  return event;
}

/** Healing beside `pitstop run`: the pipeline's failures go to the loop, then the injected faults. */
export async function startRunHealing(input: { plan: RunHealingPlan; app: App; io: CliIO; workspace: string; out: NodeJS.WritableStream }): Promise<RunHealing> {
  const { plan, app, io, out } = input;
  const loop: HealLoop = await createHealLoopBeside(app, { agentEnv: io.env });
  const prompt = plan.feedback ? createPrompt(io) : null;
  const reports: HealingReport[] = [];
  const by = person({ io }, undefined);
  const report = async (event: HealEvent, outcome: HealOutcome): Promise<void> => {
    out.write(`${describeOutcome(event, outcome)}\n`);
    let feedback: FeedbackValue | null = null;
    if (prompt && outcome.decisionId) {
      const action = outcome.steps.at(-1)?.action ?? "?";
      feedback = await prompt.ask(`accept ${action} for this problem?`);
      if (feedback) {
        await recordFeedback(app.store, { decisionId: outcome.decisionId, by, verdict: feedback, note: "pitstop run --feedback", at: app.now() });
        out.write(`recorded ${feedback} for decision ${outcome.decisionId}\n`);
      }
    }
    reports.push({ event, outcome, feedback });
  };
  // Every detection goes on the bus (heal.events.<env>) and comes back settled by this process's
  // healer (or, with Redis, another healer of that environment).
  const dispatch = startHealDispatch({ bus: app.bus, store: app.store.healing, loop, log: app.log, environments: ENVIRONMENTS, source: sourceName("run"), onProblem: (text) => out.write(`pitstop: ${text}\n`) });
  const feed: HealFeed = createHealFeed({ store: app.store, heal: dispatch.heal, environment: plan.environment, log: app.log, now: app.now, onOutcome: report });
  const subject = `${plan.environment}/${path.basename(input.workspace)}`;
  return {
    onEvent: feed.onEvent,
    async afterRun(run) {
      await feed.idle();
      const workDir = path.join(app.config.dataDir, "faults");
      if (plan.dataset !== null) {
        const event = await anomalyEvent({ ...plan, dataset: plan.dataset }, workDir, subject);
        if (event === null) out.write(`healing: the data-quality check found nothing wrong in ${plan.dataset}\n`);
        else await report(event, await dispatch.heal(event));
      }
      if (plan.failType !== null && plan.failType !== "flaky") {
        const scenario = [...SCENARIOS, ...EXTRA_SCENARIOS].find((s) => s.name === DEPLOYED_FAULTS[plan.failType as Exclude<FailType, "flaky">])!;
        const event = await injectIntoDeployed(scenario, { app, run, plan, workDir, io, out });
        if (event) await report(event, await dispatch.heal(event));
      }
      return reports;
    },
    async close() {
      prompt?.close();
      await dispatch.stop();
    },
  };
}

async function injectIntoDeployed(
  scenario: Scenario,
  c: { app: App; run: RunRecord; plan: RunHealingPlan; workDir: string; io: CliIO; out: NodeJS.WritableStream },
): Promise<HealEvent | null> {
  const deploy = (await c.app.store.stages.listStageReports(c.run.id)).filter((r) => r.kind === "deploy").at(-1);
  const env = deploy?.data["environment"];
  const url = deploy?.data["url"];
  if (deploy === undefined || typeof env !== "string" || typeof url !== "string" || !isEnvironment(env)) {
    c.out.write(`healing: --fail-type ${c.plan.failType}: run #${c.run.number} deployed nothing, so there is no app to inject it into (add a deploy stage)\n`);
    return null;
  }
  const target = await openDeployTarget({ dataDir: c.app.config.dataDir, environment: env, env: c.io.env });
  const ctx: ScenarioContext = {
    store: c.app.store, runTests: () => Promise.reject(new Error("no test runs here")), target, url, injector: createFaultInjector(),
    datasetsDir: path.join(c.run.workspace, "datasets"), workDir: c.workDir, environment: env, subject: `${env}/${path.basename(c.run.workspace)}`,
  };
  c.out.write(`injecting ${c.plan.failType} into ${env} (${url})\n`);
  const injected = await scenario.inject(ctx);
  c.out.write(`fault: ${injected.fault}\n`);
  return injected.event;
}
