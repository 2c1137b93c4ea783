import { ErrorCode, PitstopError } from "../errors.js";
import { parseCondition } from "./condition.js";
import { parseDuration } from "./duration.js";
import { matrixEnv, matrixJobId, matrixJobName, substituteMatrix, type Combination } from "./matrix.js";
import type { Condition, PlanJob, PlanStep, RetryRule } from "./plan.js";
import type { JobInput, RetryRuleInput, StepInput } from "./schema.js";

/**
 * Turns one validated job (and one matrix combination) into a PlanJob. Runs only on input that
 * passed every check, so a failed parse here is a bug, not a user error.
 */

const DEFAULT_BACKOFF = { baseMs: 1000, factor: 2, maxMs: 30_000 } as const;
/** `backoff: 2s` is a base; the cap is looser than the default so a long base still doubles once. */
const SHORTHAND_BACKOFF_MAX_MS = 60_000;

function ms(d: string | number | undefined, fallback: number): number {
  if (d === undefined) return fallback;
  const r = parseDuration(d);
  if (!r.ok) throw new PitstopError(ErrorCode.INTERNAL, `unchecked duration reached the compiler: ${r.message}`);
  return r.ms;
}

function list<T>(v: T | T[] | undefined): T[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function backoffOf(b: RetryRuleInput["backoff"]): RetryRule["backoff"] {
  if (b === undefined) return { ...DEFAULT_BACKOFF };
  if (typeof b === "string" || typeof b === "number") {
    const base = ms(b, DEFAULT_BACKOFF.baseMs);
    return { baseMs: base, factor: 2, maxMs: Math.max(SHORTHAND_BACKOFF_MAX_MS, base) };
  }
  return {
    baseMs: ms(b.base, DEFAULT_BACKOFF.baseMs),
    factor: b.factor ?? DEFAULT_BACKOFF.factor,
    maxMs: ms(b.max, DEFAULT_BACKOFF.maxMs),
  };
}

/** `kill` and `SIGKILL` are one signal: the plan always carries the `SIG` form. */
function normalizeSignal(s: string): string {
  const up = s.toUpperCase();
  return up.startsWith("SIG") ? up : `SIG${up}`;
}

export function retryRules(retry: JobInput["retry"]): RetryRule[] {
  if (retry === undefined || retry === 0) return [];
  if (typeof retry === "number") return [{ classes: [], exitCodes: [], signals: [], limit: retry, backoff: { ...DEFAULT_BACKOFF } }];
  return retry.map((r) => ({
    classes: [...new Set(list(r.class))],
    exitCodes: r.exit_status === "*" ? [] : [...new Set(list(r.exit_status))],
    signals: [...new Set(list(r.signal).map(normalizeSignal))],
    limit: r.limit,
    backoff: backoffOf(r.backoff),
  }));
}

export function conditionOf(cond: JobInput["if"]): { condition: Condition | null; conditionText: string | null } {
  if (cond === undefined) return { condition: null, conditionText: null };
  if (typeof cond === "boolean") return { condition: { kind: "truthy", operand: { kind: "literal", value: cond } }, conditionText: String(cond) };
  const r = parseCondition(cond);
  if (!r.ok) throw new PitstopError(ErrorCode.INTERNAL, `unchecked condition reached the compiler: ${r.message}`);
  return { condition: r.condition, conditionText: cond.trim() };
}

/** Default step name: the first non-empty line of the command, cut at 40 characters. */
export function defaultStepName(run: string): string {
  const line = run.split("\n").find((l) => l.trim() !== "")?.trim() ?? run.trim();
  return line.slice(0, 40).trimEnd();
}

function envOf(env: Record<string, string | number | boolean> | undefined, c: Combination | null): Record<string, string> {
  return Object.fromEntries(Object.entries(env ?? {}).map(([k, v]) => [k, substituteMatrix(String(v), c)]));
}

function stepOf(step: StepInput, c: Combination | null): PlanStep {
  const s = typeof step === "string" ? { run: step } : step;
  const run = substituteMatrix(s.run, c);
  const wd = s["working-directory"];
  return {
    name: s.name === undefined ? defaultStepName(run) : substituteMatrix(s.name, c),
    run,
    env: "env" in s ? envOf(s.env, c) : {},
    workingDirectory: wd === undefined ? null : substituteMatrix(wd, c),
  };
}

export interface BuildJobInput {
  name: string;
  job: JobInput;
  combination: Combination | null;
  needs: string[];
  pipelineEnv: Record<string, string>;
}

export function buildJob({ name, job, combination: c, needs, pipelineEnv }: BuildJobInput): PlanJob {
  const wd = job["working-directory"];
  return {
    id: c === null ? name : matrixJobId(name, c),
    name: c === null ? name : matrixJobName(name, c),
    kind: job.agent ?? "shell",
    needs,
    ...conditionOf(job.if),
    steps: (job.steps ?? []).map((s) => stepOf(s, c)),
    env: { ...pipelineEnv, ...(c === null ? {} : matrixEnv(c)), ...envOf(job.env, c) },
    secrets: [...new Set(list(job.secrets))],
    timeoutMs: job.timeout === undefined ? null : ms(job.timeout, 0),
    retry: retryRules(job.retry),
    continueOnError: job["continue-on-error"] ?? false,
    reports: { junit: list(job.reports?.junit) },
    artifacts: list(job.artifacts),
    concurrency: job.concurrency ?? null,
    workingDirectory: wd === undefined ? null : substituteMatrix(wd, c),
    sandbox: job.sandbox ?? false,
    network: job.network ?? false,
    matrix: c,
    with: { ...(job.with ?? {}) },
  };
}
