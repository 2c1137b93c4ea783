import { z } from "zod";
import { FAILURE_CLASSES } from "../failure/failure-class.js";

/**
 * The ExecutionPlan: what the orchestrator runs and what agents receive. Self-contained (agents
 * never see YAML) and JSON-serialisable, so it can cross the bus and be stored with the run.
 */

/** A parsed `if:` expression. Evaluated by the scheduler (core/run) when the job becomes ready. */
export type Condition =
  | { kind: "call"; fn: "success" | "failure" | "always" | "cancelled" }
  | { kind: "not"; expr: Condition }
  | { kind: "and" | "or"; left: Condition; right: Condition }
  | { kind: "compare"; op: "==" | "!="; left: Operand; right: Operand }
  | { kind: "truthy"; operand: Operand };
export type Operand =
  | { kind: "env"; name: string }
  | { kind: "branch" }
  | { kind: "literal"; value: string | number | boolean | null };

export const OperandSchema: z.ZodType<Operand> = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("env"), name: z.string() }),
  z.object({ kind: z.literal("branch") }),
  z.object({ kind: z.literal("literal"), value: z.union([z.string(), z.number(), z.boolean(), z.null()]) }),
]);
export const ConditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.object({ kind: z.literal("call"), fn: z.enum(["success", "failure", "always", "cancelled"]) }),
    z.object({ kind: z.literal("not"), expr: ConditionSchema }),
    z.object({ kind: z.enum(["and", "or"]), left: ConditionSchema, right: ConditionSchema }),
    z.object({ kind: z.literal("compare"), op: z.enum(["==", "!="]), left: OperandSchema, right: OperandSchema }),
    z.object({ kind: z.literal("truthy"), operand: OperandSchema }),
  ]),
);

export const RetryRuleSchema = z.object({
  /** Failure classes this rule matches; empty = any class. */
  classes: z.array(z.enum(FAILURE_CLASSES as [string, ...string[]])),
  /** Exit codes this rule matches; empty = any. `"*"` in YAML compiles to []. */
  exitCodes: z.array(z.number().int()),
  /** Signals this rule matches (e.g. SIGKILL); empty = any. */
  signals: z.array(z.string()),
  /** How many retries this rule grants. */
  limit: z.number().int().min(0),
  /** Delay before the retry: base * factor^(n-1), capped at maxMs. */
  backoff: z.object({ baseMs: z.number().int().min(0), factor: z.number().min(1), maxMs: z.number().int().min(0) }),
});
export type RetryRule = z.infer<typeof RetryRuleSchema>;

export const PlanStepSchema = z.object({
  name: z.string(),
  run: z.string(),
  env: z.record(z.string(), z.string()),
  /** Relative to the run's workspace; validated not to escape it. */
  workingDirectory: z.string().nullable(),
});
export type PlanStep = z.infer<typeof PlanStepSchema>;

export const PlanJobSchema = z.object({
  /** Unique within the plan; matrix expansions get `name[k=v,…]`. */
  id: z.string(),
  /** Display name (`test (node=20)`). */
  name: z.string(),
  /** Stage kind: which agent topic (`agent.<kind>`) runs it. `shell` runs the steps as given. */
  kind: z.string(),
  /** Ids of the jobs this one waits for (after matrix expansion). */
  needs: z.array(z.string()),
  condition: ConditionSchema.nullable(),
  /** Source text of `if:` for display. */
  conditionText: z.string().nullable(),
  steps: z.array(PlanStepSchema),
  env: z.record(z.string(), z.string()),
  /** Names of secrets; values are resolved by the agent, never carried on the bus or stored. */
  secrets: z.array(z.string()),
  timeoutMs: z.number().int().positive().nullable(),
  retry: z.array(RetryRuleSchema),
  continueOnError: z.boolean(),
  reports: z.object({ junit: z.array(z.string()) }),
  artifacts: z.array(z.string()),
  concurrency: z.string().nullable(),
  workingDirectory: z.string().nullable(),
  sandbox: z.boolean(),
  network: z.boolean(),
  matrix: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).nullable(),
  /** Stage-specific settings for stage agents (lint.command, deploy environment, …). */
  with: z.record(z.string(), z.unknown()),
});
export type PlanJob = z.infer<typeof PlanJobSchema>;

export const ExecutionPlanSchema = z.object({
  version: z.literal(1),
  /** `name:` from the pipeline file, for display; absent when the file has none. */
  name: z.string().optional(),
  /** Path of the pipeline file as the user named it (for messages). */
  pipelineFile: z.string(),
  form: z.enum(["short", "full"]),
  /** Pipeline-level env, already merged into each job's env; kept for display. */
  env: z.record(z.string(), z.string()),
  jobs: z.array(PlanJobSchema),
});
export type ExecutionPlan = z.infer<typeof ExecutionPlanSchema>;

/** A problem found in a pipeline file. Data, never thrown (DESIGN.md §5). */
export interface PipelineIssue {
  file: string;
  line: number;
  column: number;
  /** Dotted path into the document, e.g. `jobs.test.needs[0]`. */
  path: string;
  message: string;
  /** What to do about it, when we can say ("did you mean `needs`?"). */
  hint?: string;
}

export function formatIssue(i: PipelineIssue): string {
  const where = `${i.file}:${i.line}:${i.column}`;
  return `${where}: ${i.path || "(root)"}: ${i.message}${i.hint ? ` (${i.hint})` : ""}`;
}
