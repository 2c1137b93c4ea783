import type { RunDeployment } from "../../notify/port.js";
import type { RunJobSnapshot } from "../../protocol/messages.js";

const str = (v: unknown): string | null => (typeof v === "string" && v.trim() !== "" ? v : null);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const bool = (v: unknown): boolean | null => (typeof v === "boolean" ? v : null);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function read(job: string, d: Record<string, unknown>): RunDeployment | null {
  const health = isRecord(d.health) ? d.health : {};
  const deployment: RunDeployment = {
    job,
    environment: str(d.environment) ?? str(d.env),
    url: str(d.url) ?? str(d.healthUrl) ?? str(health.url),
    healthy: bool(d.healthy) ?? bool(health.healthy) ?? bool(health.ok) ?? bool(d.success) ?? bool(d.ok),
    responseTimeMs: num(d.responseTimeMs) ?? num(d.responseMs) ?? num(d.response_time_ms) ?? num(health.responseTimeMs) ?? num(health.responseMs),
    release: str(d.release) ?? str(d.releaseId) ?? (num(d.release) !== null ? String(d.release) : null),
  };
  return deployment.environment !== null || deployment.url !== null ? deployment : null;
}

/**
 * The deployments in the stage reports of a run: `stage.data.deployment` of any job, or the data of
 * a `deploy` job itself, read leniently (environment/env, url, healthy, responseTimeMs/responseMs, release/releaseId).
 */
export function readDeployments(jobs: readonly RunJobSnapshot[]): RunDeployment[] {
  const out: RunDeployment[] = [];
  for (const j of jobs) {
    const data = j.stage?.data;
    if (data === undefined) continue;
    const d = isRecord(data.deployment) ? data.deployment : j.kind === "deploy" ? data : null;
    const dep = d === null ? null : read(j.id, d);
    if (dep !== null) out.push(dep);
  }
  return out;
}
