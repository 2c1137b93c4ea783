import { ErrorCode, PitstopError } from "../../core/errors.js";
import type { HealAction } from "../../core/healing/actions.js";
import type { EnvironmentPolicy } from "../../core/healing/environment-policy.js";
import type { ProblemType } from "../../core/healing/incident.js";
import { learnOutcome } from "../../core/healing/learn-outcome.js";
import type { Verdict } from "../../core/healing/verdict.js";
import type { HealingStore } from "../../store/port.js";

export interface LearnResult {
  trained: boolean;
  reward: number | null;
  version: number | null;
}

const isConflict = (e: unknown): boolean => e instanceof PitstopError && e.code === ErrorCode.CONFLICT;

/**
 * The Learn step: read the environment's policy state, apply the outcome, save it with
 * optimistic concurrency. Another process may save in between, so a CONFLICT is retried once
 * over a fresh read; a second one is left to the caller.
 */
export async function learnStep(
  store: HealingStore,
  env: EnvironmentPolicy,
  outcome: { problem: ProblemType; action: HealAction; verdict: Verdict },
): Promise<LearnResult> {
  for (let attempt = 0; ; attempt++) {
    const stored = await store.getPolicyState(env.environment);
    const learned = learnOutcome(env, stored?.state ?? null, outcome);
    if (!learned.trained || learned.state === null) return { trained: false, reward: learned.reward, version: stored?.version ?? null };
    try {
      const version = await store.savePolicyState(env.environment, learned.state, stored?.version ?? 0);
      return { trained: true, reward: learned.reward, version };
    } catch (e) {
      if (attempt > 0 || !isConflict(e)) throw e;
    }
  }
}
