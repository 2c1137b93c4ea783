import { access, constants, readFile, realpath, stat } from "node:fs/promises";
import path from "node:path";

export const PRESET = "@secretlint/secretlint-rule-preset-recommend";
const NOT_FOUND = `secretlint not found: add secretlint and ${PRESET} to devDependencies or set security.secrets: false`;
const RC_FILES = [".secretlintrc", ".secretlintrc.json", ".secretlintrc.yaml", ".secretlintrc.yml", ".secretlintrc.js", ".secretlintrc.cjs", ".secretlintrc.mjs"];

export interface SecretlintTool {
  /** Absolute path of the `secretlint` executable. */
  bin: string;
  version: string | null;
  /** The project's own `.secretlintrc*` in the working directory, if any (it decides the rules). */
  projectConfig: string | null;
}

export type FoundSecretlint = { ok: true; tool: SecretlintTool } | { ok: false; message: string };

/**
 * Finds the secretlint CLI the way a project would run it: `node_modules/.bin` from the working
 * directory up (workspaces hoist it to the root), then the job's PATH. `npx --no-install` would
 * skip PATH, and it costs an npm start-up (~0.5 s) for nothing. Without a project config the stage
 * uses the recommended preset, which secretlint resolves from its own install, so it must sit in a
 * node_modules on the way up from secretlint.
 */
export async function findSecretlint(cwd: string, pathEnv: string | undefined): Promise<FoundSecretlint> {
  const bin = (await firstExecutable(ancestors(cwd).map((d) => path.join(d, "node_modules", ".bin", "secretlint"))))
    ?? (await firstExecutable((pathEnv ?? "").split(path.delimiter).filter((d) => d !== "").map((d) => path.join(d, "secretlint"))));
  if (bin === null) return { ok: false, message: NOT_FOUND };
  const real = await realpath(bin).catch(() => bin);
  const projectConfig = await firstFile(RC_FILES.map((f) => path.join(cwd, f)));
  if (projectConfig === null && !(await presetNear(real))) {
    return {
      ok: false,
      message: `${PRESET} not found next to secretlint (${bin}): add it to devDependencies, give the project a .secretlintrc.json with its own rules, or set security.secrets: false`,
    };
  }
  return { ok: true, tool: { bin, version: await versionOf(real), projectConfig } };
}

function ancestors(dir: string): string[] {
  const out: string[] = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    out.push(d);
    if (path.dirname(d) === d) return out;
  }
}

async function firstExecutable(candidates: readonly string[]): Promise<string | null> {
  for (const c of candidates) {
    if (await access(c, constants.X_OK).then(() => true, () => false)) return c;
  }
  return null;
}

async function firstFile(candidates: readonly string[]): Promise<string | null> {
  for (const c of candidates) {
    if (await stat(c).then((s) => s.isFile(), () => false)) return c;
  }
  return null;
}

async function presetNear(realBin: string): Promise<boolean> {
  const manifests = ancestors(path.dirname(realBin)).map((d) => path.join(d, "node_modules", ...PRESET.split("/"), "package.json"));
  return (await firstFile(manifests)) !== null;
}

/** `…/secretlint/bin/secretlint.js` → the version in `…/secretlint/package.json`, for SARIF. */
async function versionOf(realBin: string): Promise<string | null> {
  for (const d of ancestors(path.dirname(realBin)).slice(0, 3)) {
    const pkg = await readFile(path.join(d, "package.json"), "utf8").then((t) => JSON.parse(t) as unknown, () => null);
    if (typeof pkg === "object" && pkg !== null && (pkg as { name?: unknown }).name === "secretlint") {
      const v = (pkg as { version?: unknown }).version;
      return typeof v === "string" ? v : null;
    }
  }
  return null;
}
