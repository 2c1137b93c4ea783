import type { PlanJob, RetryRule } from "./plan.js";
import { stageKindOf, type ShortInput } from "./schema.js";

/**
 * The short form (the seed design): `pipeline: { stages: [...] }` becomes one job per stage, each
 * waiting for the previous one. Stage agents decide what to run, so the jobs have no steps.
 */

/** `retry_on_failure: true`: one more try for the transient failure classes. */
export function shortFormRetry(): RetryRule {
  return {
    classes: ["test_failure", "flaky_test", "timeout", "infra", "agent_lost", "oom"],
    exitCodes: [],
    signals: [],
    limit: 1,
    backoff: { baseMs: 1000, factor: 2, maxMs: 30_000 },
  };
}

export function compileShort(input: ShortInput, env: Record<string, string>): PlanJob[] {
  const shared = {
    notify_on_success: input.notify_on_success ?? false,
    deploy_environment: input.deploy_environment ?? "dev",
  };
  let previous: string | null = null;
  return input.stages.map((entry) => {
    const kind = stageKindOf(entry);
    const options = typeof entry === "string" ? {} : (entry[kind] ?? {});
    // The report stage reports on failures too, so it runs whatever happened before it.
    const always = kind === "report";
    const job: PlanJob = {
      id: kind,
      name: kind,
      kind,
      needs: previous === null ? [] : [previous],
      condition: always ? { kind: "call", fn: "always" } : null,
      conditionText: always ? "always()" : null,
      steps: [],
      env: { ...env },
      secrets: [],
      timeoutMs: null,
      retry: input.retry_on_failure ? [shortFormRetry()] : [],
      continueOnError: false,
      reports: { junit: [] },
      artifacts: [],
      concurrency: null,
      workingDirectory: null,
      sandbox: false,
      network: false,
      matrix: null,
      with: { ...options, ...shared },
    };
    previous = kind;
    return job;
  });
}
