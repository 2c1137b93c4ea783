import { describe, expect, it } from "vitest";
import { createLineDecoder, createOutputBudget, decodeBytes } from "../../src/executor/line-decoder.js";
import type { OutputBudget } from "../../src/executor/line-decoder.js";

function decodeChunks(chunks: (string | number[])[], options: { limit?: number; maxLineBytes?: number } = {}): { lines: string[]; budget: OutputBudget } {
  const budget = createOutputBudget(options.limit ?? 1_000_000);
  const lines: string[] = [];
  const decoder = createLineDecoder({ budget, onLine: (t) => lines.push(t), maxLineBytes: options.maxLineBytes });
  for (const c of chunks) decoder.write(typeof c === "string" ? Buffer.from(c, "utf8") : Buffer.from(c));
  decoder.end();
  return { lines, budget };
}

describe("line decoder", () => {
  it("splits on newlines and keeps partial lines across chunks", () => {
    expect(decodeChunks(["ab", "c\nde", "f\n\ng"]).lines).toEqual(["abc", "def", "", "g"]);
  });

  it("drops one \\r before \\n, also when the pair straddles two chunks, and keeps other \\r", () => {
    expect(decodeChunks(["a\r", "\nb\r\r\nc\rd\n"]).lines).toEqual(["a", "b\r", "c\rd"]);
  });

  it("delivers nothing for empty output and a final line without newline", () => {
    expect(decodeChunks([]).lines).toEqual([]);
    expect(decodeChunks(["x"]).lines).toEqual(["x"]);
  });

  it("counts every byte, terminators included", () => {
    const { budget } = decodeChunks(["a\r\nbb\nccc"]);
    expect(budget).toMatchObject({ deliveredBytes: 9, truncatedBytes: 0, exhausted: false });
  });

  it("writes invalid bytes as upper-case \\xNN and keeps valid text around them", () => {
    expect(decodeChunks([[0xff, 0xfe, 0x6f, 0x6b, 0x0a]]).lines).toEqual(["\\xFF\\xFEok"]);
    // A truncated 3-byte sequence: each byte escaped on its own, the following ASCII intact.
    expect(decodeBytes(Buffer.from([0xe2, 0x82, 0x41]))).toBe("\\xE2\\x82A");
    // Overlong encoding of "/", and a UTF-16 surrogate: both invalid in UTF-8.
    expect(decodeBytes(Buffer.from([0xc0, 0xaf]))).toBe("\\xC0\\xAF");
    expect(decodeBytes(Buffer.from([0xed, 0xa0, 0x80]))).toBe("\\xED\\xA0\\x80");
    expect(decodeBytes(Buffer.from("é€😀", "utf8"))).toBe("é€😀");
  });

  it("leaves a literal backslash alone (the escape is ambiguous only for output that prints \\x itself)", () => {
    expect(decodeChunks(["C:\\dir\\xFF\n"]).lines).toEqual(["C:\\dir\\xFF"]);
  });

  it("keeps a multi-byte character split at every possible chunk boundary", () => {
    const bytes = [...Buffer.from("a😀b€\n", "utf8")];
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(decodeChunks([bytes.slice(0, cut), bytes.slice(cut)]).lines).toEqual(["a😀b€"]);
    }
    expect(decodeChunks(bytes.map((b) => [b])).lines).toEqual(["a😀b€"]);
  });

  it("cuts a very long line into pieces of at most maxLineBytes, on character boundaries", () => {
    const { lines, budget } = decodeChunks(["€".repeat(10) + "\n"], { maxLineBytes: 8 });
    expect(lines).toEqual(["€€", "€€", "€€", "€€", "€€"]);
    expect(budget.deliveredBytes).toBe(31);
    const long = decodeChunks(["x".repeat(150_000), "y\n"]);
    expect(long.lines.map((l) => l.length)).toEqual([65_536, 65_536, 18_929]);
    expect(long.lines.join("")).toBe("x".repeat(150_000) + "y");
  });

  it("does not leave a \\r of CRLF at the end of a piece", () => {
    const { lines, budget } = decodeChunks(["abcd\r", "\nef\n"], { maxLineBytes: 4 });
    expect(lines).toEqual(["abcd", "ef"]);
    expect(budget.deliveredBytes).toBe(9);
  });

  it("delivers whole lines while they fit the budget, then only counts", () => {
    const { lines, budget } = decodeChunks(["1234\n5678\n9\n", "more output\n", "tail"], { limit: 11 });
    expect(lines).toEqual(["1234", "5678"]);
    expect(budget).toMatchObject({ deliveredBytes: 10, truncatedBytes: 18, exhausted: true });
  });

  it("shares one budget between two streams", () => {
    const budget = createOutputBudget(6);
    const seen: string[] = [];
    const out = createLineDecoder({ budget, onLine: (t) => seen.push(`out:${t}`) });
    const err = createLineDecoder({ budget, onLine: (t) => seen.push(`err:${t}`) });
    out.write(Buffer.from("ab\n"));
    err.write(Buffer.from("cd\n"));
    out.write(Buffer.from("ef\n"));
    err.write(Buffer.from("g"));
    out.end();
    err.end();
    expect(seen).toEqual(["out:ab", "err:cd"]);
    expect(budget).toMatchObject({ deliveredBytes: 6, truncatedBytes: 4 });
  });

  it("ignores writes after end and ends only once", () => {
    const budget = createOutputBudget(100);
    const lines: string[] = [];
    const decoder = createLineDecoder({ budget, onLine: (t) => lines.push(t) });
    decoder.write(Buffer.from("a"));
    decoder.end();
    decoder.end();
    decoder.write(Buffer.from("b\n"));
    expect(lines).toEqual(["a"]);
  });
});
