import { execFile } from "node:child_process";
import { mkdtemp, readdir, readlink, rm } from "node:fs/promises";
import { connect, createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

// `pitstop demo --exit --json` from the built CLI (run `npm run build` first), twice on fresh data
// dirs: every fault is injected into the really deployed example app and handled by the real loop.

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
// Builds the CLI program from dist and adds `demo` when main.ts does not register it yet.
const LAUNCH = `
import { buildProgram } from ${JSON.stringify(path.join(ROOT, "dist/cli/main.js"))};
import { registerDemoCommand } from ${JSON.stringify(path.join(ROOT, "dist/cli/commands/demo.js"))};
let code = 0;
const io = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd(), isTTY: false };
const program = buildProgram(io, (c) => (code = c));
if (!program.commands.some((c) => c.name() === "demo")) registerDemoCommand(program, { io, setExit: (c) => (code = c), globals: () => program.opts() });
await program.parseAsync(process.argv);
process.exitCode = code;
`;

interface Row { scenario: string; decision: string | null; verdict: string; recoverMs: number | null; healable: boolean; ok: boolean }
interface DemoJson { ok: boolean; stopped: boolean; scenarios: Row[]; audit: { ok: boolean; count: number } }

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), resolve(false)));
    socket.once("error", () => resolve(true));
  });
}

/** Live processes whose working directory is inside `dir` (the deployed releases live there). */
async function processesIn(dir: string): Promise<number[]> {
  const found: number[] = [];
  for (const pid of (await readdir("/proc")).filter((p) => /^\d+$/.test(p))) {
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => null);
    if (cwd?.startsWith(dir)) found.push(Number(pid));
  }
  return found;
}

async function demo(): Promise<{ code: number | null; json: DemoJson; dataDir: string; port: number; stderr: string }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "pitstop-demo-"));
  dirs.push(dataDir);
  const port = await freePort();
  const args = ["--input-type=module", "-e", LAUNCH, "pitstop", "--data-dir", dataDir, "demo", "--exit", "--json", "--port", String(port)];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: dataDir, timeout: 150_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      try {
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, json: JSON.parse(stdout) as DemoJson, dataDir, port, stderr });
      } catch (e) {
        reject(new Error(`demo printed no JSON (${String(e)}):\n${stderr.slice(-3000)}`));
      }
    });
  });
}

const EXPECTED = [
  ["crash", "restart", "healed"],
  ["overload", "scale_up", "healed"],
  ["false alarm", "noop", "healed"],
  ["bad release", "rollback", "healed"],
  // A real test job fails once; the loop reruns only the failed test in a new run on the same commit.
  ["flaky test", "rerun_failed_tests", "healed"],
  // The flaky-test detector compares the two runs; quarantine is proven by a rerun of the whole job.
  ["flaky test confirmed", "quarantine_test", "healed"],
  ["data anomaly", "escalate", "escalated"],
];

describe("pitstop demo (e2e, built CLI)", () => {
  it("heals every healable scenario, escalates the rest, keeps the audit chain intact, stops everything, and decides the same twice", async () => {
    const first = await demo();
    expect(first.code, first.stderr.slice(-3000)).toBe(0);
    expect(first.json.scenarios.map((r) => [r.scenario, r.decision, r.verdict])).toEqual(EXPECTED);
    for (const r of first.json.scenarios.filter((x) => x.verdict === "healed")) expect(r.recoverMs).toBeGreaterThan(0);
    expect(first.json.audit.ok).toBe(true);
    expect(first.json.audit.count).toBeGreaterThan(20);
    expect(first.json).toMatchObject({ ok: true, stopped: true });
    expect(await refuses(first.port)).toBe(true);
    expect(await processesIn(first.dataDir)).toEqual([]);

    const second = await demo();
    expect(second.code, second.stderr.slice(-3000)).toBe(0);
    expect(second.json.scenarios.map((r) => r.decision)).toEqual(first.json.scenarios.map((r) => r.decision));
    expect(await processesIn(second.dataDir)).toEqual([]);
  }, 320_000);
});
