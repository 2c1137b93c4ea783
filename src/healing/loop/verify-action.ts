import { verdict, type Sample, type VerdictResult } from "../../core/healing/verdict.js";
import type { DeployTarget, HealthReport } from "../../deploy/port.js";
import type { VerifySettings } from "./heal-types.js";

const DEFAULT_HEALTHY_RATIO = 0.8;

/**
 * The Verify step for deploy targets: probe health every `probeIntervalMs` for `windowMs` and
 * let the core judge. A probe that throws counts as unhealthy, not as missing evidence. `judge`
 * says whether one health report is good (default: healthy); an action can ask for more, e.g.
 * answers under a new latency threshold.
 */
export async function verifyTarget(
  target: DeployTarget,
  settings: VerifySettings,
  clock: { now: () => number; sleep: (ms: number) => Promise<void> },
  judge: (report: HealthReport) => boolean = (r) => r.healthy,
): Promise<VerdictResult & { samples: Sample[] }> {
  const samples: Sample[] = [];
  const from = clock.now();
  const interval = Math.max(1, settings.probeIntervalMs);
  for (let elapsed = 0; ; elapsed += interval) {
    const ok = await target.health().then(judge, () => false);
    samples.push({ at: clock.now(), ok });
    if (elapsed + interval > settings.windowMs) break;
    await clock.sleep(interval);
  }
  const to = Math.max(from + settings.windowMs, samples.at(-1)!.at + 1);
  const result = verdict({ samples, from, to, minSamples: settings.minSamples, minHealthyRatio: settings.minHealthyRatio ?? DEFAULT_HEALTHY_RATIO });
  return { ...result, samples };
}
