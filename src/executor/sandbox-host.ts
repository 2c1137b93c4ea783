import { spawn } from "node:child_process";
import { constants as fsConstants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { constants as osConstants } from "node:os";
import { delimiter, join } from "node:path";

/** The uid/gid a sandbox runs as when pitstop itself runs as root: `nobody`/`nogroup` on Debian. */
export const NOBODY = { uid: 65534, gid: 65534 } as const;

export interface SandboxIdentity {
  uid: number;
  gid: number;
}

/**
 * Who bwrap runs as. As root, bwrap would map the job to host uid 0 and the job could read every
 * root-owned file that the mounts leave visible (/etc/shadow, pitstop's own database), so root
 * drops to `runAs` (default nobody). Any other user runs the sandbox as itself.
 */
export function sandboxIdentity(runAs: SandboxIdentity | undefined): SandboxIdentity | null {
  if (runAs !== undefined) return runAs;
  return process.getuid?.() === 0 ? NOBODY : null;
}

/** Absolute path of an executable: `name` as is when it has a slash, else searched in the host PATH. */
export async function findExecutable(name: string): Promise<string | null> {
  const candidates = name.includes("/") ? [name] : (process.env.PATH ?? "/usr/bin:/bin").split(delimiter).filter(Boolean).map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      await access(candidate, fsConstants.X_OK);
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // not here: try the next PATH entry
    }
  }
  return null;
}

export interface ProbeResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Runs a short helper command to completion (availability and permission probes), as `identity`. */
export function probe(file: string, args: readonly string[], identity: SandboxIdentity | null, timeoutMs = 10_000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      cwd: "/",
      env: {},
      stdio: ["ignore", "pipe", "pipe"],
      ...(identity === null ? {} : { uid: identity.uid, gid: identity.gid }),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, stdout, stderr: stderr + e.message });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/**
 * The first of `paths` that `identity` cannot enter and write (or why that could not be checked), checked by the kernel itself
 * (a shell's `test -w -a -x` run as that uid), so ACLs and every parent directory count.
 */
export async function firstUnwritable(paths: readonly string[], identity: SandboxIdentity): Promise<{ path: string } | { error: string } | null> {
  const script = 'for p; do if [ ! -w "$p" ] || [ ! -x "$p" ]; then printf "%s" "$p"; exit 1; fi; done';
  const result = await probe("/bin/sh", ["-c", script, "sh", ...paths], identity);
  if (result.code === 0) return null;
  if (result.code === 1 && result.stdout !== "") return { path: result.stdout };
  return { error: `cannot switch to uid ${identity.uid} to check the workspace: ${result.stderr.trim() || `exit ${result.code ?? result.signal}`}` };
}

/** Decodes a raw wait(2) status as printed by the sandbox's status wrapper. */
export function decodeWaitStatus(text: string): { exitCode: number | null; signal: string | null } | null {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return null;
  const status = Number(trimmed);
  const signo = status & 0x7f;
  if (signo === 0) return { exitCode: (status >> 8) & 0xff, signal: null };
  const name = Object.entries(osConstants.signals).find(([, n]) => n === signo)?.[0];
  return { exitCode: null, signal: name ?? `SIG${signo}` };
}
