import { z } from "zod";
import { FAILURE_CLASSES } from "../failure/failure-class.js";
import { didYouMean } from "../pipeline/did-you-mean.js";
import { parseDuration } from "../pipeline/duration.js";
import type { IssueParams } from "../pipeline/schema.js";
import { BLOCKED_ACTIONS, HealAction, parseActionName } from "./actions.js";
import type { Environment } from "./environment.js";
import { INCIDENT_KINDS, PROBLEM_TYPES } from "./incident.js";
import { POLICY_NAMES } from "./policies/policy.js";

/**
 * The `.pitstop/policy.yml` schema (zod 4). Every key is optional: what a section leaves out
 * comes from the defaults of its environment (default-policy.ts). Objects are strict so a typo is
 * an issue with a did-you-mean rather than a setting silently ignored. No transforms: durations
 * and names are checked here and converted by policy-file.ts.
 */

type Ctx = z.core.$RefinementCtx;
function report(ctx: Ctx, message: string, params: IssueParams = {}, path: (string | number)[] = []): void {
  ctx.addIssue({ code: "custom", message, params: { ...params }, path });
}

const Duration = z.union([z.string(), z.number()]).superRefine((v, ctx) => {
  const d = parseDuration(v);
  if (!d.ok) report(ctx, d.message);
});

const PositiveDuration = Duration.superRefine((v, ctx) => {
  const d = parseDuration(v);
  if (d.ok && d.ms <= 0) report(ctx, "must be greater than 0");
});

/** An action the environment may run: one of the catalog, never a globally blocked one. */
const ActionName = z.string().superRefine((name, ctx) => {
  const parsed = parseActionName(name);
  if (parsed.kind === "blocked") {
    report(ctx, `\`${name}\` is globally blocked (${BLOCKED_ACTIONS[parsed.name]}): pitstop refuses it in every environment, so it cannot be allowed`, {
      hint: "remove it from this list",
    });
  } else if (parsed.kind === "unknown") {
    report(ctx, parsed.message, { hint: parsed.hint });
  }
});

/** `deny` also takes globally blocked names (already refused, so listing them changes nothing). */
const DenyName = z.string().superRefine((name, ctx) => {
  const parsed = parseActionName(name);
  if (parsed.kind === "unknown") report(ctx, parsed.message, { hint: parsed.hint });
  else if (name === HealAction.noop) {
    report(ctx, "`noop` cannot be denied: it is what the shield falls back to when every other action is masked", {
      hint: "remove it from `deny`",
    });
  }
});

const RULE_KEYS: readonly string[] = [...PROBLEM_TYPES, "default"];

function ruleKeyHint(key: string): string {
  const close = didYouMean(key, RULE_KEYS);
  if (close !== null) return `did you mean \`${close}\`?`;
  return `use an incident kind (${INCIDENT_KINDS.join(", ")}), a failure class (${FAILURE_CLASSES.join(", ")}) or \`default\``;
}

function isPlainMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

// `when`: zod skips a refinement once the value has issues; this one runs anyway, so that a bad
// key and a bad list under it are reported together.
const always = { when: (payload: { value: unknown }) => isPlainMap(payload.value) };

const RulesSchema = z.record(z.string(), z.array(ActionName).min(1)).superRefine((rules, ctx) => {
  for (const key of Object.keys(rules)) {
    if (!RULE_KEYS.includes(key)) {
      report(ctx, `unknown incident kind or failure class \`${key}\``, { hint: ruleKeyHint(key), target: "key" }, [key]);
    }
  }
}, always);

const Probability = z.number().min(0).max(1);

/** prod never explores (DESIGN.md §6): a file that says otherwise is wrong, not silently overridden. */
const ProdEpsilon = Probability.superRefine((epsilon, ctx) => {
  if (epsilon > 0) report(ctx, `prod never explores: epsilon must be 0, got ${epsilon}`, { hint: "set `epsilon: 0` (or leave it out); explore in dev" });
});

function environmentPolicyInput(environment: Environment) {
  return z.strictObject({
    policy: z.enum(POLICY_NAMES as [string, ...string[]]).optional().describe("Which policy chooses among the permitted actions."),
    q_learning: z
      .strictObject({
        alpha: z.number().gt(0, { error: "alpha (the learning rate) must be greater than 0" }).max(1).optional(),
        gamma: Probability.optional(),
        epsilon: (environment === "prod" ? ProdEpsilon : Probability).optional(),
        seed: z.int().min(0).max(4294967295).optional(),
      })
      .optional(),
    allow: z.array(ActionName).optional().describe("Actions this environment may run; omitted = every catalog action."),
    deny: z.array(DenyName).optional().describe("Actions this environment never runs (wins over `allow`)."),
    require_approval: z.array(ActionName).optional().describe("Actions that wait for a human approval."),
    budgets: z
      .strictObject({
        retries_per_target_signature: z.int().min(0).optional(),
        backoff: Duration.optional(),
        window: PositiveDuration.optional(),
      })
      .optional(),
    cooldown: Duration.optional().describe("Minimum time between two runs of the same action on the same target."),
    circuit_breaker: z.strictObject({ max_actions: z.int().min(1).optional(), window: PositiveDuration.optional() }).optional(),
    escalate_after: z.strictObject({ heals: z.int().min(1).optional(), window: PositiveDuration.optional() }).optional(),
    rules: RulesSchema.optional(),
  });
}
export type EnvironmentPolicyInput = z.infer<ReturnType<typeof environmentPolicyInput>>;

// A section may be empty (`dev:` with nothing under it): that environment keeps its defaults.
export const PolicyFileInput = z.strictObject({
  dev: environmentPolicyInput("dev").nullable().optional(),
  stage: environmentPolicyInput("stage").nullable().optional(),
  prod: environmentPolicyInput("prod").nullable().optional(),
});
export type PolicyFileInput = z.infer<typeof PolicyFileInput>;
