import { realpath } from "node:fs/promises";
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { isPitstopError } from "../../src/core/errors.js";
import { createProcessExecutor } from "../../src/executor/adapters/process.js";
import { defineExecutorConformance, findProcesses } from "../../src/executor/conformance.js";
import type { ExecSpec } from "../../src/executor/port.js";

defineExecutorConformance("process", () => createProcessExecutor());

describe("process executor", () => {
  const spec = async (command: string, extra: Partial<ExecSpec> = {}): Promise<ExecSpec> => ({
    command, cwd: await realpath(tmpdir()), env: { PATH: "/usr/bin:/bin" }, timeoutMs: 30_000, network: false, outputLimitBytes: 100_000, ...extra,
  });

  it("is named process", () => {
    expect(createProcessExecutor().name).toBe("process");
  });

  it("stops the step and rejects when the output callback throws", async () => {
    const marker = `600.${process.pid}${Date.now()}`;
    const run = createProcessExecutor().run(await spec(`echo one; sleep ${marker}`, { timeoutMs: null }), () => {
      throw new Error("consumer broke");
    });
    const error = await run.then(() => null, (e: unknown) => e);
    expect(isPitstopError(error, "EXECUTOR_FAILED")).toBe(true);
    expect((error as Error).message).toContain("consumer broke");
    expect(await findProcesses(marker)).toEqual([]);
  });

  it("rejects limits that are not positive whole numbers", async () => {
    const error = await createProcessExecutor().run(await spec("true", { limits: { cpuSeconds: 1.5 } }), () => {}).then(() => null, (e: unknown) => e);
    expect(isPitstopError(error, "USAGE")).toBe(true);
    expect((error as Error).message).toContain("limits.cpuSeconds");
  });

  it("reports a cwd that is a file", async () => {
    const outcome = await createProcessExecutor().run(await spec("true", { cwd: "/etc/hostname" }), () => {});
    expect(outcome.spawnError).toBe("ENOTDIR: cwd /etc/hostname is not a directory");
  });
});
