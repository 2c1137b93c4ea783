import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { PassThrough } from "node:stream";
import { promisify } from "node:util";
import { Command } from "commander";
import { registerOnboardCommand } from "../../../src/cli/commands/onboard.js";
import type { CliIO } from "../../../src/cli/io.js";
import { coerceError } from "../../../src/core/errors.js";

const run = promisify(execFile);

export function tempDirs() {
  const made: string[] = [];
  return {
    async make(prefix: string): Promise<string> {
      const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
      made.push(dir);
      return dir;
    },
    async removeAll(): Promise<void> {
      await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
    },
  };
}

export const GREEN_PIPELINE = "jobs:\n  hello:\n    steps:\n      - run: echo hello from the first run\n";
export const RED_PIPELINE = "jobs:\n  hello:\n    steps:\n      - run: exit 7\n";

/** A real git repository with one commit holding `files`. */
export async function makeGitRepo(dir: string, files: Record<string, string>): Promise<string> {
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  const git = (...args: string[]) => run("git", ["-C", dir, "-c", "user.name=pitstop test", "-c", "user.email=test@pitstop.invalid", "-c", "init.defaultBranch=main", ...args]);
  await git("init", "--quiet");
  await git("add", "--all");
  await git("commit", "--quiet", "-m", "first");
  return dir;
}

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

const sink = (chunks: string[]): Writable =>
  new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });

/** `pitstop onboard …` on a fresh commander program as main.ts wires it, with captured output. */
export async function onboardCli(args: string[], opts: { cwd: string; dataDir: string }): Promise<Ran> {
  const out: string[] = [];
  const err: string[] = [];
  let code = 0;
  const env = { PITSTOP_DATA_DIR: opts.dataDir, PATH: process.env.PATH, HOME: process.env.HOME, USER: "tester", PITSTOP_LOG_LEVEL: "warn" };
  const io: CliIO = { stdout: sink(out), stderr: sink(err), stdin: new PassThrough(), env, cwd: opts.cwd, isTTY: false };
  const program = new Command().name("pitstop").option("--data-dir <dir>").exitOverride();
  program.configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => err.push(s) });
  registerOnboardCommand(program, { io, setExit: (c) => (code = c), globals: () => program.opts<{ dataDir?: string }>() });
  try {
    await program.parseAsync(["node", "pitstop", "onboard", ...args]);
  } catch (e) {
    // As main.ts does: a thrown error is a usage error (2) or an internal one (3).
    const pe = coerceError(e);
    err.push(`pitstop: ${pe.message}\n`);
    code = pe.code === "USAGE" || (e as { code?: string }).code?.startsWith("commander.") ? 2 : 3;
  }
  return { code, stdout: out.join(""), stderr: err.join("") };
}
