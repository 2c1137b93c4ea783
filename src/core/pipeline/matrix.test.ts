import { describe, expect, it } from "vitest";
import { expandMatrix, matrixEnv, matrixJobId, matrixJobName, matrixRefs, substituteMatrix, type Combination, type MatrixSpec } from "./matrix.js";

const combos = (m: MatrixSpec): Combination[] => {
  const r = expandMatrix(m);
  if (!r.ok) throw new Error(JSON.stringify(r.drafts));
  return r.combinations;
};

describe("expandMatrix", () => {
  it("takes the cartesian product in declaration order", () => {
    expect(combos({ os: ["linux", "mac"], node: [18, 20] })).toEqual([
      { os: "linux", node: 18 },
      { os: "linux", node: 20 },
      { os: "mac", node: 18 },
      { os: "mac", node: 20 },
    ]);
  });

  it("excludes every combination that matches an entry partially", () => {
    expect(combos({ os: ["linux", "mac"], node: [18, 20], exclude: [{ os: "mac" }, { os: "linux", node: 18 }] })).toEqual([{ os: "linux", node: 20 }]);
  });

  it("matches 18 and '18' as the same value", () => {
    expect(combos({ node: [18, 20], exclude: [{ node: "18" }] })).toEqual([{ node: 20 }]);
  });

  it("extends matching combinations with include keys, never overwriting an axis value", () => {
    expect(
      combos({
        fruit: ["apple", "pear"],
        animal: ["cat", "dog"],
        include: [
          { color: "green" },
          { color: "pink", animal: "cat" },
          { fruit: "apple", shape: "circle" },
          { fruit: "banana" },
          { fruit: "banana", animal: "cat" },
        ],
      }),
    ).toEqual([
      // GitHub's documented example: added keys can be overwritten, axis values cannot.
      { fruit: "apple", animal: "cat", color: "pink", shape: "circle" },
      { fruit: "apple", animal: "dog", color: "green", shape: "circle" },
      { fruit: "pear", animal: "cat", color: "pink" },
      { fruit: "pear", animal: "dog", color: "green" },
      { fruit: "banana" },
      { fruit: "banana", animal: "cat" },
    ]);
  });

  it("adds an include entry that conflicts with every combination as its own combination", () => {
    expect(combos({ node: [18, 20], os: ["linux"], include: [{ node: 22, os: "linux" }], exclude: [{ node: 18 }] })).toEqual([
      { node: 20, os: "linux" },
      { node: 22, os: "linux" },
    ]);
  });

  it("expands a matrix of only include entries, keeping keys in first-seen order", () => {
    expect(combos({ include: [{ a: 1, b: 2 }, { b: 3, a: 4, c: 5 }] })).toEqual([
      { a: 1, b: 2 },
      { a: 4, b: 3, c: 5 },
    ]);
  });

  it("extends combinations that exclude left, after excluding", () => {
    expect(combos({ node: [18, 20], exclude: [{ node: 18 }], include: [{ node: 18, extra: true }] })).toEqual([{ node: 20 }, { node: 18, extra: true }]);
  });

  it("reports a matrix with no combinations", () => {
    expect(expandMatrix({ node: [1], exclude: [{ node: 1 }] })).toEqual({
      ok: false,
      drafts: [{ path: [], message: "the matrix expands to no jobs: `exclude` removes every combination" }],
    });
    expect(expandMatrix({})).toEqual({ ok: false, drafts: [{ path: [], message: "the matrix expands to no jobs: it has no axes and no `include` entries" }] });
  });

  it("reports bad axis names and exclude keys that are not axes", () => {
    expect(expandMatrix({ "node version": [1], exclude: [{ node: 1 }] })).toEqual({
      ok: false,
      drafts: [
        { path: ["node version"], target: "key", message: "invalid matrix axis name `node version`: use letters, digits, `_` and `-`" },
        { path: ["exclude", 0, "node"], target: "key", message: "exclude key `node` is not a matrix axis", hint: "axes: node version" },
      ],
    });
  });
});

describe("naming and substitution", () => {
  const c: Combination = { node: 20, "os-name": "linux", debug: false };

  it("names jobs and exports MATRIX_ variables", () => {
    expect(matrixJobId("test", c)).toBe("test[node=20,os-name=linux,debug=false]");
    expect(matrixJobName("test", c)).toBe("test (20, linux, false)");
    expect(matrixEnv(c)).toEqual({ MATRIX_NODE: "20", MATRIX_OS_NAME: "linux", MATRIX_DEBUG: "false" });
  });

  it("substitutes ${{ matrix.x }} with or without spaces; a missing key becomes empty", () => {
    expect(substituteMatrix("node ${{ matrix.node }} on ${{matrix.os-name}}${{ matrix.none }}!", c)).toBe("node 20 on linux!");
    expect(substituteMatrix("${{ env.X }} ${{ matrix.node }}", null)).toBe("${{ env.X }} ${{ matrix.node }}");
    expect(matrixRefs("${{ matrix.a }} ${{matrix.b}} ${{ env.c }}")).toEqual(["a", "b"]);
  });
});
