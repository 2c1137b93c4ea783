import { cp, mkdtemp, rm, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { silentLogger } from "../../../src/core/logger.js";
import type { StageDeps } from "../../../src/agents/stage-deps.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, "../../..");
export const FIXTURES = path.join(HERE, "fixtures");

/**
 * A fresh copy of a fixture project in a temp dir, with the repository's node_modules linked in
 * (as an installed project has its own), so runs never write into the repository.
 */
export async function fixtureProject(name: string | null, dirs: string[]): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `pitstop-test-${name ?? "empty"}-`));
  dirs.push(dir);
  if (name !== null) await cp(path.join(FIXTURES, name), dir, { recursive: true });
  await symlink(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"));
  return dir;
}

export async function removeAll(dirs: string[]): Promise<void> {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

export function stageDeps(): StageDeps {
  return { dataDir: os.tmpdir(), log: silentLogger, now: Date.now, agentEnv: process.env };
}
