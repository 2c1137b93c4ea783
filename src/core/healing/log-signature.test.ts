import { describe, expect, it } from "vitest";
import { fnv1a32, fnv1a32Hex } from "./hash.js";
import { logSignature, normaliseLogLine } from "./log-signature.js";

describe("fnv1a32", () => {
  it("matches the published FNV-1a test vectors", () => {
    expect(fnv1a32Hex("")).toBe("811c9dc5");
    expect(fnv1a32Hex("a")).toBe("e40c292c");
    expect(fnv1a32Hex("foobar")).toBe("bf9cf968");
  });

  it("hashes the UTF-8 bytes, so non-ASCII text hashes as other tools do", () => {
    // "é" is C3 A9 in UTF-8: hash the two bytes by hand.
    let h = 0x811c9dc5;
    for (const b of [0xc3, 0xa9]) h = Math.imul(h ^ b, 0x01000193) >>> 0;
    expect(fnv1a32("é")).toBe(h);
    expect(fnv1a32("😀")).not.toBe(fnv1a32("😁"));
  });
});

describe("normaliseLogLine", () => {
  const cases: Array<[string, string]> = [
    ["2024-05-01T12:34:56.789Z ERROR connection refused", "<ts> ERROR connection refused"],
    ["[12:34:56] worker 17 exited with code 137", "[<ts>] worker <n> exited with code <n>"],
    ["request 3f2b8c1e-9d4a-4b7e-8f3a-2c1d0e9b8a7f failed", "request <uuid> failed"],
    ["at Object.<anonymous> (/home/ci/work/src/app.test.js:42:13)", "at Object.<anonymous> (<path>)"],
    ["Error in C:\\build\\app\\main.ts:10", "Error in <path>"],
    ["fetch https://registry.npmjs.org/left-pad failed", "fetch <url> failed"],
    ["segfault at 0x7ffd5e8c, commit 9fceb02d0ae598e95dc970b74767f19372d61af8", "segfault at <hex>, commit <hex>"],
    ["\u001b[31mFAIL\u001b[39m   took 1.5s   ", "FAIL took <n>s"],
  ];
  for (const [input, expected] of cases) it(JSON.stringify(input), () => expect(normaliseLogLine(input)).toBe(expected));
});

describe("logSignature", () => {
  it("gives the same template and hash to the same failure on another run", () => {
    const a = logSignature(["2024-05-01T10:00:00Z test login failed", "AssertionError: expected 200, got 503 at /tmp/run-81/app.test.js:12:5"]);
    const b = logSignature(["2024-06-11T22:13:09Z test login failed", "AssertionError: expected 200, got 500 at /tmp/run-99/app.test.js:40:1"]);
    expect(a).toEqual(b);
    expect(a.template).toBe("<ts> test login failed\nAssertionError: expected <n>, got <n> at <path>");
    expect(a.hash).toMatch(/^[0-9a-f]{8}$/);
  });

  it("separates different failures", () => {
    expect(logSignature(["ECONNREFUSED 127.0.0.1:5432"]).hash).not.toBe(logSignature(["ENOSPC: no space left on device"]).hash);
  });

  it("keeps the last non-empty lines only", () => {
    const lines = ["noise 1", "", "a", "b", "  ", "c"];
    expect(logSignature(lines, 2).template).toBe("b\nc");
    expect(logSignature([]).template).toBe("");
  });
});
