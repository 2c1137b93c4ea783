import { fnv1a32 } from "./hash.js";

/**
 * A seeded pseudo-random generator (mulberry32: 32 bits of state, passes the usual small-state
 * test batteries, a dozen lines). Core code never calls Math.random: it takes an Rng, so stage
 * decisions replay exactly from their seed. Not for anything secret.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** The current state; `createRng(rng.state())` continues the same sequence. */
  state(): number;
}

export function createRng(seed: number | string): Rng {
  let s = (typeof seed === "string" ? fnv1a32(seed) : Math.trunc(seed)) >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    state: () => s,
  };
}

/**
 * A seed for one decision, from the environment's seed and something that names the decision
 * (an incident id, a scenario name). Stage derives one per incident so that replaying a single
 * incident does not depend on how many came before it.
 */
export function deriveSeed(seed: number, key: string): number {
  return fnv1a32(`${seed >>> 0}:${key}`);
}
