import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";

/** Polls `check` until it holds; generous timeouts, no wall-clock assertions. */
export async function waitFor(check: () => boolean, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A real node child running `code`; tracked so afterEach can kill whatever a test left. */
export function spawnNode(code: string, children: ChildProcess[]): ChildProcess & { pid: number } {
  const child = spawn(process.execPath, ["-e", code], { stdio: "ignore" });
  if (child.pid === undefined) throw new Error("spawn failed");
  children.push(child);
  return child as ChildProcess & { pid: number };
}

export async function killAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.splice(0).map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGKILL");
      await exited;
    }),
  );
}
