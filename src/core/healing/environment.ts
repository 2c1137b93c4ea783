/**
 * Healing environments and how each one decides (DESIGN.md §6): `dev` explores, `stage` is
 * deterministic (seeded, fixed tie-breaks, replayable), `prod` exploits only.
 */
export const ENVIRONMENTS = ["dev", "stage", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export function isEnvironment(s: string): s is Environment {
  return (ENVIRONMENTS as readonly string[]).includes(s);
}

export const DecisionMode = {
  /** Epsilon-greedy with the configured epsilon; the caller may seed the rng from anything. */
  explore: "explore",
  /** Epsilon-greedy with the configured epsilon and a seeded rng: the same seed replays the same decisions. */
  deterministic: "deterministic",
  /** Greedy only: epsilon is treated as 0 whatever the file says, so no random draw can pick an action. */
  exploit: "exploit",
} as const;
export type DecisionMode = (typeof DecisionMode)[keyof typeof DecisionMode];

const MODE_BY_ENVIRONMENT: Readonly<Record<Environment, DecisionMode>> = {
  dev: DecisionMode.explore,
  stage: DecisionMode.deterministic,
  prod: DecisionMode.exploit,
};

/** Fixed by the environment, not configurable: "prod never explores" must hold for every policy file. */
export function modeFor(environment: Environment): DecisionMode {
  return MODE_BY_ENVIRONMENT[environment];
}
