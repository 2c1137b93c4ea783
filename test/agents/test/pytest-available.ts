import { spawnSync } from "node:child_process";

let cached: string | null | undefined;

/** Why pytest cannot run here (printed once), or null when `python3 -m pytest --version` works. */
export function pytestUnavailable(): string | null {
  if (cached !== undefined) return cached;
  const r = spawnSync("python3", ["-m", "pytest", "--version"], { encoding: "utf8" });
  cached = r.status === 0 ? null : `pytest tests skipped: \`python3 -m pytest --version\` failed (${(r.stderr || r.error?.message || "").trim()})`;
  if (cached !== null) console.warn(cached);
  return cached;
}

/** Whether the pytest-cov plugin imports (the "no plugin" path can only be tested without it). */
export function pytestCovInstalled(): boolean {
  return spawnSync("python3", ["-c", "import pytest_cov"]).status === 0;
}
