import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";

export interface ShellResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  cancelled: boolean;
  spawnError: string | null;
  durationMs: number;
  pid: number | null;
  /** The last lines of output (stdout and stderr interleaved), to explain a failure. */
  tail: string[];
}

export interface ShellInput {
  command: string;
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
  onLine: (line: string) => void;
}

const KILL_GRACE_MS = 2000;

/**
 * Runs a user command with `sh -c` in its own process group; a timeout or cancellation sends
 * SIGTERM to the group, SIGKILL after a grace. Never rejects.
 */
export function runShell(input: ShellInput): Promise<ShellResult> {
  const started = performance.now();
  const tail: string[] = [];
  return new Promise((resolve) => {
    const child = spawn("/bin/sh", ["-c", input.command], { cwd: input.cwd, env: input.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let timedOut = false;
    let cancelled = false;
    let spawnError: string | null = null;
    const kill = (): void => {
      if (child.pid === undefined) return;
      const pgid = child.pid;
      const send = (sig: NodeJS.Signals): void => {
        try {
          process.kill(-pgid, sig);
        } catch {
          // gone
        }
      };
      send("SIGTERM");
      setTimeout(() => send("SIGKILL"), KILL_GRACE_MS).unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, input.timeoutMs);
    const onAbort = (): void => {
      cancelled = true;
      kill();
    };
    input.signal?.addEventListener("abort", onAbort, { once: true });
    if (input.signal?.aborted) onAbort();
    for (const stream of [child.stdout, child.stderr]) {
      let buf = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        buf += chunk;
        for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
          emit(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
        }
      });
      stream.on("end", () => {
        if (buf !== "") emit(buf);
      });
    }
    function emit(line: string): void {
      const clean = line.trimEnd();
      tail.push(clean);
      if (tail.length > 10) tail.shift();
      input.onLine(clean);
    }
    child.on("error", (e) => (spawnError = e.message));
    child.on("close", (code, sig) => {
      clearTimeout(timer);
      input.signal?.removeEventListener("abort", onAbort);
      resolve({ exitCode: code, signal: sig, timedOut, cancelled, spawnError, durationMs: Math.round(performance.now() - started), pid: child.pid ?? null, tail });
    });
  });
}

/** "exit 3: <last line>" / "timed out after 600 s" / "could not start: …" */
export function describeShell(r: ShellResult, timeoutMs: number): string {
  if (r.spawnError !== null) return `could not start: ${r.spawnError}`;
  if (r.timedOut) return `timed out after ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`}`;
  if (r.cancelled) return "cancelled";
  const how = r.signal !== null ? `killed by ${r.signal}` : `exited with code ${r.exitCode ?? "?"}`;
  const last = r.tail.filter((l) => l.trim() !== "").at(-1);
  return last === undefined ? how : `${how}: ${last}`;
}
