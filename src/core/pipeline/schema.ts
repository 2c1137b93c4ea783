import { z } from "zod";
import { FAILURE_CLASSES } from "../failure/failure-class.js";
import { parseCondition } from "./condition.js";
import { suggestionHint } from "./did-you-mean.js";
import { parseDuration } from "./duration.js";
import { checkWorkspacePath } from "./workspace-path.js";

/**
 * The pipeline file schema (zod 4). Objects are strict so that a typo is an error, not a silently
 * ignored key. Leaf checks (durations, paths, names, `if:` syntax) are refinements so that they are
 * reported together with structural problems; checks that span jobs live in compile-full.ts.
 * No transforms: the same schema exports a JSON Schema for editors.
 */

export const JOB_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const AGENT_KIND = /^[a-z][a-z0-9-]*$/;
export const STAGE_KINDS = ["lint", "test", "build", "security", "deploy", "report"] as const;
export type StageKind = (typeof STAGE_KINDS)[number];

/** Extra facts a refinement passes to the issue mapper (zod-issues.ts). */
export interface IssueParams {
  hint?: string;
  target?: "key" | "value";
  offset?: number;
}

type Ctx = z.core.$RefinementCtx;
function report(ctx: Ctx, message: string, params: IssueParams = {}, path: (string | number)[] = []): void {
  ctx.addIssue({ code: "custom", message, params: { ...params }, path });
}

const Scalar = z.union([z.string(), z.number(), z.boolean()]);

function oneOrMany<T extends z.ZodType>(item: T) {
  return z.union([item, z.array(item)]);
}

function durationSchema(what: string, mustBePositive: boolean) {
  return z.union([z.string(), z.number()]).superRefine((v, ctx) => {
    const d = parseDuration(v);
    if (!d.ok) report(ctx, d.message);
    else if (mustBePositive && d.ms <= 0) report(ctx, `${what} must be greater than 0`);
  });
}

function workspacePath(what: string) {
  return z.string().superRefine((p, ctx) => {
    const problem = checkWorkspacePath(p, what);
    if (problem !== null) report(ctx, problem);
  });
}

export const EnvSchema = z
  .record(
    z.string().regex(ENV_NAME, { error: "invalid variable name: use letters, digits and `_`, not starting with a digit" }),
    Scalar,
  )
  .describe("Environment variables; numbers and booleans are stored as strings.");

const SecretName = z.string().regex(SECRET_NAME, {
  error: "invalid secret name: use letters, digits and `_`, not starting with a digit (like `NPM_TOKEN`)",
});
const Glob = workspacePath("glob");
const GlobList = oneOrMany(Glob);

const StepSchema = z.union([
  z.string().min(1, { error: "a step must not be empty" }),
  z.strictObject({
    name: z.string().min(1).optional().describe("Display name; defaults to the start of `run`."),
    run: z.string().min(1, { error: "`run` must not be empty" }).describe("Shell command(s) to run."),
    env: EnvSchema.optional(),
    "working-directory": workspacePath("working-directory").optional(),
  }),
]);

const ConditionText = z.union([z.string(), z.boolean()]).superRefine((v, ctx) => {
  if (typeof v === "boolean") return;
  const r = parseCondition(v);
  if (!r.ok) report(ctx, `invalid \`if\` expression: ${r.message}`, { offset: r.offset });
});

const MatrixEntry = z.record(z.string(), Scalar, {
  error: (iss) => (iss.code === "invalid_type" && iss.expected === "record" ? "each entry must be a map of axis: value" : undefined),
});
export const MatrixSchema = z
  .object({
    include: z.array(MatrixEntry).optional().describe("Combinations to add, or values to add to matching combinations."),
    exclude: z.array(MatrixEntry).optional().describe("Partial combinations to remove."),
  })
  .catchall(z.array(Scalar).min(1, { error: "a matrix axis must list at least one value" }));

const FailureClassName = z.string().superRefine((s, ctx) => {
  if (!(FAILURE_CLASSES as readonly string[]).includes(s)) {
    report(ctx, `unknown failure class \`${s}\``, { hint: suggestionHint(s, FAILURE_CLASSES, 20) });
  }
});

const BackoffSchema = z.union([
  durationSchema("backoff", false),
  z.strictObject({
    base: durationSchema("backoff.base", false).optional(),
    factor: z.number().min(1).optional(),
    max: durationSchema("backoff.max", false).optional(),
  }),
]);

export const RetryRuleInput = z.strictObject({
  class: oneOrMany(FailureClassName).optional().describe("Failure classes this rule matches; omitted = any."),
  exit_status: z.union([z.int(), z.array(z.int()), z.literal("*")]).optional().describe("Exit codes; `*` or omitted = any."),
  signal: oneOrMany(z.string().regex(/^(sig)?[a-z][a-z0-9]*$/i, { error: "signals are names like `SIGKILL` or `KILL`" }))
    .optional()
    .describe("Signals (SIGKILL, KILL); omitted = any."),
  limit: z.int().min(0).max(10),
  backoff: BackoffSchema.optional(),
});

export const JobSchema = z.strictObject({
  agent: z
    .string()
    .regex(AGENT_KIND, { error: "an agent kind is lowercase letters, digits and `-` (like `shell` or `test`)" })
    .optional()
    .describe("Stage kind that runs the job (agent.<kind>); default `shell`."),
  steps: z.array(StepSchema).optional(),
  needs: oneOrMany(z.string()).optional().describe("Jobs that must finish first."),
  if: ConditionText.optional().describe("Run condition, e.g. `success() && branch == 'main'`."),
  strategy: z.strictObject({ matrix: MatrixSchema }).optional(),
  timeout: durationSchema("timeout", true).optional(),
  retry: z.union([z.int().min(0).max(10), z.array(RetryRuleInput)]).optional(),
  "continue-on-error": z.boolean().optional(),
  env: EnvSchema.optional(),
  secrets: oneOrMany(SecretName).optional(),
  reports: z.strictObject({ junit: GlobList }).optional(),
  artifacts: GlobList.optional(),
  concurrency: z.string().min(1).optional().describe("Group name: one running job per group across the run."),
  "working-directory": workspacePath("working-directory").optional(),
  sandbox: z.boolean().optional(),
  network: z.boolean().optional(),
  with: z.record(z.string(), z.unknown()).optional().describe("Settings for stage agents."),
});
export type JobInput = z.infer<typeof JobSchema>;
export type StepInput = z.infer<typeof StepSchema>;
export type RetryRuleInput = z.infer<typeof RetryRuleInput>;

function checkStageKind(kind: string, ctx: Ctx, target: "key" | "value", path: (string | number)[] = []): void {
  if (!(STAGE_KINDS as readonly string[]).includes(kind)) {
    report(ctx, `unknown stage \`${kind}\`: valid stages are ${STAGE_KINDS.join(", ")}`, { hint: suggestionHint(kind, STAGE_KINDS), target }, path);
  }
}

const StageEntry = z.union([
  z.string().superRefine((s, ctx) => checkStageKind(s, ctx, "value")),
  z.record(z.string(), z.union([z.record(z.string(), z.unknown()), z.null()])).superRefine((m, ctx) => {
    const keys = Object.keys(m);
    if (keys.length !== 1) report(ctx, "a stage with options is a map with exactly one key, like `{lint: {command: npm run lint}}`");
    for (const k of keys) checkStageKind(k, ctx, "key", [k]);
  }),
]);

export function stageKindOf(entry: z.infer<typeof StageEntry>): string {
  return typeof entry === "string" ? entry : (Object.keys(entry)[0] ?? "");
}

export const ShortSchema = z.strictObject({
  stages: z
    .array(StageEntry)
    .min(1, { error: "`stages` must list at least one stage" })
    .superRefine(
      (entries, ctx) => {
        const seen = new Set<string>();
        entries.forEach((e: unknown, i) => {
          // Entries may be invalid here (see `when`): read them leniently.
          const kind = typeof e === "string" ? e : e !== null && typeof e === "object" ? Object.keys(e)[0] : undefined;
          if (kind === undefined) return;
          if (seen.has(kind)) report(ctx, `stage \`${kind}\` appears more than once: each stage runs once`, {}, [i]);
          seen.add(kind);
        });
      },
      // Run even when another entry is invalid, so a duplicate is reported with the other problems.
      { when: (payload) => Array.isArray(payload.value) },
    )
    .describe("Stages in order: a kind name or `{kind: {options}}`."),
  retry_on_failure: z.boolean().optional().describe("Retry transient failures once; default false."),
  notify_on_success: z.boolean().optional().describe("Default false."),
  deploy_environment: z.string().min(1).optional().describe('Default "dev".'),
});
export type ShortInput = z.infer<typeof ShortSchema>;

/** The root as validated first: blocks are checked separately so one bad job does not hide another. */
export const RootSchema = z.strictObject({
  name: z.string().min(1).optional(),
  env: EnvSchema.optional(),
  jobs: z.record(z.string(), z.unknown(), { error: (iss) => (iss.code === "invalid_type" ? "`jobs` must be a map of job name: job" : undefined) }).optional(),
  pipeline: z.unknown().optional(),
});

/** The whole file, for editors (`pitstop schema`). */
export const PipelineFileSchema = z
  .strictObject({
    name: z.string().min(1).optional().describe("Pipeline name, for display."),
    env: EnvSchema.optional(),
    jobs: z.record(z.string().regex(JOB_NAME), JobSchema).optional().describe("Full form: jobs by name."),
    pipeline: ShortSchema.optional().describe("Short form: a sequence of stages."),
  })
  .describe("pitstop pipeline file: use either `jobs:` (full form) or `pipeline:` (short form).");
