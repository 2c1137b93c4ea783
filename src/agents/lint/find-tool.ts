import { access, constants, stat } from "node:fs/promises";
import path from "node:path";

async function isExecutable(file: string): Promise<boolean> {
  try {
    const s = await stat(file);
    if (!s.isFile()) return false;
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The `node_modules/.bin/<name>` that `npx --no-install <name>` would run from `startDir`: npx
 * looks in every node_modules/.bin from the project up to the file system root (npm workspaces
 * hoist tools to the root). Null when there is none; npx would then ask the registry, so we
 * decide "not installed" here instead of waiting for the network.
 */
export async function findNodeTool(name: string, startDir: string): Promise<string | null> {
  let dir = path.resolve(startDir);
  for (;;) {
    const candidate = path.join(dir, "node_modules", ".bin", name);
    if (await isExecutable(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** The first executable `name` on a PATH value (the job's, not pitstop's), or null. */
export async function findOnPath(name: string, pathEnv: string | undefined): Promise<string | null> {
  for (const dir of (pathEnv ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    const candidate = path.join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return null;
}

/** The first of `files` (absolute) that exists as an executable file. */
export async function firstExecutable(files: readonly string[]): Promise<string | null> {
  for (const f of files) if (await isExecutable(f)) return f;
  return null;
}
