import { stat } from "node:fs/promises";
import { coerceError } from "../core/errors.js";
import { errnoCode } from "./process-group.js";

/**
 * Why `path` cannot serve as a step's directory, or null when it can. Checked before spawning:
 * spawn reports a missing cwd as "spawn /bin/sh ENOENT", which blames the shell.
 */
export async function checkDirectory(path: string, label: string): Promise<string | null> {
  try {
    const info = await stat(path);
    return info.isDirectory() ? null : `ENOTDIR: ${label} ${path} is not a directory`;
  } catch (e) {
    const err = coerceError(e);
    const code = errnoCode(e);
    if (code === "ENOENT") return `ENOENT: ${label} ${path} does not exist`;
    return `${code ?? "ERROR"}: ${label} ${path} cannot be used: ${err.message}`;
  }
}
