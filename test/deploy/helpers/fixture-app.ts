import { readdirSync, readFileSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";

/** How a fixture app behaves. */
export interface AppMode {
  /** Status /health answers (default 200). */
  health?: number;
  /** Never binds a port (default false). */
  neverListen?: boolean;
  /** Exits with code 3 right away (default false). */
  crash?: boolean;
  /** Text served on / (default "hello"). */
  greeting?: string;
  /** /health answers this late (default 0). */
  healthDelayMs?: number;
}

/**
 * A tiny node:http app on $PORT: `/health` answers `{status, release, pid, worker}`, `/` the
 * greeting. Its behaviour is baked into the file, so each release directory is its own version.
 */
export async function writeApp(dir: string, mode: AppMode = {}): Promise<string> {
  await mkdir(dir, { recursive: true });
  const src = `
import http from "node:http";
const mode = ${JSON.stringify(mode)};
if (mode.crash) { console.error("fixture: crashing on purpose"); process.exit(3); }
const server = http.createServer((req, res) => {
  const body = req.url === "/health"
    ? JSON.stringify({ status: mode.health ?? 200, release: process.env.RELEASE_ID, pid: process.pid, worker: process.env.PITSTOP_WORKER })
    : JSON.stringify({ greeting: mode.greeting ?? "hello", release: process.env.RELEASE_ID, pid: process.pid, secret: process.env.APP_SECRET ?? null });
  const answer = () => {
    res.writeHead(req.url === "/health" ? (mode.health ?? 200) : 200, { "content-type": "application/json" });
    res.end(body);
  };
  if (req.url === "/health" && mode.healthDelayMs) setTimeout(answer, mode.healthDelayMs);
  else answer();
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
if (!mode.neverListen) server.listen(Number(process.env.PORT), "127.0.0.1", () => console.log("fixture listening on " + process.env.PORT));
else setInterval(() => {}, 1000);
`;
  await writeFile(path.join(dir, "server.mjs"), src);
  await writeFile(path.join(dir, "package.json"), JSON.stringify({ name: "fixture-app", private: true, type: "module", scripts: { start: "node server.mjs" } }));
  return dir;
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

export async function getJson(url: string): Promise<Answer> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  return { status: res.status, body };
}

/** A port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Whether something accepts connections on the port. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/**
 * Polls until nothing accepts connections on the port, up to `ms`. A killed process's main
 * thread can show as gone (zombie) while its other threads are still closing its sockets.
 */
export async function portFreed(port: number, ms = 5000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (!(await isListening(port))) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !(await isListening(port));
}

/** Whether a process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Polls until every pid is gone (killing is asynchronous), up to `ms`. */
export async function allGone(pids: number[], ms = 5000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (pids.every((p) => !isAlive(p))) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return pids.every((p) => !isAlive(p));
}

/** Safety net for afterAll: kills every supervisor and worker any environment of `dataDir` recorded. */
export async function killAll(dataDir: string): Promise<void> {
  const root = path.join(dataDir, "deploy");
  const envs = await readdir(root).catch(() => [] as string[]);
  for (const env of envs) {
    const text = await readFile(path.join(root, env, "state.json"), "utf8").catch(() => null);
    if (text === null) continue;
    const state = JSON.parse(text) as { workers?: Array<{ pid: number }>; pending?: Array<{ pid: number }>; supervisor?: { pid: number } | null };
    const pids = [...(state.workers ?? []), ...(state.pending ?? []), ...(state.supervisor ? [state.supervisor] : [])].map((p) => p.pid);
    for (const pid of pids) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // gone
      }
    }
  }
}

/** Live (non-zombie) members of process group `pgid`: a worker's sh and the app it started. */
export function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "latin1");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid && fields[0] !== "Z") members.push(Number(name));
    } catch {
      // exited while we looked
    }
  }
  return members;
}

/** Polls until no process of any of the groups is left, up to `ms`. */
export async function groupsGone(pgids: number[], ms = 5000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (pgids.every((g) => groupMembers(g).length === 0)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return pgids.every((g) => groupMembers(g).length === 0);
}

/** Pids named in progress lines ("started 2 workers (pid 123 on :4000, pid 124 on :4001)"). */
export function pidsIn(lines: readonly string[]): number[] {
  return lines.flatMap((l) => [...l.matchAll(/pid (\d+) on :/g)].map((m) => Number(m[1])));
}
