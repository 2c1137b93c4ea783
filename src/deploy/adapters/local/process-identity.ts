import { readdirSync, readFileSync } from "node:fs";

/**
 * A pid alone is not an identity: after a crash or a reboot the number may belong to another
 * program. Start time (field 22 of /proc/<pid>/stat, in clock ticks since boot) plus pid is.
 * Off Linux the start time is unknown (null) and only liveness is checked.
 */
export function processStartTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : null;
  } catch {
    return null;
  }
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return false;
  }
}

export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 1) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  return !isZombie(pid);
}

/** The process `pid` still exists and is the one that had `startTicks` when it was recorded. */
export function isSameProcess(pid: number, startTicks: number | null): boolean {
  if (!isPidAlive(pid)) return false;
  if (startTicks === null) return true;
  const now = processStartTicks(pid);
  return now === null || now === startTicks;
}

/** Signals a process group; a group that is gone is not an error. */
export function signalGroup(pgid: number, sig: NodeJS.Signals | 0): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) return false;
  try {
    process.kill(-pgid, sig);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether any live member of process group `pgid` is still around. Zombies do not count: an
 * orphaned grandchild (npm → sh → node) is reaped by init, which may take a second or two.
 * Linux reads /proc; elsewhere kill(-pgid, 0) answers (zombies included).
 */
export function groupExists(pgid: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return signalGroup(pgid, 0);
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "latin1");
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === pgid && fields[0] !== "Z") return true;
  }
  return false;
}
