import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, readdir, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ExecOutcome, ExecSpec, Executor, OutputLine } from "./port.js";

export interface ExecutorConformanceOptions {
  /** Makes a fresh temp directory usable by the executor (the sandbox chowns it to its uid). */
  prepareWorkspace?: (dir: string) => Promise<void>;
}

/**
 * The Executor contract (src/executor/port.ts), run against every adapter. Commands use only
 * POSIX sh and coreutils. Processes are found by a unique `sleep` argument in /proc, which works
 * across PID namespaces, so "the grandchild is gone" means the same for every adapter.
 */
export function defineExecutorConformance(name: string, factory: () => Executor, options: ExecutorConformanceOptions = {}): void {
  describe(`Executor conformance: ${name}`, () => {
    let executor: Executor;
    let cwd: string;
    const baseEnv = { PATH: "/usr/local/bin:/usr/bin:/bin" };

    beforeEach(async () => {
      executor = factory();
      cwd = await realpath(await mkdtemp(join(tmpdir(), "pitstop-exec-")));
      await options.prepareWorkspace?.(cwd);
    });
    afterEach(async () => {
      await rm(cwd, { recursive: true, force: true });
    });

    const spec = (command: string, extra: Partial<ExecSpec> = {}): ExecSpec => ({
      command, cwd, env: baseEnv, timeoutMs: 30_000, network: false, outputLimitBytes: 10_000_000, ...extra,
    });
    const run = async (command: string, extra: Partial<ExecSpec> = {}, signal?: AbortSignal): Promise<{ outcome: ExecOutcome; lines: OutputLine[] }> => {
      const lines: OutputLine[] = [];
      const outcome = await executor.run(spec(command, extra), (l) => lines.push(l), signal);
      return { outcome, lines };
    };
    const textOf = (lines: OutputLine[], stream: OutputLine["stream"]): string[] => lines.filter((l) => l.stream === stream).map((l) => l.text);

    it("reports the exit code of a command that fails", async () => {
      const { outcome } = await run("exit 3");
      expect(outcome).toMatchObject({ exitCode: 3, signal: null, timedOut: false, cancelled: false, spawnError: null });
      expect(outcome.pid).toBeGreaterThan(0);
      expect(outcome.durationMs).toBeGreaterThanOrEqual(0);
    });

    it("reports exit 0 and the output of a command that succeeds", async () => {
      const { outcome, lines } = await run("echo hello");
      expect(outcome).toMatchObject({ exitCode: 0, signal: null, outputBytes: 6, truncatedBytes: 0 });
      expect(lines).toEqual([{ stream: "stdout", text: "hello" }]);
    });

    it("reports a death by signal as the signal, not as an exit code", async () => {
      const { outcome } = await run("kill -9 $$");
      expect(outcome).toMatchObject({ exitCode: null, signal: "SIGKILL", timedOut: false });
    });

    it("reports `exit 137` as an exit code, not as SIGKILL", async () => {
      const { outcome } = await run("exit 137");
      expect(outcome).toMatchObject({ exitCode: 137, signal: null });
    });

    it("reports a command that does not exist as exit 127", async () => {
      const { outcome, lines } = await run("pitstop-no-such-command-xyz");
      expect(outcome).toMatchObject({ exitCode: 127, spawnError: null });
      expect(textOf(lines, "stderr").join("\n")).toContain("pitstop-no-such-command-xyz");
    });

    it("reports a missing cwd as spawnError and never rejects", async () => {
      const { outcome } = await run("true", { cwd: join(cwd, "missing") });
      expect(outcome.spawnError).toMatch(/cwd .*missing does not exist/);
      expect(outcome).toMatchObject({ exitCode: null, signal: null, pid: null });
    });

    it("runs in the given cwd", async () => {
      const { lines } = await run("pwd");
      expect(textOf(lines, "stdout")).toEqual([cwd]);
    });

    it("passes exactly the given env, nothing inherited", async () => {
      const { lines } = await run("env", { env: { ...baseEnv, PITSTOP_PROBE: "a b=c" } });
      const names = textOf(lines, "stdout").map((l) => l.slice(0, l.indexOf("=")));
      // PWD is the shell's own: sh exports it at startup.
      expect(names.filter((n) => n !== "PWD").sort()).toEqual(["PATH", "PITSTOP_PROBE"]);
      expect(textOf(lines, "stdout")).toContain("PITSTOP_PROBE=a b=c");
    });

    it("delivers stdout and stderr lines in order per stream", async () => {
      const { outcome, lines } = await run("i=0; while [ $i -lt 300 ]; do echo out$i; echo err$i >&2; i=$((i+1)); done");
      const expected = (p: string) => Array.from({ length: 300 }, (_, i) => `${p}${i}`);
      expect(outcome.exitCode).toBe(0);
      expect(textOf(lines, "stdout")).toEqual(expected("out"));
      expect(textOf(lines, "stderr")).toEqual(expected("err"));
    });

    it("delivers a final line without newline and drops the \\r of CRLF", async () => {
      const { outcome, lines } = await run("printf 'a\\r\\nb\\n\\nlast'");
      expect(textOf(lines, "stdout")).toEqual(["a", "b", "", "last"]);
      expect(outcome.outputBytes).toBe(10);
    });

    it("keeps invalid UTF-8 bytes as upper-case \\xNN escapes", async () => {
      const { lines } = await run("printf '\\377\\376ok\\n'");
      expect(textOf(lines, "stdout")).toEqual(["\\xFF\\xFEok"]);
    });

    it("decodes a UTF-8 character split across two writes", async () => {
      // "€" is E2 82 AC; the pause makes the two halves arrive as separate chunks.
      const { lines } = await run("printf 'price: \\342\\202'; sleep 0.3; printf '\\254 5\\n'");
      expect(textOf(lines, "stdout")).toEqual(["price: € 5"]);
    });

    it("stops delivering at the output limit, counts the rest and lets the process finish", async () => {
      const limit = 1024 * 1024;
      const { outcome, lines } = await run("yes aaaaaaaaa | head -c 5000000", { outputLimitBytes: limit });
      expect(outcome).toMatchObject({ exitCode: 0, signal: null, timedOut: false });
      expect(outcome.outputBytes).toBeLessThanOrEqual(limit);
      expect(outcome.outputBytes).toBeGreaterThan(limit - 10);
      expect(outcome.outputBytes + outcome.truncatedBytes).toBe(5_000_000);
      expect(lines.length).toBe(outcome.outputBytes / 10);
      expect(lines.every((l) => l.text === "aaaaaaaaa")).toBe(true);
    });

    it("on timeout kills the whole group, grandchildren included", async () => {
      const marker = uniqueSleep();
      const { outcome, lines } = await run(`sleep ${marker} & echo started; wait`, { timeoutMs: 1500, killGraceMs: 500 });
      expect(textOf(lines, "stdout")).toEqual(["started"]);
      expect(outcome).toMatchObject({ timedOut: true, cancelled: false });
      expect(await findProcesses(marker)).toEqual([]);
    });

    it("escalates to SIGKILL after killGraceMs when SIGTERM is ignored", async () => {
      const marker = uniqueSleep();
      // An ignored disposition is inherited, so the background sleep ignores SIGTERM too.
      const { outcome } = await run(`trap '' TERM; sleep ${marker} & echo started; wait; wait`, { timeoutMs: 1000, killGraceMs: 300 });
      expect(outcome).toMatchObject({ timedOut: true, exitCode: null, signal: "SIGKILL" });
      expect(await findProcesses(marker)).toEqual([]);
    });

    it("on abort cancels the step and kills its group", async () => {
      const marker = uniqueSleep();
      const controller = new AbortController();
      const lines: OutputLine[] = [];
      const outcome = await executor.run(spec(`sleep ${marker} & echo started; wait`, { timeoutMs: null }), (l) => {
        lines.push(l);
        if (l.text === "started") controller.abort();
      }, controller.signal);
      expect(outcome).toMatchObject({ cancelled: true, timedOut: false });
      expect(await findProcesses(marker)).toEqual([]);
    });

    it("does not start a step whose signal is already aborted", async () => {
      const { outcome, lines } = await run("echo never", {}, AbortSignal.abort());
      expect(outcome).toMatchObject({ cancelled: true, pid: null, exitCode: null });
      expect(lines).toEqual([]);
    });

    it("does not hang on a background grandchild holding stdout, and cleans it up", async () => {
      const marker = uniqueSleep();
      const { outcome, lines } = await run(`sleep ${marker} & echo done`, { timeoutMs: null });
      expect(outcome).toMatchObject({ exitCode: 0, timedOut: false, cancelled: false });
      expect(textOf(lines, "stdout")).toEqual(["done"]);
      expect(await findProcesses(marker)).toEqual([]);
    });

    it("applies limits with ulimit", async () => {
      const { outcome, lines } = await run("ulimit -v; ulimit -t", { limits: { memoryBytes: 512 * 1024 * 1024, cpuSeconds: 7 } });
      expect(outcome.exitCode).toBe(0);
      expect(textOf(lines, "stdout")).toEqual(["524288", "7"]);
    });

    it("stops a busy loop at the CPU limit", async () => {
      const { outcome } = await run("while :; do :; done", { limits: { cpuSeconds: 1 } });
      expect(outcome.signal).toBe("SIGXCPU");
      expect(outcome.timedOut).toBe(false);
    });

    it("refuses a step that needs more memory than its limit", async () => {
      // The shell tries to hold 100 MB in a variable under a 32 MiB address-space cap.
      const { outcome, lines } = await run("x=$(head -c 100000000 /dev/zero | tr '\\0' a); echo ${#x}", { limits: { memoryBytes: 32 * 1024 * 1024 } });
      expect(outcome.exitCode === 0 && textOf(lines, "stdout").includes("100000000")).toBe(false);
    });
  });
}

/** A `sleep` argument no other process on the machine has: whole seconds plus a random fraction. */
function uniqueSleep(): string {
  return `600.${BigInt("0x" + randomBytes(6).toString("hex")).toString().padStart(15, "0").slice(0, 15)}`;
}

/** Live (non-zombie) processes whose command line contains `needle`, seen in the host's /proc. */
export async function findProcesses(needle: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline.split("\0").includes(needle)) found.push(Number(entry));
  }
  return found;
}
