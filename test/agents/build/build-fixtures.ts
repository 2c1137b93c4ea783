import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createLocalArtifactStore } from "../../../src/artifacts/adapters/local.js";
import type { ArtifactStore } from "../../../src/artifacts/port.js";
import { createBuildHandler, type BuildHandlerDeps } from "../../../src/agents/build/create-build-handler.js";
import type { KindHandler } from "../../../src/agents/run-job.js";
import { silentLogger } from "../../../src/core/logger.js";

/** Temp directories made by a test file; `removeAll` in afterEach. */
export function tempDirs() {
  const made: string[] = [];
  return {
    async make(prefix: string): Promise<string> {
      const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
      made.push(dir);
      return dir;
    },
    async removeAll(): Promise<void> {
      await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
    },
  };
}

/** Writes `files` (path → content; a trailing `*` in the key marks it executable) under `root`. */
export async function writeFiles(root: string, files: Record<string, string>): Promise<string> {
  for (const [key, content] of Object.entries(files)) {
    const exec = key.endsWith("*");
    const file = path.join(root, exec ? key.slice(0, -1) : key);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
    if (exec) await chmod(file, 0o755);
  }
  return root;
}

/** A node project whose `npm run build` writes dist/app.js and dist/assets/logo.txt. */
export const NODE_PROJECT: Record<string, string> = {
  "package.json": JSON.stringify({ name: "@acme/Fixture App", version: "1.0.0", private: true, scripts: { build: "node build.mjs" } }, null, 2),
  "build.mjs": [
    'import { mkdirSync, writeFileSync } from "node:fs";',
    'mkdirSync("dist/assets", { recursive: true });',
    'writeFileSync("dist/app.js", "console.log(\'hello from the build\');\\n");',
    'writeFileSync("dist/assets/logo.txt", "LOGO");',
    'console.log("built dist/");',
  ].join("\n"),
  "src/app.ts": "export {};\n",
};

export interface BuildSetup {
  dataDir: string;
  store: ArtifactStore;
  handler: KindHandler;
  deps: BuildHandlerDeps;
}

export function buildSetup(dataDir: string, agentEnv: Record<string, string | undefined> = {}): BuildSetup {
  const store = createLocalArtifactStore({ dataDir });
  const deps: BuildHandlerDeps = { dataDir, log: silentLogger, now: Date.now, agentEnv, artifacts: store };
  return { dataDir, store, handler: createBuildHandler(deps), deps };
}

/**
 * A stand-in `docker` client for the "an engine answers" path (no engine runs on CI machines):
 * a real executable on PATH that answers `version`, records `build` arguments in `$DOCKER_LOG`
 * and fails the build when the Dockerfile contains FAIL.
 */
export const FAKE_DOCKER = `#!/bin/sh
case "$1" in
  version) echo "27.1.0"; exit 0 ;;
  build)
    echo "build $*" >> "$DOCKER_LOG"
    if grep -q FAIL Dockerfile; then echo "ERROR: failed to solve: process did not complete successfully" >&2; exit 1; fi
    echo "#1 building with fake engine"; echo "#2 DONE"; exit 0 ;;
  image) echo "sha256:0123456789abcdef"; exit 0 ;;
esac
echo "fake docker: unexpected $*" >&2
exit 2
`;
