import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { Writable, PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { buildProgram } from "../../../src/cli/main.js";
import type { CliIO } from "../../../src/cli/io.js";
import { GREEN_PIPELINE, RED_PIPELINE, tempDirs } from "./fixtures.js";

const dirs = tempDirs();
afterEach(() => dirs.removeAll());

/** `pitstop run` after its body moved into the exported runPipelineFile (used by onboard). */
async function pitstopRun(cwd: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (c: string[]) => new Writable({ write: (chunk: Buffer, _e, done) => (c.push(chunk.toString()), done()) });
  const io: CliIO = { stdout: sink(out), stderr: sink(err), stdin: new PassThrough(), env: { PATH: process.env.PATH, PITSTOP_LOG_LEVEL: "warn" }, cwd, isTTY: false };
  let code = 0;
  await buildProgram(io, (c) => (code = c)).parseAsync(["node", "pitstop", "--data-dir", path.join(cwd, ".data"), "run", ...args]);
  return { code, stdout: out.join(""), stderr: err.join("") };
}

describe("pitstop run (through runPipelineFile)", () => {
  it("--json prints only the run record on stdout; the exit code follows the run", async () => {
    const cwd = await dirs.make("pitstop-run-json-");
    await writeFile(path.join(cwd, "pipeline.yml"), GREEN_PIPELINE);
    const green = await pitstopRun(cwd, "--json");
    expect(green.code).toBe(0);
    expect(JSON.parse(green.stdout)).toMatchObject({ status: "succeeded", workspace: cwd, pipelineFile: "pipeline.yml" });

    await mkdir(path.join(cwd, "ci"));
    await writeFile(path.join(cwd, "ci", "red.yml"), RED_PIPELINE);
    const red = await pitstopRun(cwd, "-f", "ci/red.yml");
    expect(red.code).toBe(1);
    expect(red.stdout).not.toContain('"status"');
  });
});
