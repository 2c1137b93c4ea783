import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../src/core/errors.js";

// docs/errors.md promises one row per ErrorCode; this keeps the two in step (DESIGN.md §5).
const DOC = fileURLToPath(new URL("../../docs/errors.md", import.meta.url));

interface Row {
  code: string;
  retryable: string;
  meaning: string;
  action: string;
}

function rows(markdown: string): Row[] {
  return markdown
    .split("\n")
    .filter((l) => /^\|\s*`[A-Z0-9_]+`\s*\|/.test(l))
    .map((l) => {
      const cells = l.split("|").slice(1, -1).map((c) => c.trim());
      return { code: (cells[0] ?? "").replace(/`/g, ""), retryable: cells[1] ?? "", meaning: cells[2] ?? "", action: cells[3] ?? "" };
    });
}

describe("docs/errors.md", () => {
  const table = rows(readFileSync(DOC, "utf8"));

  it("lists exactly the codes of ErrorCode", () => {
    expect(new Set(table.map((r) => r.code))).toEqual(new Set(Object.values(ErrorCode)));
  });

  it("lists each code once", () => {
    const codes = table.map((r) => r.code);
    expect(codes.filter((c, i) => codes.indexOf(c) !== i)).toEqual([]);
  });

  it("says for each code whether it is retryable, what it means and what to do", () => {
    for (const r of table) {
      expect({ code: r.code, retryable: r.retryable }).toEqual({ code: r.code, retryable: expect.stringMatching(/^(yes|no)$/) });
      expect(r.meaning.length, `${r.code}: meaning`).toBeGreaterThan(20);
      expect(r.action.length, `${r.code}: what to do`).toBeGreaterThan(5);
    }
  });
});
