import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import type { Executor } from "../executor/port.js";

/**
 * Job processes run in their own process groups, so a pitstop killed with SIGKILL leaves them
 * running. Every process a local agent starts carries PITSTOP_PROC_TAG=<data dir>:<instance>; the
 * next pitstop that takes the data directory's lock kills the groups tagged by another instance.
 */
const TAG = "PITSTOP_PROC_TAG";

export function dataDirKey(dataDir: string): string {
  return createHash("sha256").update(dataDir).digest("hex").slice(0, 12);
}

/** Wraps an executor so every process it starts is tagged with the data directory and instance. */
export function tagProcesses(inner: Executor, dataDir: string, instanceId: string): Executor {
  const value = `${dataDirKey(dataDir)}:${instanceId}`;
  return { name: inner.name, run: (spec, onLine, signal) => inner.run({ ...spec, env: { ...spec.env, [TAG]: value } }, onLine, signal) };
}

/** Kills the process groups left by other instances on this data directory; returns how many. Linux /proc only. */
export async function killOrphans(dataDir: string, selfInstance: string): Promise<number> {
  const prefix = `${TAG}=${dataDirKey(dataDir)}:`;
  const mine = `${prefix}${selfInstance}`;
  let entries: string[];
  try {
    entries = await readdir("/proc");
  } catch {
    return 0;
  }
  const groups = new Set<number>();
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const env = await readFile(`/proc/${name}/environ`, "latin1").catch(() => "");
    const tag = env.split("\0").find((kv) => kv.startsWith(prefix));
    if (!tag || tag === mine) continue;
    const stat = await readFile(`/proc/${name}/stat`, "latin1").catch(() => "");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const pgid = Number(fields[2]);
    if (pgid > 1) groups.add(pgid);
  }
  for (const pgid of groups) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  return groups.size;
}
