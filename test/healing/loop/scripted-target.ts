import type { DeployResult, DeployTarget, HealthReport, ReleaseInfo, TargetStatus } from "../../../src/deploy/port.js";

/**
 * A deploy target whose health follows a script, for tests about decisions rather than
 * processes (determinism, refusals, the retry budget): no process, no clock of its own.
 * `healthyAfter` lists actions after which it answers healthy; every call is recorded.
 */
export function createScriptedTarget(opts: { healthyAfter: string[]; healthy?: boolean }): DeployTarget & { calls: string[]; fail(): void } {
  const calls: string[] = [];
  let healthy = opts.healthy ?? false;
  let workers = 1;
  let live = "2";
  const act = (name: string, ok = true): Promise<DeployResult> => {
    calls.push(name);
    if (opts.healthyAfter.includes(name.split("(")[0]!)) healthy = true;
    return Promise.resolve({ ok, releaseId: live, previousReleaseId: null, url: "http://127.0.0.1:1", healthy, responseMs: 1, workers, durationMs: 1 });
  };
  const releases = (): ReleaseInfo[] =>
    live === "2"
      ? [{ id: "2", createdAt: 0, status: "live", healthy: true, error: null }, { id: "1", createdAt: 0, status: "previous", healthy: true, error: null }]
      : [{ id: "1", createdAt: 0, status: "live", healthy: true, error: null }];
  return {
    environment: "stage",
    kind: "local",
    calls,
    fail: () => {
      healthy = false;
    },
    deploy: () => Promise.reject(new Error("not scripted")),
    rollback: () => {
      live = "1";
      return act("rollback");
    },
    restart: () => act("restart"),
    scale: (n) => {
      workers = n;
      return act(`scale(${n})`);
    },
    health: (): Promise<HealthReport> => Promise.resolve({ healthy, releaseId: live, checks: [] }),
    releases: () => Promise.resolve(releases()),
    status: (): Promise<TargetStatus> =>
      Promise.resolve({ environment: "stage", target: "local", state: "running", current: releases()[0]!, workers: [], desiredWorkers: workers, url: null, supervisor: null }),
    stop: () => Promise.resolve({ ok: true, stoppedPids: [] }),
  };
}
