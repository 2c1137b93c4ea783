/**
 * The Verify step: did the action heal the problem? Three answers, because "we could not tell"
 * is not "it failed": an inconclusive verdict does not train the policy (DESIGN.md §6).
 */

export const Verdict = { healed: "healed", failed: "failed", inconclusive: "inconclusive" } as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/** One health observation: a probe answer, a job result, a detector reading; `ok` = healthy. */
export interface Sample {
  at: number;
  ok: boolean;
}

export interface Observations {
  samples: readonly Sample[];
  /** The verification window, epoch ms, `from` inclusive and `to` exclusive; samples outside it are ignored. */
  from: number;
  to: number;
  /** Fewer samples than this in the window = inconclusive. A rerun job needs 1; an uptime probe a few. */
  minSamples: number;
  /** Share of healthy samples needed, in [0, 1]; the last sample must be healthy too. */
  minHealthyRatio: number;
}

export interface VerdictResult {
  verdict: Verdict;
  reason: string;
  healthy: number;
  total: number;
}

export function verdict(o: Observations): VerdictResult {
  const inWindow = o.samples.filter((s) => s.at >= o.from && s.at < o.to).sort((a, b) => a.at - b.at);
  const total = inWindow.length;
  const healthy = inWindow.filter((s) => s.ok).length;
  const needed = Math.max(1, o.minSamples);
  if (total < needed) {
    return { verdict: Verdict.inconclusive, reason: `${total} sample${total === 1 ? "" : "s"} in the window, ${needed} needed`, healthy, total };
  }
  const ratio = healthy / total;
  const lastOk = inWindow[total - 1]?.ok === true;
  const summary = `${healthy}/${total} healthy`;
  // The last sample decides between "recovered late" and "relapsed": a fix that does not hold is no fix.
  if (!lastOk) return { verdict: Verdict.failed, reason: `${summary}, last sample unhealthy`, healthy, total };
  if (ratio < o.minHealthyRatio) return { verdict: Verdict.failed, reason: `${summary} < ${Math.round(o.minHealthyRatio * 100)} % required`, healthy, total };
  return { verdict: Verdict.healed, reason: summary, healthy, total };
}

/** The outcome reward of the seeds: +1 healed, −1 failed; null = do not train. */
export function reward(v: Verdict): number | null {
  switch (v) {
    case Verdict.healed:
      return 1;
    case Verdict.failed:
      return -1;
    case Verdict.inconclusive:
      return null;
  }
}
