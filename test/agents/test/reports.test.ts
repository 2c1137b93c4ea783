import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseCobertura, parseLcov } from "../../../src/agents/test/coverage.js";
import { parseJestJson } from "../../../src/agents/test/jest-report.js";
import { toJUnitXml } from "../../../src/agents/test/write-junit.js";
import { parseJUnit } from "../../../src/insights/junit.js";
import { FIXTURES } from "./fixture-project.js";

const jestJson = () => readFile(path.join(FIXTURES, "reports", "jest-output.json"), "utf8");

describe("jest --json conversion", () => {
  it("turns jest's results into test cases named like vitest's, with a case for a file that could not run", async () => {
    const { cases, problems } = parseJestJson(await jestJson(), "out.xml", "/work/project", (s) => s);
    expect(problems).toEqual([]);
    expect(cases.map((c) => `${c.suite}|${c.name}|${c.status}`)).toEqual([
      "src/math.test.js|math > adds|passed",
      "src/math.test.js|math > division > rounds down|failed",
      "src/math.test.js|top level|passed",
      "src/math.test.js|math > later|skipped",
      "src/math.test.js|math > someday|skipped",
      "src/broken.test.js|(test file failed to run)|errored",
    ]);
    const failed = cases[1];
    expect(failed?.classname).toBe("math division");
    expect(failed?.message).toContain("Expected: 4\nReceived: 3.5");
    expect(failed?.message).not.toContain("\u001b");
    expect(cases[5]?.message).toContain("Cannot find module './missing'");
  });

  it("masks secrets in names and messages", async () => {
    const { cases } = parseJestJson(await jestJson(), "out.xml", "/work/project", (s) => s.replaceAll("3.5", "***"));
    expect(cases[1]?.message).toContain("Received: ***");
  });

  it("reports a file that is not jest's JSON as a problem", () => {
    expect(parseJestJson("{oops", "j.json", "/", (s) => s).problems[0]).toMatch(/^j\.json: not valid JSON from jest --json/);
    expect(parseJestJson('{"testResults": 3}', "j.json", "/", (s) => s).problems[0]).toMatch(/^j\.json: not a jest --json report: .+ at testResults$/);
  });

  it("writes the cases as JUnit XML that reads back the same", async () => {
    const { cases } = parseJestJson(await jestJson(), "out.xml", "/work/project", (s) => s);
    const back = parseJUnit(toJUnitXml(cases, "jest"), "out.xml");
    expect(back.problems).toEqual([]);
    expect(back.cases.map((c) => [c.suite, c.classname, c.name, c.status])).toEqual(cases.map((c) => [c.suite, c.classname, c.name, c.status]));
    expect(back.cases[1]?.message).toContain("Received: 3.5");
  });
});

describe("coverage files", () => {
  it("sums an lcov tracefile over its records", () => {
    const lcov = ["TN:", "SF:a.js", "FNF:2", "FNH:1", "BRF:4", "BRH:3", "LF:10", "LH:8", "end_of_record", "SF:b.js", "FNF:1", "FNH:1", "BRF:0", "BRH:0", "LF:10", "LH:10", "end_of_record", ""].join("\n");
    expect(parseLcov(lcov, "c/lcov.info")).toEqual({
      lines: { covered: 18, total: 20, pct: 90 },
      branches: { covered: 3, total: 4, pct: 75 },
      functions: { covered: 2, total: 3, pct: 66.67 },
      source: "lcov",
      file: "c/lcov.info",
    });
    expect(parseLcov("hello", "x.info")).toEqual({ problem: "x.info: not an lcov tracefile (no SF: records)" });
  });

  it("reads coverage.py's Cobertura totals", () => {
    const xml = `<?xml version="1.0" ?>
<coverage version="7.6.1" timestamp="1763769600000" lines-valid="120" lines-covered="96" line-rate="0.8" branches-covered="10" branches-valid="16" branch-rate="0.625" complexity="0">
  <sources><source>/work/project</source></sources>
  <packages><package name="app" line-rate="0.8" branch-rate="0.625" complexity="0"><classes/></package></packages>
</coverage>`;
    expect(parseCobertura(xml, "coverage.xml")).toEqual({
      lines: { covered: 96, total: 120, pct: 80 },
      branches: { covered: 10, total: 16, pct: 62.5 },
      source: "cobertura",
      file: "coverage.xml",
    });
  });

  it("counts <line hits> when a Cobertura writer gives only rates", () => {
    const xml = `<coverage line-rate="0.5"><packages><package><classes><class filename="a.js"><lines><line number="1" hits="3"/><line number="2" hits="0"/></lines></class></classes></package></packages></coverage>`;
    expect(parseCobertura(xml, "c.xml")).toMatchObject({ lines: { covered: 1, total: 2, pct: 50 } });
    expect(parseCobertura("<report/>", "c.xml")).toEqual({ problem: "c.xml: not a Cobertura report (no <coverage> element)" });
  });
});
