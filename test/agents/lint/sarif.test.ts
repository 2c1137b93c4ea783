import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readSarifFindings } from "../../../src/agents/sarif/read-sarif.js";
import { buildSarif, SARIF_VERSION, writeSarif, type SarifRunInput } from "../../../src/agents/sarif/write-sarif.js";

// Parsed JSON navigated freely in assertions; the checks below are what keep it honest.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test-only
type Json = any;

/**
 * The structural rules of SARIF 2.1.0 that consumers (GitHub code scanning, VS Code's SARIF
 * viewer) depend on; returns every violation so a failure says what is wrong.
 */
function sarifViolations(log: unknown): string[] {
  const v: string[] = [];
  const o = log as Record<string, unknown>;
  if (o.version !== "2.1.0") v.push(`version is ${String(o.version)}`);
  if (typeof o.$schema !== "string" || !o.$schema.includes("sarif")) v.push("$schema missing");
  if (!Array.isArray(o.runs)) return [...v, "runs is not an array"];
  o.runs.forEach((run: Record<string, Json>, i: number) => {
    const driver = run.tool?.driver;
    if (typeof driver?.name !== "string" || driver.name === "") v.push(`runs[${i}].tool.driver.name missing`);
    const rules: Json[] = driver?.rules ?? [];
    const ids = rules.map((r) => r.id);
    if (new Set(ids).size !== ids.length) v.push(`runs[${i}] has duplicate rule ids`);
    if (!Array.isArray(run.results)) v.push(`runs[${i}].results is not an array`);
    (run.results ?? []).forEach((r: Record<string, Json>, j: number) => {
      const at = `runs[${i}].results[${j}]`;
      if (typeof r.message?.text !== "string" || r.message.text === "") v.push(`${at}.message.text missing`);
      if (!["none", "note", "warning", "error"].includes(r.level)) v.push(`${at}.level is ${r.level}`);
      if (r.ruleIndex !== undefined && rules[r.ruleIndex]?.id !== r.ruleId) v.push(`${at}.ruleIndex does not point at ${r.ruleId}`);
      for (const loc of r.locations ?? []) {
        const pl = loc.physicalLocation;
        if (typeof pl?.artifactLocation?.uri !== "string") v.push(`${at} location has no uri`);
        if (pl?.artifactLocation?.uriBaseId !== undefined && run.originalUriBaseIds?.[pl.artifactLocation.uriBaseId] === undefined) v.push(`${at} uriBaseId is not declared`);
        const region = pl?.region;
        if (region !== undefined && !(Number.isInteger(region.startLine) && region.startLine >= 1)) v.push(`${at} region.startLine invalid`);
        if (region?.startColumn !== undefined && !(region.startColumn >= 1)) v.push(`${at} region.startColumn invalid`);
      }
    });
  });
  return v;
}

const runs: SarifRunInput[] = [
  {
    tool: "eslint",
    informationUri: "https://eslint.org",
    rules: [{ id: "no-unused-vars", description: "Disallow unused variables", helpUri: "https://eslint.org/docs/latest/rules/no-unused-vars" }],
    findings: [
      { file: "src/bad.js", line: 2, column: 9, endLine: 2, endColumn: 15, rule: "no-unused-vars", severity: "error", message: "'unused' is assigned a value but never used." },
      { file: "src/dir with space/x.js", line: 1, column: 1, rule: "no-var", severity: "warning", message: "Unexpected var, use let or const instead." },
    ],
    invocation: { ok: true, exitCode: 1 },
  },
  {
    tool: "tsc",
    findings: [
      { file: "src/a.ts", line: 1, column: 14, rule: "TS2322", severity: "error", message: "Type 'string' is not assignable to type 'number'." },
      { file: null, line: null, column: null, rule: null, severity: "note", message: "project-wide note" },
    ],
  },
  { tool: "ruff", findings: [], invocation: { ok: false, exitCode: 2, message: "ruff failed (exit 2): bad config" } },
];

describe("SARIF writer", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it("builds a structurally valid SARIF 2.1.0 log with one run per tool", () => {
    const log = buildSarif(runs, { srcRoot: "/work/project" }) as Json;
    expect(sarifViolations(log)).toEqual([]);
    expect(log.version).toBe(SARIF_VERSION);
    expect(log.runs.map((r: Json) => r.tool.driver.name)).toEqual(["eslint", "tsc", "ruff"]);
    expect(log.runs[0].originalUriBaseIds["%SRCROOT%"].uri).toBe("file:///work/project/");
    const first = log.runs[0].results[0];
    expect(first).toMatchObject({
      ruleId: "no-unused-vars",
      ruleIndex: 0,
      level: "error",
      locations: [{ physicalLocation: { artifactLocation: { uri: "src/bad.js", uriBaseId: "%SRCROOT%" }, region: { startLine: 2, startColumn: 9, endLine: 2, endColumn: 15 } } }],
    });
    // A rule a finding uses but the input did not describe is still declared.
    expect(log.runs[0].tool.driver.rules.map((r: Json) => r.id)).toEqual(["no-unused-vars", "no-var"]);
    expect(log.runs[0].tool.driver.rules[0].helpUri).toContain("no-unused-vars");
    expect(log.runs[0].results[1].locations[0].physicalLocation.artifactLocation.uri).toBe("src/dir%20with%20space/x.js");
    expect(log.runs[1].results[1].locations).toBeUndefined();
    expect(log.runs[2].invocations[0]).toMatchObject({ executionSuccessful: false, exitCode: 2 });
  });

  it("writes the file (creating directories) and reads back the same findings", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "pitstop-sarif-"));
    dirs.push(dir);
    const file = path.join(dir, "deep", "reports", "lint.sarif");
    await writeSarif(file, runs, { srcRoot: dir });
    const text = await readFile(file, "utf8");
    expect(sarifViolations(JSON.parse(text))).toEqual([]);
    const read = readSarifFindings(text);
    expect(read.problem).toBeNull();
    expect(read.tools).toEqual(["eslint", "tsc", "ruff"]);
    const expected = runs.flatMap((r) => r.findings.map((f) => ({ tool: r.tool, file: f.file, line: f.line, column: f.column, rule: f.rule, severity: f.severity, message: f.message })));
    expect(read.findings.map(({ tool, file, line, column, rule, severity, message }) => ({ tool, file, line, column, rule, severity, message }))).toEqual(expected);
  });

  it("keeps absolute paths outside the source root as file URIs", () => {
    const log = buildSarif([{ tool: "x", findings: [{ file: "/etc/x y.conf", line: 3, column: null, rule: "r", severity: "warning", message: "m" }] }]) as Json;
    const uri = log.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri;
    expect(uri).toBe("file:///etc/x%20y.conf");
    expect(readSarifFindings(log).findings[0]?.file).toBe("/etc/x y.conf");
  });
});

describe("SARIF reader", () => {
  it("reads third-party SARIF: levels from rules' defaults, 'none' as note, missing level as warning", () => {
    const log = {
      version: "2.1.0",
      runs: [
        {
          tool: { driver: { name: "semgrep", rules: [{ id: "js.eval", defaultConfiguration: { level: "error" } }] } },
          results: [
            { ruleId: "js.eval", message: { text: "eval is dangerous" }, locations: [{ physicalLocation: { artifactLocation: { uri: "src/a.js" }, region: { startLine: 4, startColumn: 2 } } }] },
            { ruleIndex: 0, level: "none", message: { text: "fyi" } },
            { message: { text: "no rule, no level" } },
          ],
        },
      ],
    };
    const read = readSarifFindings(JSON.stringify(log));
    expect(read.problem).toBeNull();
    expect(read.findings).toEqual([
      { tool: "semgrep", file: "src/a.js", line: 4, column: 2, endLine: null, endColumn: null, rule: "js.eval", severity: "error", message: "eval is dangerous" },
      { tool: "semgrep", file: null, line: null, column: null, endLine: null, endColumn: null, rule: "js.eval", severity: "note", message: "fyi" },
      { tool: "semgrep", file: null, line: null, column: null, endLine: null, endColumn: null, rule: null, severity: "warning", message: "no rule, no level" },
    ]);
  });

  it.each([
    ["", /empty/],
    ["{not json", /not valid JSON/],
    ["[]", /not a SARIF log: \(root\)/],
    ['{"version":"2.1.0"}', /not a SARIF log: runs:/],
    ['{"version":"2.1.0","runs":[{"tool":{}}]}', /runs\[0\]\.tool\.driver/],
    ['{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"level":"fatal","message":{"text":"m"}}]}]}', /runs\[0\]\.results\[0\]\.level/],
    ['{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":"m"}]}]}', /runs\[0\]\.results\[0\]\.message/],
    ['{"version":"1.0.0","runs":[]}', /version "1\.0\.0"/],
  ])("malformed input %j gives a problem, not a crash", (input, problem) => {
    const read = readSarifFindings(input);
    expect(read.problem).toMatch(problem);
    expect(read.findings).toEqual([]);
  });

  it("accepts an already parsed value and rejects non-objects", () => {
    expect(readSarifFindings(42).problem).toMatch(/not a SARIF log/);
    expect(readSarifFindings(null).problem).toMatch(/not a SARIF log/);
    expect(readSarifFindings({ version: "2.1.0", runs: [] })).toEqual({ findings: [], tools: [], problem: null });
  });
});
