import { describe, expect, it } from "vitest";
import { parseLintOutput } from "../../../src/agents/lint/parse-lint-output.js";

// Output samples in the shapes the real tools print (ruff 0.6+, pylint 3, eslint 9, tsc 5.9);
// ruff and pylint are not installed here, so their parsers are checked against these.

describe("ruff JSON", () => {
  const sample = JSON.stringify([
    {
      cell: null,
      code: "F401",
      end_location: { column: 10, row: 1 },
      filename: "/srv/proj/app/main.py",
      fix: { applicability: "safe", edits: [{ content: "", end_location: { column: 1, row: 2 }, location: { column: 1, row: 1 } }], message: "Remove unused import: `os`" },
      location: { column: 8, row: 1 },
      message: "`os` imported but unused",
      noqa_row: 1,
      url: "https://docs.astral.sh/ruff/rules/unused-import",
    },
    { cell: null, code: null, end_location: { column: 6, row: 3 }, filename: "/srv/proj/app/broken.py", fix: null, location: { column: 5, row: 3 }, message: "SyntaxError: Expected an expression", noqa_row: null, url: null },
  ]);

  it("reads every diagnostic as an error, with rule docs", () => {
    const parsed = parseLintOutput("ruff-json", sample);
    expect(parsed.problem).toBeNull();
    expect(parsed.runs[0]?.findings).toEqual([
      { tool: "ruff", file: "/srv/proj/app/main.py", line: 1, column: 8, rule: "F401", severity: "error", message: "`os` imported but unused" },
      { tool: "ruff", file: "/srv/proj/app/broken.py", line: 3, column: 5, rule: null, severity: "error", message: "SyntaxError: Expected an expression" },
    ]);
    expect(parsed.runs[0]?.rules).toEqual([{ id: "F401", helpUri: "https://docs.astral.sh/ruff/rules/unused-import" }]);
  });

  it("names the bad field of output that is not ruff's", () => {
    expect(parseLintOutput("ruff-json", '[{"code":"F401"}]').problem).toMatch(/^ruff output does not have the expected shape: \[0\]\.message/);
    expect(parseLintOutput("ruff-json", "warning: no config\n[").problem).toMatch(/^ruff output is not valid JSON/);
  });
});

describe("pylint JSON", () => {
  const json = JSON.stringify([
    { type: "convention", module: "app.main", obj: "", line: 1, column: 0, endLine: null, endColumn: null, path: "app/main.py", symbol: "missing-module-docstring", message: "Missing module docstring", "message-id": "C0114" },
    { type: "error", module: "app.main", obj: "f", line: 5, column: 11, endLine: 5, endColumn: 14, path: "app/main.py", symbol: "undefined-variable", message: "Undefined variable 'foo'", "message-id": "E0602" },
    { type: "warning", module: "app.main", obj: "", line: 2, column: 0, endLine: 2, endColumn: 9, path: "app/main.py", symbol: "unused-import", message: "Unused import os", "message-id": "W0611" },
  ]);

  it("maps types to levels and 0-based columns to 1-based", () => {
    const parsed = parseLintOutput("pylint-json", json);
    expect(parsed.problem).toBeNull();
    expect(parsed.runs[0]?.findings.map((f) => [f.severity, f.rule, f.line, f.column])).toEqual([
      ["note", "missing-module-docstring", 1, 1],
      ["error", "undefined-variable", 5, 12],
      ["warning", "unused-import", 2, 1],
    ]);
    expect(parsed.runs[0]?.rules[1]).toEqual({ id: "undefined-variable", description: "E0602 (undefined-variable)" });
  });

  it("reads the json2 format too", () => {
    const json2 = JSON.stringify({
      messages: [{ type: "fatal", module: "x", obj: "", line: 1, column: 0, endLine: null, endColumn: null, path: "x.py", absolutePath: "/p/x.py", symbol: "syntax-error", message: "Parsing failed", messageId: "E0001", confidence: "UNDEFINED" }],
      statistics: { messageTypeCount: { fatal: 1 }, modulesLinted: 1, score: 0 },
    });
    expect(parseLintOutput("pylint-json", json2).runs[0]?.findings).toEqual([{ tool: "pylint", file: "x.py", line: 1, column: 1, rule: "syntax-error", severity: "error", message: "Parsing failed" }]);
  });
});

describe("eslint JSON", () => {
  it("reads plain `json` output, fatal parse errors included", () => {
    const out = JSON.stringify([
      { filePath: "/p/src/a.js", messages: [{ ruleId: "no-var", severity: 1, message: "Unexpected var", line: 1, column: 1, nodeType: "VariableDeclaration" }], errorCount: 0, warningCount: 1 },
      { filePath: "/p/src/b.js", messages: [{ ruleId: null, fatal: true, severity: 2, message: "Parsing error: Unexpected token }", line: 3, column: 1 }], errorCount: 1, warningCount: 0 },
      { filePath: "/p/src/c.js", messages: [], errorCount: 0, warningCount: 0 },
    ]);
    const parsed = parseLintOutput("eslint-json", out);
    expect(parsed.runs[0]?.findings).toEqual([
      { tool: "eslint", file: "/p/src/a.js", line: 1, column: 1, rule: "no-var", severity: "warning", message: "Unexpected var" },
      { tool: "eslint", file: "/p/src/b.js", line: 3, column: 1, rule: null, severity: "error", message: "Parsing error: Unexpected token }" },
    ]);
  });

  it("says so when the output is not eslint's", () => {
    expect(parseLintOutput("eslint-json", "").problem).toBe("eslint output is empty");
    expect(parseLintOutput("eslint-json", '{"errors": 1}').problem).toMatch(/^eslint output does not have the expected shape/);
  });
});

describe("tsc output", () => {
  it("reads located and project-wide diagnostics and keeps chained message lines", () => {
    const out = [
      "src/a.ts(1,14): error TS2322: Type 'string' is not assignable to type 'number'.",
      "src/b.ts(4,3): error TS2345: Argument of type '{ a: string; }' is not assignable to parameter of type 'Opts'.",
      "  Object literal may only specify known properties, and 'a' does not exist in type 'Opts'.",
      "error TS18003: No inputs were found in config file 'tsconfig.json'.",
      "",
    ].join("\n");
    const findings = parseLintOutput("tsc", out, "tsconfig.json").runs[0]?.findings ?? [];
    expect(findings.map((f) => [f.file, f.line, f.column, f.rule, f.severity])).toEqual([
      ["src/a.ts", 1, 14, "TS2322", "error"],
      ["src/b.ts", 4, 3, "TS2345", "error"],
      ["tsconfig.json", 1, 1, "TS18003", "error"],
    ]);
    expect(findings[1]?.message).toContain("\nObject literal may only specify known properties");
  });
});
