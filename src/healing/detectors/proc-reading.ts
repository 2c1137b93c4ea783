import { readFile, readdir } from "node:fs/promises";

/** Linux USER_HZ: utime/stime in /proc/<pid>/stat count in 1/100 s on every mainstream kernel. */
export const CLOCK_TICKS_PER_SECOND = 100;

export interface ProcReading {
  pid: number;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
  rssBytes: number;
}

/**
 * utime + stime from /proc/<pid>/stat. The command name (field 2) may hold spaces and ")", so the
 * fields are counted from the last ")": after it come state (3), …, utime (14), stime (15).
 */
export function parseProcStat(text: string): number | null {
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : null;
}

/** Resident set size from the `VmRSS:  1234 kB` line of /proc/<pid>/status (absent for zombies). */
export function parseVmRss(text: string): number | null {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(text);
  return match ? Number(match[1]) * 1024 : null;
}

/** Reads one process; null when it is gone (ENOENT/ESRCH) or a zombie, i.e. nothing to measure. */
export async function readProc(pid: number): Promise<ProcReading | null> {
  try {
    const [stat, status] = await Promise.all([readFile(`/proc/${pid}/stat`, "utf8"), readFile(`/proc/${pid}/status`, "utf8")]);
    const cpuTicks = parseProcStat(stat);
    const rssBytes = parseVmRss(status);
    return cpuTicks === null || rssBytes === null ? null : { pid, cpuTicks, rssBytes };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ESRCH") return null;
    throw e;
  }
}

/** CPU % of one core (100 = one core busy) between two readings `elapsedMs` apart. */
export function cpuPercent(beforeTicks: number, afterTicks: number, elapsedMs: number): number {
  if (elapsedMs <= 0) return 0;
  return ((afterTicks - beforeTicks) / CLOCK_TICKS_PER_SECOND / (elapsedMs / 1000)) * 100;
}

/**
 * A pid and its descendants, from /proc/<pid>/task/<tid>/children: a deployed worker is a shell and
 * the app it started, and the app is what burns CPU. A process that is gone has no children.
 */
export async function processTree(pid: number): Promise<number[]> {
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  const children = await Promise.all(tasks.map((t) => readFile(`/proc/${pid}/task/${t}/children`, "utf8").catch(() => "")));
  const kids = children.join(" ").split(/\s+/).filter(Boolean).map(Number);
  return [pid, ...(await Promise.all(kids.map(processTree))).flat()];
}
