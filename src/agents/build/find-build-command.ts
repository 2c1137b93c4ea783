import { readFile, stat } from "node:fs/promises";
import path from "node:path";

/** How the build runs: what the user asked for, else what the project declares. */
export type BuildPlan =
  | { kind: "command"; command: string; source: "with.command" | "package.json" | "Makefile"; packageName: string | null }
  | { kind: "steps"; command: string; source: "steps"; packageName: string | null }
  | { kind: "none"; error: string };

const MAKEFILES = ["GNUmakefile", "makefile", "Makefile"];

/**
 * Picks the build: `with.command`, else the job's own steps (full form), else package.json
 * `scripts.build` (`npm run build`), else a Makefile (`make`). `dir` is the job's working
 * directory (absolute). A package.json that is not valid JSON is an error, not "no build".
 */
export async function findBuildCommand(dir: string, command: string | null, steps: readonly { run: string }[]): Promise<BuildPlan> {
  const pkg = await readPackageJson(dir);
  if (pkg.kind === "invalid") return { kind: "none", error: pkg.error };
  const packageName = pkg.kind === "ok" && typeof pkg.json.name === "string" ? pkg.json.name : null;
  if (command !== null) return { kind: "command", command, source: "with.command", packageName };
  if (steps.length > 0) return { kind: "steps", command: steps.map((s) => s.run).join(" && "), source: "steps", packageName };
  if (pkg.kind === "ok") {
    const scripts = pkg.json.scripts;
    if (typeof scripts === "object" && scripts !== null && typeof (scripts as Record<string, unknown>).build === "string") {
      return { kind: "command", command: "npm run build", source: "package.json", packageName };
    }
  }
  for (const name of MAKEFILES) {
    // `make` itself looks for these three names in this order.
    if (await isFile(path.join(dir, name))) return { kind: "command", command: "make", source: "Makefile", packageName };
  }
  const looked = pkg.kind === "ok" ? "package.json has no scripts.build and there is no Makefile" : "no package.json with scripts.build and no Makefile";
  return { kind: "none", error: `nothing to build in ${dir}: ${looked}: add a build script or set build.command (with.command)` };
}

type PackageJson = { kind: "ok"; json: Record<string, unknown> } | { kind: "absent" } | { kind: "invalid"; error: string };

async function readPackageJson(dir: string): Promise<PackageJson> {
  const file = path.join(dir, "package.json");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return { kind: "absent" };
  }
  try {
    const json: unknown = JSON.parse(text);
    if (typeof json !== "object" || json === null || Array.isArray(json)) return { kind: "invalid", error: `${file}: expected a JSON object: fix package.json or set build.command` };
    return { kind: "ok", json: json as Record<string, unknown> };
  } catch (e) {
    return { kind: "invalid", error: `${file}: not valid JSON (${(e as Error).message}): fix package.json or set build.command` };
  }
}

async function isFile(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isFile(),
    () => false,
  );
}
