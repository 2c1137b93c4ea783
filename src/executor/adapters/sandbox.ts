import { existsSync } from "node:fs";
import { spawn } from "node:child_process";
import { realpath, stat } from "node:fs/promises";
import { resolve as resolvePath } from "node:path";
import { performance } from "node:perf_hooks";
import type { Readable } from "node:stream";
import { ErrorCode, PitstopError } from "../../core/errors.js";
import { checkDirectory } from "../check-directory.js";
import type { ExecOutcome, ExecSpec, Executor, OutputLine } from "../port.js";
import { killGroup, notStarted } from "../process-group.js";
import type { SandboxIdentity } from "../sandbox-host.js";
import { decodeWaitStatus, findExecutable, firstUnwritable, probe, sandboxIdentity } from "../sandbox-host.js";
import { shellArgv } from "../shell-command.js";
import { superviseChild } from "../supervise-child.js";

export interface SandboxExecutorOptions {
  /** Default "bwrap", searched in the host PATH. */
  bwrapPath?: string;
  /** Who the sandbox runs as when pitstop runs as root (default nobody, 65534:65534). */
  runAs?: SandboxIdentity;
  /** Reports how the job ended (see below). Default /usr/bin/perl; absent = fall back to bwrap's code. */
  perlPath?: string;
}

/**
 * Runs steps inside bubblewrap (DESIGN.md §3, §8). The job sees the host read-only (`--ro-bind / /`),
 * fresh /dev, /proc and /tmp, empty tmpfs over /root and /home (other users' files stay out of reach
 * except the workspace), and, without `network: true`, no network: `--unshare-all` takes its own
 * network namespace (loopback only) and a tmpfs over /run hides Unix sockets such as PostgreSQL's.
 * `cwd` and `writablePaths` are bound writable. `--die-with-parent` plus the PID namespace mean
 * that when bwrap dies every process of the job dies, daemons included.
 *
 * Identity. bwrap started by root maps the job to host root, which reads root's files, so as root
 * the sandbox runs as `runAs` (nobody). An unprivileged user namespace can only map the caller's
 * own uid, so `--uid`/`--gid` cannot make nobody the owner of a root-owned workspace, and chowning
 * the workspace behind the user's back would rewrite ownership of what may be their own checkout.
 * Hence the rule: as root, the workspace must be reachable and writable by that uid (create it
 * owned by 65534), and `run` checks this first and answers a clear spawnError otherwise.
 *
 * Environment. The job's env reaches it as bwrap's own environment (bwrap passes it through),
 * not as `--clearenv`/`--setenv`: argv is world-readable in /proc/<pid>/cmdline, env is not, and
 * env carries the secrets.
 *
 * Exit status. bwrap reports a death by signal N as exit 128+N, which cannot be told from
 * `exit 137`. A tiny perl wrapper (perl-base is essential on Debian) waits for the shell inside
 * and writes the raw wait status to fd 4. Without perl, a signal death is reported as exit 128+N.
 *
 * Signals. SIGTERM goes to the job's own process group (bwrap's `--new-session` makes one, led by
 * the PID-namespace init whose host pid bwrap writes to `--json-status-fd`), so the job can shut
 * down; SIGKILL goes to bwrap itself, which takes the whole namespace down with it.
 *
 * Reaping. When bwrap exits, its namespace init is reparented to the host's PID 1 and reaped there,
 * so run pitstop under a PID 1 that reaps (systemd, tini, `docker run --init`), never as PID 1.
 *
 * Cost (measured on a loaded 2-core box, `true` as the command): plain process ≈2–4 ms per step,
 * sandbox ≈15–19 ms: the network namespace, /proc, the uid probe (as root) and perl (≈3 ms).
 */
export function createSandboxExecutor(options: SandboxExecutorOptions = {}): Executor {
  let tools: Promise<SandboxTools> | null = null;
  return {
    name: "sandbox",
    run: (spec, onLine, signal) => {
      tools ??= locateTools(options);
      return runSandboxed(tools, spec, onLine, signal);
    },
  };
}

/** Whether a sandbox can start here: actually runs bwrap with the sandbox's namespace and mount flags. */
export async function isSandboxAvailable(bwrapPath = "bwrap"): Promise<{ ok: true } | { ok: false; reason: string }> {
  const bwrap = await findExecutable(bwrapPath);
  if (bwrap === null) return { ok: false, reason: notFoundMessage(bwrapPath) };
  const args = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-all", "--die-with-parent", "--new-session", "--json-status-fd", "1", "/bin/sh", "-c", "exit 0"];
  const result = await probe(bwrap, args, sandboxIdentity(undefined));
  if (result.code === 0) return { ok: true };
  const detail = result.stderr.trim() || `exit ${result.code ?? result.signal ?? "unknown"}`;
  return { ok: false, reason: `bwrap (${bwrap}) cannot create a sandbox here: ${detail}` };
}

interface SandboxTools {
  /** As configured, for messages. */
  bwrapName: string;
  bwrap: string | null;
  perl: string | null;
  identity: SandboxIdentity | null;
  /** Of /root, /home, /run: those that exist (a tmpfs needs an existing mount point). */
  hiddenDirs: string[];
}

async function locateTools(options: SandboxExecutorOptions): Promise<SandboxTools> {
  const [bwrap, perl] = await Promise.all([findExecutable(options.bwrapPath ?? "bwrap"), findExecutable(options.perlPath ?? "/usr/bin/perl")]);
  const hiddenDirs: string[] = [];
  for (const dir of ["/root", "/home", "/run"]) {
    if (await stat(dir).then((s) => s.isDirectory(), () => false)) hiddenDirs.push(dir);
  }
  return { bwrapName: options.bwrapPath ?? "bwrap", bwrap, perl, identity: sandboxIdentity(options.runAs), hiddenDirs };
}

function notFoundMessage(bwrapPath: string): string {
  return `bwrap not found (looked for "${bwrapPath}"): install bubblewrap (apt-get install bubblewrap) or remove \`sandbox: true\``;
}

async function runSandboxed(toolsPromise: Promise<SandboxTools>, spec: ExecSpec, onLine: (line: OutputLine) => void, signal?: AbortSignal): Promise<ExecOutcome> {
  const startedAt = performance.now();
  const command = shellArgv(spec.command, spec.limits);
  const tools = await toolsPromise;
  if (tools.bwrap === null) throw new PitstopError(ErrorCode.SANDBOX_UNAVAILABLE, notFoundMessage(tools.bwrapName), { details: { executor: "sandbox" } });
  if (signal?.aborted) return notStarted(startedAt, { cancelled: true });
  const prepared = await preparePaths(spec, tools.identity);
  if (typeof prepared === "string") return notStarted(startedAt, { spawnError: prepared });
  if (signal?.aborted) return notStarted(startedAt, { cancelled: true });

  const args = bwrapArgs({ spec, ...prepared, hiddenDirs: tools.hiddenDirs }, wrapCommand(command, tools.perl));
  const child = spawn(tools.bwrap, args, {
    cwd: "/",
    env: spec.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe", "pipe", "pipe"],
    ...(tools.identity === null ? {} : { uid: tools.identity.uid, gid: tools.identity.gid }),
  });
  const info = collect(child.stdio[3] as Readable | null);
  const status = collect(child.stdio[4] as Readable | null);
  const jobPgid = (): number | undefined => {
    const match = /"child-pid"\s*:\s*(\d+)/.exec(info.text);
    return match === null ? undefined : Number(match[1]);
  };
  let lastBwrapError: string | null = null;
  return superviseChild({
    child,
    spec,
    signal,
    startedAt,
    onLine: (line) => {
      if (line.stream === "stderr" && line.text.startsWith("bwrap: ")) lastBwrapError = line.text;
      onLine(line);
    },
    kill: (sig) => {
      if (sig === "SIGTERM") return killGroup(jobPgid() ?? child.pid, sig);
      killGroup(child.pid, sig);
      killGroup(jobPgid(), sig);
    },
    exitStatus: (leader) => {
      if (jobPgid() === undefined && leader.code !== null) return { exitCode: null, signal: null };
      return decodeWaitStatus(status.text) ?? { exitCode: leader.code, signal: leader.signal };
    },
    // bwrap exits before writing child-pid only when it could not build the sandbox.
    setupError: () => (jobPgid() === undefined && child.exitCode !== null ? `sandbox setup failed: ${lastBwrapError ?? `bwrap exited with ${child.exitCode}`}` : null),
  });
}

interface PreparedPaths {
  cwd: string;
  writable: string[];
}

/** Resolves cwd and writablePaths to real absolute paths, or says why the job cannot use them. */
async function preparePaths(spec: ExecSpec, identity: SandboxIdentity | null): Promise<PreparedPaths | string> {
  const requested = [{ path: spec.cwd, label: "cwd" }, ...(spec.writablePaths ?? []).map((path) => ({ path, label: "writable path" }))];
  const resolved: string[] = [];
  for (const { path, label } of requested) {
    const problem = await checkDirectory(path, label);
    if (problem !== null) return problem;
    resolved.push(await realpath(resolvePath(path)));
  }
  if (identity !== null) {
    const denied = await firstUnwritable(resolved, identity);
    if (denied !== null) return "error" in denied ? denied.error : unwritableMessage(denied.path, identity);
  }
  const [cwd, ...writable] = resolved as [string, ...string[]];
  return { cwd, writable };
}

function unwritableMessage(path: string, identity: SandboxIdentity): string {
  return `EACCES: ${path} is not writable by uid ${identity.uid}, which the sandbox runs as because pitstop runs as root: ` +
    `create workspaces where that uid can reach them and owned by it (chown -R ${identity.uid}:${identity.gid} ${path}), or run pitstop as an unprivileged user`;
}

function bwrapArgs(input: { spec: ExecSpec; cwd: string; writable: string[]; hiddenDirs: string[] }, command: string[]): string[] {
  const args = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"];
  for (const dir of input.hiddenDirs) {
    if (dir === "/run" && input.spec.network) continue; // DNS (resolv.conf) often lives under /run
    args.push("--tmpfs", dir);
  }
  // A checkout under /tmp whose node_modules/.bin is on the job's PATH is mounted back read-only,
  // so its tools still run (/root and /home stay hidden: the sandbox uid could not reach them anyway).
  for (const dir of nodeModulesOnPath(input.spec.env.PATH)) args.push("--ro-bind", dir, dir);
  // After the tmpfs mounts, so a workspace under /tmp, /home or /root is mounted back on top.
  for (const path of [input.cwd, ...input.writable]) args.push("--bind", path, path);
  args.push("--chdir", input.cwd, "--unshare-all");
  if (input.spec.network) args.push("--share-net");
  args.push("--die-with-parent", "--new-session", "--json-status-fd", "3", "--", ...command);
  return args;
}

/** `<dir>/node_modules` for every `<dir>/node_modules/.bin` on PATH under /tmp (its links point into it). */
function nodeModulesOnPath(pathEnv: string | undefined): string[] {
  const out = new Set<string>();
  for (const entry of (pathEnv ?? "").split(":")) {
    if (!entry.startsWith("/tmp/") || !entry.endsWith("/node_modules/.bin")) continue;
    const dir = entry.slice(0, -"/.bin".length);
    if (existsSync(dir)) out.add(dir);
  }
  return [...out];
}

/**
 * Waits for the shell and writes its raw wait status to fd 4, which the shell does not inherit.
 * It keeps SIGTERM/SIGINT/SIGHUP from killing it (the job's group receives them too) so that it can
 * report the status; its no-op handlers reset to default on exec, so the shell is unaffected.
 */
const STATUS_WRAPPER = [
  "$SIG{$_} = sub {} for qw(TERM INT HUP);",
  "my $pid = fork; exit 126 unless defined $pid;",
  "if ($pid == 0) { $SIG{$_} = 'DEFAULT' for qw(TERM INT HUP); open(my $fd, '<&=', 4) and close($fd); exec { $ARGV[0] } @ARGV; exit 127 }",
  "waitpid($pid, 0); my $st = $?;",
  "if ($st >= 0 && open(my $out, '>&=', 4)) { print $out \"$st\\n\"; close($out) }",
  "exit($st & 127 ? 128 + ($st & 127) : $st >> 8);",
].join("\n");

function wrapCommand(command: string[], perl: string | null): string[] {
  return perl === null ? command : [perl, "-e", STATUS_WRAPPER, "--", ...command];
}

function collect(stream: Readable | null): { text: string } {
  const box = { text: "" };
  stream?.on("data", (d: Buffer) => (box.text += d.toString("utf8")));
  return box;
}
