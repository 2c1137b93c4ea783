import { readFile, rm } from "node:fs/promises";
import type { ExecOutcome } from "../../executor/port.js";
import { runCommand } from "../run-command.js";
import type { JobContext } from "../run-job.js";
import { describeExit } from "../run-steps.js";
import type { LinterPlan } from "./detect-linters.js";
import type { LintRun } from "./lint-finding.js";
import { parseLintOutput } from "./parse-lint-output.js";

export interface LinterResult {
  tool: string;
  /** What it reported (paths as the tool gave them); empty when it failed or has no format. */
  runs: LintRun[];
  outcome: ExecOutcome;
  /** Why the linter's result cannot be trusted (not installed, crashed, unreadable output); null when fine. */
  failure: string | null;
  notFound: boolean;
  /** False when nothing read the tool's findings (no format): its exit code is the verdict. */
  parsed: boolean;
}

// What npx, sh and friends say when the program is not there.
const NOT_FOUND = [/could not determine executable to run/, /npx canceled due to missing packages/, /command not found/, /: not found$/];
// Lines that explain nothing: npm's own chatter, banners, stack frames, blank lines.
const NOISE = [/^npm (?:warn|notice|error) (?:Unknown user config|A complete log|Log files)/, /^\s*at\s/, /^Oops! Something went wrong/, /^ESLint: \d/, /^\s*$/];
const MAX_EXPLANATION = 400;

/** Runs one linter through the job's executor and reads what it found. Never throws for a tool's failure. */
export async function runLinter(ctx: JobContext, plan: LinterPlan, used: { bytes: number }): Promise<LinterResult> {
  // The report's directory is the SARIF file's, which the handler has created.
  if (plan.reportFile !== null) await rm(plan.reportFile, { force: true }).catch(() => undefined);
  // Machine output (JSON, tsc lines) stays out of the log; the findings are logged readably instead.
  const machine = plan.format !== null && plan.reportFile === null;
  const res = await runCommand(ctx, plan.command, { label: plan.tool, env: { NO_COLOR: "1", ...plan.env }, capture: true, quiet: machine }, used);
  if (machine) for (const l of res.stderr) ctx.logs.push("stderr", l);
  const base = { tool: plan.tool, outcome: res.outcome, runs: [] as LintRun[], notFound: false, parsed: plan.format !== null };
  const o = res.outcome;
  try {
    if (o.cancelled || o.timedOut || o.signal !== null) return { ...base, failure: `${plan.tool} ${describeExit(o, ctx.job.timeoutMs).replace(/[()]/g, "")}` };
    if (o.spawnError !== null) return { ...base, failure: `${plan.tool} could not start: ${o.spawnError}` };
    const lines = [...res.stderr, ...res.stdout];
    if (o.exitCode === 127 || (o.exitCode !== 0 && res.stderr.some((l) => NOT_FOUND.some((p) => p.test(l))))) {
      return { ...base, notFound: true, failure: plan.notFound ?? notFoundMessage(plan.command, res.stderr) };
    }
    const code = o.exitCode ?? 0;
    if (plan.crashed(code)) return { ...base, failure: `${plan.tool} failed (exit ${code}): ${explain(lines)}` };
    if (plan.format === null) return { ...base, failure: null };
    const text = plan.reportFile !== null ? await readFile(plan.reportFile, "utf8").catch(() => "") : res.stdout.join("\n");
    const parsed = parseLintOutput(plan.format, text, plan.project);
    const found = parsed.runs.reduce((n, r) => n + r.findings.length, 0);
    if (code !== 0 && (parsed.problem !== null || found === 0)) {
      return { ...base, failure: `${plan.tool} failed (exit ${code}) and reported no findings: ${explain(lines)}` };
    }
    if (parsed.problem !== null) return { ...base, failure: parsed.problem };
    return { ...base, runs: parsed.runs, failure: null };
  } finally {
    if (plan.reportFile !== null) await rm(plan.reportFile, { force: true }).catch(() => undefined);
  }
}

/**
 * For a custom command: name the program that is missing, as the shell reported it
 * (`sh: 1: x: not found`, `bash: x: command not found`), else the command's first word (`npx x` → x).
 */
function notFoundMessage(command: string, stderr: readonly string[]): string {
  const reported = stderr.map((l) => /([^\s:]+): (?:command )?not found$/.exec(l.trim())?.[1]).find((p) => p !== undefined);
  const words = command.trim().split(/\s+/);
  const first = words[0] === "npx" ? (words.slice(1).find((w) => !w.startsWith("-")) ?? "npx") : (words[0] ?? command);
  return `${reported ?? first} not found: install it (add it to devDependencies) or fix lint.command`;
}

/** The few lines of a failed tool's output that say why. */
function explain(lines: readonly string[]): string {
  const useful = lines.map((l) => l.trim()).filter((l) => !NOISE.some((p) => p.test(l)));
  if (useful.length === 0) return "no output";
  const text = useful.slice(0, 3).join(" ");
  return text.length <= MAX_EXPLANATION ? text : `${text.slice(0, MAX_EXPLANATION - 1)}…`;
}
