import type { Manifest } from "../../artifacts/port.js";
import type { ImageReport } from "./docker-image.js";

/** `stage.data.artifacts.items` keeps at most this many files; the manifest has them all. */
export const MAX_REPORTED_ITEMS = 200;

export interface ArtifactsReport {
  /** `sha256:<hex>` of the manifest's file list. */
  digest: string;
  files: number;
  bytes: number;
  /** The first MAX_REPORTED_ITEMS files by path. */
  items: Array<{ path: string; sha256: string; size: number }>;
  /** Files not listed in `items`. */
  omitted: number;
  /** The globs that were packed. */
  globs: string[];
}

/** `stage.data` of a build. */
export interface BuildData {
  /** What ran: `npm run build`, `make`, with.command, or the job's steps joined with &&. */
  command: string | null;
  source: "with.command" | "steps" | "package.json" | "Makefile" | null;
  /** Null when no artifacts were declared (and no dist/ existed) or the build failed. */
  artifacts: ArtifactsReport | null;
  /** Absent when there is no Dockerfile or `docker: off`. */
  image?: ImageReport;
}

export function artifactsReport(m: Manifest, globs: readonly string[]): ArtifactsReport {
  return {
    digest: m.digest,
    files: m.files.length,
    bytes: m.files.reduce((n, f) => n + f.size, 0),
    items: m.files.slice(0, MAX_REPORTED_ITEMS).map((f) => ({ path: f.path, sha256: f.sha256, size: f.size })),
    omitted: Math.max(0, m.files.length - MAX_REPORTED_ITEMS),
    globs: [...globs],
  };
}

/** 340 KiB, 1.5 MiB, 12 B. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** "built; 12 artifacts (340 KiB), digest sha256:ab12cd34ef56…; image app:3-abc1234". */
export function buildSummary(data: BuildData): string {
  const parts = ["built"];
  const a = data.artifacts;
  if (a === null) parts.push("no artifacts declared");
  else parts.push(`${a.files} artifact${a.files === 1 ? "" : "s"} (${formatBytes(a.bytes)}), digest ${a.digest.slice(0, "sha256:".length + 12)}…`);
  if (data.image?.built) parts.push(`image ${data.image.ref}`);
  // The reason's gist only ("no Docker engine answered"); stage.data.image.reason has the detail.
  else if (data.image) parts.push(`image not built: ${(data.image.reason ?? "").split(" (")[0]}`);
  return parts.join("; ");
}
