import { existsSync } from "node:fs";
import { readdir, readFile, rm, rmdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createLintHandler } from "../../../src/agents/lint/create-lint-handler.js";
import { readSarifFindings } from "../../../src/agents/sarif/read-sarif.js";
import { silentLogger } from "../../../src/core/logger.js";
import { jobContext, planJob } from "../helpers/job-context.js";
import { BARE_PATH, REPO_ROOT } from "./fixture-project.js";

const APP = path.join(REPO_ROOT, "examples", "dashboard-app");
const PITSTOP_DIR = path.join(APP, ".pitstop");
const hadPitstopDir = existsSync(PITSTOP_DIR);
// Our own SARIF directory, so the test never touches what a real `pitstop run` left in the app.
const SARIF_DIR = `.pitstop/lint-test-${process.pid}`;

afterAll(async () => {
  await rm(path.join(APP, SARIF_DIR), { recursive: true, force: true });
  if (!hadPitstopDir && existsSync(PITSTOP_DIR) && (await readdir(PITSTOP_DIR)).length === 0) await rmdir(PITSTOP_DIR);
});

describe("lint stage on the real example app", () => {
  it("finds eslint and tsc through npx (root node_modules) and is green", async () => {
    const handler = createLintHandler({ dataDir: "/nonexistent", log: silentLogger, now: Date.now, agentEnv: {} });
    // The short form's job: no options of its own, plus the two shared ones. PATH has no
    // node_modules/.bin, so the tools are found the way `npx --no-install` finds them.
    const job = planJob("lint", { with: { sarif: `${SARIF_DIR}/lint.sarif`, notify_on_success: true, deploy_environment: "dev" } });
    const ctx = jobContext({ workspace: APP, job, env: { PATH: BARE_PATH } });
    const out = await handler(ctx);
    await ctx.logs.flush();
    expect(out.setupError).toBeNull();
    expect(out.ok).toBe(true);
    expect(out.stage?.summary).toBe("0 errors, 0 warnings (eslint, tsc)");
    expect(out.stage?.data).toMatchObject({ tools: ["eslint", "tsc"], counts: { error: 0, warning: 0, note: 0 }, total: 0 });
    expect(ctx.lines.filter((l) => l.startsWith("system: ▶")).map((l) => l.replace(/ --output-file .*/, ""))).toEqual([
      "system: ▶ eslint: npx --no-install eslint . --ignore-pattern '.pitstop/**' --format json-with-metadata",
      "system: ▶ tsc: npx --no-install tsc --noEmit -p tsconfig.json --pretty false",
    ]);
    const read = readSarifFindings(await readFile(path.join(APP, SARIF_DIR, "lint.sarif"), "utf8"));
    expect(read).toEqual({ findings: [], tools: ["eslint", "tsc"], problem: null });
  });
});
