import { isOverLatency } from "../../core/healing/uptime.js";
import { verdict, type Sample, type VerdictResult } from "../../core/healing/verdict.js";
import type { DeployTarget, HealthReport } from "../../deploy/port.js";
import { probeUrl, timeoutFor } from "../detectors/uptime-monitor.js";
import type { VerifySettings } from "./heal-types.js";

const DEFAULT_HEALTHY_RATIO = 0.8;

/**
 * The Verify step for deploy targets: probe health every `probeIntervalMs` for `windowMs` and
 * let the core judge. A probe that throws counts as unhealthy, not as missing evidence. `judge`
 * says whether one health report is good (default: healthy); an action can ask for more, e.g.
 * answers under a new latency threshold.
 */
export function verifyTarget(
  target: DeployTarget,
  settings: VerifySettings,
  clock: VerifyClock,
  judge: (report: HealthReport) => boolean = (r) => r.healthy,
): Promise<VerdictResult & { samples: Sample[] }> {
  return verifyBySamples(() => target.health().then(judge, () => false), settings, clock);
}

/**
 * The Verify step for a latency bound: GET the URL the uptime monitor probed, each answer good
 * only when it came (2xx/3xx) within `boundMs`; the probe waits as the monitor would (1.25 × the
 * bound), so a slow answer is judged slow rather than lost.
 */
export function verifyUrlLatency(url: string, boundMs: number, settings: VerifySettings, clock: VerifyClock): Promise<VerdictResult & { samples: Sample[] }> {
  return verifyBySamples(
    async () => {
      const s = await probeUrl(url, timeoutFor(0, boundMs), null, clock.now());
      return s.up && s.responseMs !== null && !isOverLatency(s, boundMs);
    },
    settings,
    clock,
  );
}

export interface VerifyClock {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Aborted: stop taking samples and judge what there is (too few = inconclusive). */
  signal?: AbortSignal | undefined;
}

/** Takes a sample every `probeIntervalMs` for `windowMs` and lets the core judge them. */
async function verifyBySamples(take: () => Promise<boolean>, settings: VerifySettings, clock: VerifyClock): Promise<VerdictResult & { samples: Sample[] }> {
  const samples: Sample[] = [];
  const from = clock.now();
  const interval = Math.max(1, settings.probeIntervalMs);
  for (let elapsed = 0; ; elapsed += interval) {
    const ok = await take().catch(() => false);
    samples.push({ at: clock.now(), ok });
    if (elapsed + interval > settings.windowMs || clock.signal?.aborted) break;
    await clock.sleep(interval);
    if (clock.signal?.aborted) break;
  }
  const to = Math.max(from + settings.windowMs, samples.at(-1)!.at + 1);
  // Cut short before the window was covered: too little to judge, and nothing to learn from.
  if (clock.signal?.aborted && clock.now() - from < settings.windowMs) {
    const healthy = samples.filter((x) => x.ok).length;
    return { verdict: "inconclusive", reason: `verification stopped after ${samples.length} sample${samples.length === 1 ? "" : "s"}: pitstop was stopping`, healthy, total: samples.length, samples };
  }
  const result = verdict({ samples, from, to, minSamples: settings.minSamples, minHealthyRatio: settings.minHealthyRatio ?? DEFAULT_HEALTHY_RATIO });
  return { ...result, samples };
}
