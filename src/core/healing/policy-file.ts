import { isMap, isScalar, LineCounter, parseDocument } from "yaml";
import type { Document } from "yaml";
import { coerceError } from "../errors.js";
import { parseDuration } from "../pipeline/duration.js";
import type { PipelineIssue } from "../pipeline/plan.js";
import { createLocator } from "../pipeline/yaml-locate.js";
import { sortIssues, toIssue, yamlIssues } from "../pipeline/yaml-issues.js";
import { describeValue, validate } from "../pipeline/zod-issues.js";
import { isHealAction, RISKY_ACTIONS, type HealAction } from "./actions.js";
import { defaultPolicyFile } from "./default-policy.js";
import { ENVIRONMENTS, type Environment } from "./environment.js";
import type { EnvironmentPolicy, PolicyFile } from "./environment-policy.js";
import type { PolicyName, RulesTable } from "./policies/policy.js";
import { PolicyFileInput, type EnvironmentPolicyInput } from "./policy-schema.js";

/**
 * `.pitstop/policy.yml` → PolicyFile, or every problem in the file at once with file:line:column,
 * the way loadPipeline reports pipeline files (same locator, same zod issue mapping). Pure: the
 * caller reads the file; a missing file means `defaultPolicyFile()`.
 */

export interface PolicyLoadResult {
  /** null iff `issues` is non-empty. */
  policy: PolicyFile | null;
  issues: PipelineIssue[];
}

function ms(value: string | number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const d = parseDuration(value);
  return d.ok ? d.ms : fallback;
}

/** Validated names are catalog actions; this narrows the type and drops repeats, keeping order. */
function actions(names: readonly string[] | undefined, fallback: readonly HealAction[]): HealAction[] {
  if (names === undefined) return [...fallback];
  return [...new Set(names.filter(isHealAction))];
}

function mergeRules(base: RulesTable, input: Record<string, string[]> | undefined): RulesTable {
  const out: Record<string, readonly HealAction[]> = { ...base };
  for (const [key, list] of Object.entries(input ?? {})) out[key] = actions(list, []);
  return out as RulesTable;
}

/** One section over its environment's defaults: a key left out keeps its default. */
function resolveEnvironment(environment: Environment, input: EnvironmentPolicyInput, d: EnvironmentPolicy): EnvironmentPolicy {
  const q = input.q_learning ?? {};
  const b = input.budgets ?? {};
  const listed = actions(input.require_approval, d.requireApproval);
  return {
    environment,
    policy: (input.policy as PolicyName | undefined) ?? d.policy,
    qLearning: { alpha: q.alpha ?? d.qLearning.alpha, gamma: q.gamma ?? d.qLearning.gamma, epsilon: q.epsilon ?? d.qLearning.epsilon, seed: q.seed ?? d.qLearning.seed },
    allow: actions(input.allow, d.allow),
    deny: actions(input.deny, d.deny),
    // DESIGN.md §6: risky actions need an approval in prod, whatever the file says; it may only add more.
    requireApproval: environment === "prod" ? [...new Set([...RISKY_ACTIONS, ...listed])] : listed,
    budgets: {
      retriesPerTargetSignature: b.retries_per_target_signature ?? d.budgets.retriesPerTargetSignature,
      backoffMs: ms(b.backoff, d.budgets.backoffMs),
      windowMs: ms(b.window, d.budgets.windowMs),
    },
    cooldownMs: ms(input.cooldown, d.cooldownMs),
    circuitBreaker: {
      maxActions: input.circuit_breaker?.max_actions ?? d.circuitBreaker.maxActions,
      windowMs: ms(input.circuit_breaker?.window, d.circuitBreaker.windowMs),
    },
    escalateAfter: {
      heals: input.escalate_after?.heals ?? d.escalateAfter.heals,
      windowMs: ms(input.escalate_after?.window, d.escalateAfter.windowMs),
    },
    rules: mergeRules(d.rules, input.rules),
  };
}

export function loadPolicyFile(text: string, options: { file: string }): PolicyLoadResult {
  const file = options.file;
  const lineCounter = new LineCounter();
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter, keepSourceTokens: true, prettyErrors: false, uniqueKeys: true, merge: true });
  } catch (e) {
    return { policy: null, issues: [{ file, line: 1, column: 1, path: "", message: `cannot parse YAML: ${coerceError(e).message}` }] };
  }
  const locator = createLocator(doc, lineCounter, text);
  const syntax = yamlIssues(doc, locator, file, { what: "policy file" }).issues;
  if (syntax.length > 0) return { policy: null, issues: sortIssues(syntax) };
  // An empty file (or one with only comments) asks for nothing: every environment keeps its defaults.
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) return { policy: defaultPolicyFile(), issues: [] };
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    return { policy: null, issues: [{ file, line: 1, column: 1, path: "", message: `cannot read YAML: ${coerceError(e).message}`, hint: "aliases that expand too much are refused" }] };
  }
  if (!isMap(doc.contents)) {
    const message = `the top level must be a map with \`dev:\`, \`stage:\` and/or \`prod:\`, got ${describeValue(raw)}`;
    return { policy: null, issues: [toIssue({ path: [], message }, locator, file)] };
  }
  const checked = validate(PolicyFileInput, raw, []);
  if (!checked.ok) return { policy: null, issues: sortIssues(checked.drafts.map((d) => toIssue(d, locator, file))) };
  const defaults = defaultPolicyFile();
  const policy = Object.fromEntries(
    ENVIRONMENTS.map((env) => [env, resolveEnvironment(env, checked.data[env] ?? {}, defaults[env])]),
  ) as Record<Environment, EnvironmentPolicy>;
  return { policy, issues: [] };
}
