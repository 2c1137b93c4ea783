import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import { loadCsvFile } from "../src/csv.js";
import { computeStats } from "../src/stats.js";
import { shippedDatasetsDir } from "./helpers.js";

/**
 * The flaky test of pitstop's healing demo. With FAULT_FLAKY_TEST=<marker file> it fails on its
 * first run (and writes the marker) and passes on every later run: failed, then passed on the same
 * commit, which is what a flaky-test detector looks for. Without the variable it is a plain test.
 */
describe("shipped student scores", () => {
  it("keep a mean score of at least 40 (flaky once when FAULT_FLAKY_TEST is set)", async () => {
    const marker = process.env["FAULT_FLAKY_TEST"];
    if (marker !== undefined && marker !== "" && !existsSync(marker)) {
      writeFileSync(marker, `failed once at ${new Date().toISOString()}\n`);
      assert.fail(`injected flaky failure (FAULT_FLAKY_TEST=${marker}); passes on the next run`);
    }
    const stats = computeStats(await loadCsvFile(`${shippedDatasetsDir}/student_scores.csv`));
    const score = stats.columns.find((c) => c.name === "score");
    assert.ok(typeof score?.mean === "number" && score.mean >= 40, `mean score ${String(score?.mean)}`);
  });
});
