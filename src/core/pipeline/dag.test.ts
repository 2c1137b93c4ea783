import { describe, expect, it } from "vitest";
import { findCycles, topoSort } from "./dag.js";

const graph = (g: Record<string, string[]>) => [Object.keys(g), (n: string) => g[n] ?? []] as const;

describe("topoSort", () => {
  it("puts needs first and breaks ties by declaration order", () => {
    expect(topoSort(...graph({ deploy: ["build", "test"], test: ["build"], lint: [], build: [] }))).toEqual(["lint", "build", "test", "deploy"]);
  });

  it("ignores self-needs, unknown needs and duplicates", () => {
    expect(topoSort(...graph({ b: ["a", "a", "b", "zzz"], a: [] }))).toEqual(["a", "b"]);
  });

  it("appends jobs caught in a cycle in declaration order", () => {
    expect(topoSort(...graph({ x: ["y"], y: ["x"], z: [] }))).toEqual(["z", "x", "y"]);
  });

  it("handles a long chain without recursion limits", () => {
    const g: Record<string, string[]> = {};
    for (let i = 0; i < 5000; i++) g[`j${i}`] = i === 0 ? [] : [`j${i - 1}`];
    const order = topoSort(...graph(g));
    expect(order[0]).toBe("j0");
    expect(order[4999]).toBe("j4999");
  });
});

describe("findCycles", () => {
  it("finds none in a DAG", () => {
    expect(findCycles(...graph({ a: [], b: ["a"], c: ["a", "b"] }))).toEqual([]);
  });

  it("names each cycle from its earliest-declared job", () => {
    expect(findCycles(...graph({ a: ["c"], b: ["a"], c: ["b"], d: ["e"], e: ["d"], f: ["f"] }))).toEqual([
      ["a", "c", "b", "a"],
      ["d", "e", "d"],
    ]);
  });

  it("reports the shortest cycle through the first job of a tangled group", () => {
    expect(findCycles(...graph({ a: ["b", "c"], b: ["c"], c: ["a"] }))).toEqual([["a", "c", "a"]]);
  });

  it("finds a cycle at the end of a long chain", () => {
    const g: Record<string, string[]> = {};
    for (let i = 0; i < 5000; i++) g[`j${i}`] = [`j${i + 1}`];
    g.j5000 = ["j4999"];
    expect(findCycles(...graph(g))).toEqual([["j4999", "j5000", "j4999"]]);
  });
});
