import { readdir, readFile, readlink } from "node:fs/promises";

/**
 * Who listens on a TCP port, for the "port already in use" message: `pid 1234 (node server.js)`.
 * Best effort and Linux only (/proc/net/tcp{,6} → socket inode → /proc/<pid>/fd); null when it
 * cannot tell (another user's process, another OS).
 */
export async function describePortHolder(port: number): Promise<string | null> {
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const text = await readFile(table, "utf8").catch(() => "");
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      // st 0A = LISTEN; the local address ends with the port in hex.
      if (local !== undefined && cols[3] === "0A" && Number.parseInt(local.split(":")[1] ?? "", 16) === port && cols[9]) inodes.add(cols[9]);
    }
  }
  if (inodes.size === 0) return null;
  const pids = (await readdir("/proc").catch(() => [] as string[])).filter((n) => /^\d+$/.test(n));
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m?.[1] !== undefined && inodes.has(m[1])) {
        const cmd = (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).split("\0").filter(Boolean).join(" ");
        return `pid ${pid}${cmd ? ` (${cmd.length > 80 ? `${cmd.slice(0, 79)}…` : cmd})` : ""}`;
      }
    }
  }
  return null;
}
