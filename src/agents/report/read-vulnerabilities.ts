import type { RunVulnerability } from "../../notify/port.js";
import type { RunJobSnapshot } from "../../protocol/messages.js";

const SEVERITY_ORDER = ["critical", "high", "moderate", "medium", "low", "info"];

const str = (v: unknown): string | null => (typeof v === "string" && v.trim() !== "" ? v : typeof v === "number" ? String(v) : null);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** `fix` as the security stage wrote it, or npm audit's `fixAvailable` (true, false or {name, version}). */
function fixText(v: unknown): string | null {
  if (typeof v === "string") return str(v);
  if (v === true) return "run `npm audit fix`";
  if (isRecord(v) && str(v.name) !== null && str(v.version) !== null) {
    return `upgrade ${str(v.name)} to ${str(v.version)}${v.isSemVerMajor === true ? " (semver major)" : ""}`;
  }
  return null;
}

function read(job: string, item: unknown): RunVulnerability | null {
  if (!isRecord(item)) return null;
  const pkg = str(item.package) ?? str(item.name) ?? str(item.module_name);
  if (pkg === null) return null;
  return {
    job,
    package: pkg,
    severity: (str(item.severity) ?? "unknown").toLowerCase(),
    title: str(item.title),
    advisory: str(item.advisory) ?? str(item.url) ?? str(item.id),
    range: str(item.range) ?? str(item.vulnerable_versions),
    fix: fixText(item.fix ?? item.fixAvailable),
  };
}

/**
 * The dependency advisories in the stage reports of a run (`stage.data.vulnerabilities` of the
 * security stage, read leniently so a field the stage leaves out becomes null instead of hiding
 * the finding), most severe first.
 */
export function readVulnerabilities(jobs: readonly RunJobSnapshot[]): RunVulnerability[] {
  const out: RunVulnerability[] = [];
  for (const j of jobs) {
    const list = j.stage?.data.vulnerabilities;
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      const v = read(j.id, item);
      if (v !== null) out.push(v);
    }
  }
  const rank = (s: string) => (SEVERITY_ORDER.includes(s) ? SEVERITY_ORDER.indexOf(s) : SEVERITY_ORDER.length);
  return out.sort((a, b) => rank(a.severity) - rank(b.severity));
}
