import { readdirSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { normalize, readJson, runScenario, type ScenarioOptions } from "./harness.js";

/**
 * Scenario tests (DESIGN.md §7.7): each folder holds a pipeline.yml, optional options.json and the
 * expected.json of the run it must produce, on the real orchestrator with a scripted executor.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const dirs = readdirSync(here, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

describe("scenarios", () => {
  it("has scenarios", () => expect(dirs.length).toBeGreaterThan(5));
  for (const name of dirs) {
    it(name, async () => {
      const dir = path.join(here, name);
      const opts = existsSync(path.join(dir, "options.json")) ? await readJson<ScenarioOptions>(path.join(dir, "options.json")) : {};
      const { report } = await runScenario(path.join(dir, "pipeline.yml"), opts);
      expect(normalize(report)).toEqual(await readJson(path.join(dir, "expected.json")));
    });
  }
});
