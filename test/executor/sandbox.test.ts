import { existsSync } from "node:fs";
import { chown, mkdir, mkdtemp, readFile, realpath, rm, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isPitstopError } from "../../src/core/errors.js";
import { createSandboxExecutor, isSandboxAvailable } from "../../src/executor/adapters/sandbox.js";
import { defineExecutorConformance, findProcesses } from "../../src/executor/conformance.js";
import type { ExecOutcome, ExecSpec, Executor, OutputLine } from "../../src/executor/port.js";
import { NOBODY } from "../../src/executor/sandbox-host.js";

const availability = await isSandboxAvailable();
const isRoot = process.getuid?.() === 0;
// As root the sandbox runs as nobody, so its workspace must belong to nobody (see sandbox.ts).
const prepareWorkspace = async (dir: string): Promise<void> => {
  if (isRoot) await chown(dir, NOBODY.uid, NOBODY.gid);
};
const PG_SOCKET = "/run/postgresql/.s.PGSQL.5432";

if (!availability.ok) {
  console.warn(`sandbox tests skipped: ${availability.reason}`);
  describe("sandbox executor", () => {
    it.skip(`skipped: ${availability.reason}`, () => {});
  });
} else {
  defineExecutorConformance("sandbox", () => createSandboxExecutor(), { prepareWorkspace });

  describe("sandbox executor: isolation", () => {
    let executor: Executor;
    let cwd: string;
    const cleanups: string[] = [];

    beforeEach(async () => {
      executor = createSandboxExecutor();
      cwd = await realpath(await mkdtemp(join(tmpdir(), "pitstop-sandbox-")));
      cleanups.push(cwd);
      await prepareWorkspace(cwd);
    });
    afterEach(async () => {
      for (const path of cleanups.splice(0)) await rm(path, { recursive: true, force: true });
    });

    const run = async (command: string, extra: Partial<ExecSpec> = {}): Promise<{ outcome: ExecOutcome; out: string[]; err: string[] }> => {
      const lines: OutputLine[] = [];
      const spec: ExecSpec = { command, cwd, env: { PATH: "/usr/bin:/bin" }, timeoutMs: 30_000, network: false, outputLimitBytes: 1_000_000, ...extra };
      const outcome = await executor.run(spec, (l) => lines.push(l));
      return { outcome, out: lines.filter((l) => l.stream === "stdout").map((l) => l.text), err: lines.filter((l) => l.stream === "stderr").map((l) => l.text) };
    };
    const redisPing = 'exec 3<>/dev/tcp/127.0.0.1/6379 && printf "PING\\r\\n" >&3 && head -c 5 <&3';

    it("has no network unless the job asks for it", async () => {
      const closed = await run(`bash -c '${redisPing}'`);
      expect(closed.outcome.exitCode).not.toBe(0);
      expect(closed.out).toEqual([]);
      const open = await run(`bash -c '${redisPing}'`, { network: true });
      expect(open.outcome.exitCode).toBe(0);
      expect(open.out).toEqual(["+PONG"]);
    });

    it.skipIf(!existsSync(PG_SOCKET))("hides Unix sockets under /run without network", async () => {
      expect((await run(`test -S ${PG_SOCKET}`)).outcome.exitCode).toBe(1);
      expect((await run(`test -S ${PG_SOCKET}`, { network: true })).outcome.exitCode).toBe(0);
    });

    it("can write its workspace and writablePaths, nothing else", async () => {
      const extra = await realpath(await mkdtemp(join(tmpdir(), "pitstop-sandbox-extra-")));
      cleanups.push(extra);
      await prepareWorkspace(extra);
      // The checkout itself is a read-only probe too, unless it lives under /tmp (CI may clone there),
      // where the sandbox's private /tmp would take the write.
      const probes = ["/usr/pitstop-probe", "/var/tmp/pitstop-probe", "/etc/pitstop-probe", ...(process.cwd().startsWith("/tmp/") ? [] : [`${process.cwd()}/pitstop-probe`])];
      const { outcome, out, err } = await run(
        `echo ws > ./made && echo extra > ${extra}/made && for p in ${probes.join(" ")}; do if touch "$p"; then echo "wrote $p"; fi; done; true`,
        { writablePaths: [extra] },
      );
      expect(outcome.exitCode, err.join("\n")).toBe(0);
      expect(out).toEqual([]);
      expect(await readFile(join(cwd, "made"), "utf8")).toBe("ws\n");
      expect(await readFile(join(extra, "made"), "utf8")).toBe("extra\n");
      expect(err.filter((l) => /Read-only file system/.test(l))).toHaveLength(probes.length);
      expect(existsSync(join(process.cwd(), "pitstop-probe"))).toBe(false);
    });

    it("cannot read the home directories of /root and /home", async () => {
      const home = homedir();
      const probe = join(home, `.pitstop-sandbox-probe-${process.pid}`);
      await writeFile(probe, "secret\n", { mode: 0o644 });
      try {
        const { outcome, out } = await run(`cat ${probe}; ls -A /root /home`);
        expect(out).not.toContain("secret");
        expect(out.filter((l) => l !== "" && !l.endsWith(":"))).toEqual([]);
        expect(outcome.exitCode).toBe(0); // ls succeeds on the empty tmpfs; cat's failure is not the last status
      } finally {
        await rm(probe, { force: true });
      }
    });

    it.skipIf(!isRoot)("runs as nobody when pitstop runs as root, so root's files stay closed", async () => {
      const { out, err } = await run("id -u; id -g; cat /etc/shadow");
      expect(out).toEqual([String(NOBODY.uid), String(NOBODY.gid)]);
      expect(err.join("\n")).toContain("Permission denied");
    });

    it.skipIf(!isRoot)("refuses a workspace the sandbox uid cannot write, saying how to fix it", async () => {
      const rootOwned = join(cwd, "root-owned");
      await mkdir(rootOwned, { mode: 0o755 });
      const { outcome } = await run("true", { cwd: rootOwned });
      expect(outcome).toMatchObject({ exitCode: null, pid: null });
      expect(outcome.spawnError).toContain(`${rootOwned} is not writable by uid 65534`);
      expect(outcome.spawnError).toContain("chown -R 65534:65534");
    });

    it("kills processes that left the job's process group once the job ends", async () => {
      const marker = `600.${process.pid}${Date.now()}`;
      const { outcome, out } = await run(`setsid sleep ${marker} >/dev/null 2>&1 < /dev/null & echo detached`);
      expect(outcome.exitCode).toBe(0);
      expect(out).toEqual(["detached"]);
      expect(await findProcesses(marker)).toEqual([]);
    });

    it("keeps env values out of the world-readable command line", async () => {
      const secret = `pitstop-secret-${process.pid}-${Date.now()}`;
      const controller = new AbortController();
      let leaked: number[] | null = null;
      const outcome = await executor.run(
        { command: "echo started; sleep 600", cwd, env: { PATH: "/usr/bin:/bin", TOKEN: secret }, timeoutMs: null, network: false, outputLimitBytes: 1000 },
        (line) => {
          if (line.text !== "started") return;
          void findProcesses(secret).then((pids) => {
            leaked = pids;
            controller.abort();
          });
        },
        controller.signal,
      );
      expect(outcome.cancelled).toBe(true);
      expect(leaked).toEqual([]);
    });

    it("without perl reports a death by signal N as exit 128+N", async () => {
      executor = createSandboxExecutor({ perlPath: "/nonexistent/perl" });
      const { outcome } = await run("kill -9 $$");
      expect(outcome).toMatchObject({ exitCode: 137, signal: null });
    });
  });
}

describe("sandbox executor: without bwrap", () => {
  it("rejects with SANDBOX_UNAVAILABLE and says what to do", async () => {
    const executor = createSandboxExecutor({ bwrapPath: "/nonexistent/bwrap" });
    const spec: ExecSpec = { command: "true", cwd: tmpdir(), env: {}, timeoutMs: null, network: false, outputLimitBytes: 1000 };
    const error = await executor.run(spec, () => {}).then(() => null, (e: unknown) => e);
    expect(isPitstopError(error, "SANDBOX_UNAVAILABLE")).toBe(true);
    expect((error as Error).message).toContain("bwrap not found (looked for \"/nonexistent/bwrap\")");
    expect((error as Error).message).toContain("apt-get install bubblewrap");
    expect((error as Error).message).toContain("sandbox: true");
  });

  it("isSandboxAvailable answers why not", async () => {
    const result = await isSandboxAvailable("/nonexistent/bwrap");
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.reason).toContain("bwrap not found");
  });
});
