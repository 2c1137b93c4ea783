import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { MAX_MESSAGE_CHARS, parseJUnit } from "../../src/insights/junit.js";
import { countTests } from "../../src/core/run/test-case.js";
import { createMasker } from "../../src/core/secrets/mask.js";

function fixture(name: string): string {
  return readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), "utf8");
}
function parseFixture(name: string): ReturnType<typeof parseJUnit> {
  return parseJUnit(fixture(name), `reports/${name}`);
}
const pick = (r: ReturnType<typeof parseJUnit>, name: string) => {
  const c = r.cases.find((x) => x.name === name);
  if (c === undefined) throw new Error(`no case named ${name}`);
  return c;
};

describe("parseJUnit: real reporter output", () => {
  it("node --test --test-reporter=junit (Node 20): nested suites and top-level cases", () => {
    const r = parseFixture("node20.xml");
    expect(r.problems).toEqual([]);
    expect(countTests(r.cases)).toEqual({ total: 6, passed: 2, failed: 2, errored: 0, skipped: 2 });
    expect(pick(r, "top level passes")).toMatchObject({ suite: "", classname: "test", status: "passed", file: "reports/node20.xml" });
    expect(pick(r, "adds")).toMatchObject({ suite: "math", durationMs: 1, message: null });
    const nested = pick(r, "throws");
    expect(nested).toMatchObject({ suite: "math > nested", status: "failed" });
    expect(nested.message).toContain("TypeError [Error]: boom");
    // Entities are decoded once, exactly as written (node double-escapes quotes in the attribute).
    expect(pick(r, "subtracts wrongly").message).toMatch(/^3 - 1 should be 1 <oops> & &quot;quoted&quot;2 !== 1\n/);
    expect(pick(r, "skipped one")).toMatchObject({ status: "skipped", message: "not on CI" });
  });

  it("pytest --junitxml: failure, setup error, skip and xfail", () => {
    const r = parseFixture("pytest.xml");
    expect(r.problems).toEqual([]);
    expect(countTests(r.cases)).toEqual({ total: 5, passed: 1, failed: 1, errored: 1, skipped: 2 });
    const failed = pick(r, "test_discount");
    expect(failed).toMatchObject({ suite: "pytest", classname: "test_sample.TestCart", durationMs: 1 });
    expect(failed.message).toMatch(/^AssertionError: discount <10%> & rounding\nassert 9.0 == 9.5\n/);
    expect(failed.message).toContain("test_sample.py:8: AssertionError");
    expect(pick(r, "test_error_fixture")).toMatchObject({ status: "errored" });
    expect(pick(r, "test_error_fixture").message).toContain("RuntimeError: database unavailable");
    expect(pick(r, "test_known_bug")).toMatchObject({ status: "skipped", message: "known bug #12" });
  });

  it("vitest junit reporter: message attribute repeated in the body is not duplicated", () => {
    const r = parseFixture("vitest.xml");
    expect(r.problems).toEqual([]);
    expect(countTests(r.cases)).toEqual({ total: 6, passed: 2, failed: 2, errored: 0, skipped: 2 });
    const c = pick(r, "cart > applies <coupon> & tax");
    expect(c).toMatchObject({ suite: "cart.test.ts", classname: "cart.test.ts", durationMs: 12 });
    expect(c.message).toMatch(/^AssertionError: expected \{ total: 9 \} to deeply equal \{ total: 10 \}\n/);
    expect(c.message).toContain('-   "total": 10,');
    expect(c.message?.match(/to deeply equal/g)).toHaveLength(1);
  });

  it("jest-junit: several <failure> bodies without attributes, and a suite that failed to run", () => {
    const r = parseFixture("jest-junit.xml");
    expect(r.problems).toEqual([]);
    expect(countTests(r.cases)).toEqual({ total: 5, passed: 2, failed: 1, errored: 1, skipped: 1 });
    const c = pick(r, "Cart totals applies the discount");
    expect(c.message).toContain("Expected: 90\nReceived: 100");
    expect(c.message).toContain("\n\nError: second assertion in the same test also failed");
    expect(pick(r, "src/broken.test.js")).toMatchObject({ status: "errored", classname: "Test suite failed to run" });
  });

  it("mocha-junit-reporter: empty Root Suite, CDATA bodies kept verbatim", () => {
    const r = parseFixture("mocha-junit.xml");
    expect(r.problems).toEqual([]);
    expect(countTests(r.cases)).toEqual({ total: 4, passed: 2, failed: 1, errored: 0, skipped: 1 });
    const c = pick(r, "api GET /health reports the version");
    expect(c).toMatchObject({ suite: "GET /health", classname: "reports the version", durationMs: 39 });
    expect(c.message).toMatch(/^AssertionError: expected '0.9.0' to equal '1.0.0'\n {4}at Context.<anonymous>/);
    expect(pick(r, "api POST /orders creates an order & returns 201").classname).toBe("creates an order & returns 201");
  });

  it("a single <testsuite> root (Surefire): CDATA is not entity-decoded, odd times become numbers", () => {
    const r = parseFixture("surefire.xml");
    expect(r.problems).toEqual([]);
    expect(r.cases.map((c) => [c.suite, c.name, c.status, c.durationMs])).toEqual([
      ["com.example.shop.CartTest", "totalIsSum", "passed", 1_230_500],
      ["com.example.shop.CartTest", "emptyCart", "passed", 0],
      ["com.example.shop.CartTest", "checkout", "errored", 0],
    ]);
    expect(pick(r, "checkout").message).toMatch(/^java\.net\.ConnectException: Connection refused\n\tat /);
  });
});

describe("parseJUnit: bad input becomes problems, never exceptions", () => {
  it("empty file", () => {
    expect(parseJUnit("", "reports/junit.xml")).toEqual({ cases: [], problems: ["reports/junit.xml: empty file, expected a JUnit XML report"] });
    expect(parseJUnit("  \n", "r.xml").problems).toEqual(["r.xml: empty file, expected a JUnit XML report"]);
  });

  it("malformed XML, with line and column", () => {
    expect(parseFixture("malformed.xml")).toEqual({
      cases: [],
      problems: [
        "reports/malformed.xml:5:3: malformed XML: Expected closing tag 'testcase' (opened in line 4, col 5) instead of closing tag 'testsuite'.",
      ],
    });
    const truncated = parseJUnit('<testsuites><testsuite name="a"><testcase name="x"', "cut.xml");
    expect(truncated.cases).toEqual([]);
    expect(truncated.problems).toHaveLength(1);
    expect(truncated.problems[0]).toMatch(/^cut\.xml:1(:\d+)?: malformed XML: /);
  });

  it("plain text and non-JUnit roots", () => {
    expect(parseFixture("not-junit.html").problems).toEqual([
      "reports/not-junit.html: not a JUnit report: root element <html>, expected <testsuites> or <testsuite>",
    ]);
    expect(parseJUnit("<coverage line-rate='0.8'/>", "c.xml").problems).toEqual([
      "c.xml: not a JUnit report: root element <coverage>, expected <testsuites> or <testsuite>",
    ]);
    const text = parseJUnit("Tests passed: 12", "out.xml");
    expect(text.cases).toEqual([]);
    expect(text.problems[0]).toMatch(/^out\.xml:1:1: malformed XML: /);
  });

  it("does not expand DOCTYPE entities (billion laughs)", () => {
    const r = parseFixture("billion-laughs.xml");
    expect(r.problems).toEqual([]);
    expect(r.cases).toHaveLength(1);
    const c = r.cases[0];
    expect(c?.suite).toBe("lolz &lol9;");
    expect(c?.name).toBe("laughs &lol9;");
    // Decoded once: &amp;lol1; is the text "&lol1;", not a reference to expand.
    expect(c?.message).toBe("&lol9; and &lol1;");
  });

  it("refuses external entities (XXE) instead of reading files", () => {
    const r = parseFixture("xxe.xml");
    expect(r.cases).toEqual([]);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatch(/^reports\/xxe\.xml: could not read the report: /);
    expect(r.problems[0]).not.toContain("root:x:0:0");
  });

  it("names cases without a name attribute and reports them once", () => {
    const r = parseJUnit('<testsuite name="s"><testcase classname="a"/><testcase classname="b"/></testsuite>', "n.xml");
    expect(r.cases.map((c) => c.name)).toEqual(["(unnamed)", "(unnamed)"]);
    expect(r.problems).toEqual(['n.xml: 2 <testcase> element(s) without a name attribute, shown as "(unnamed)"']);
  });
});

describe("parseJUnit: messages", () => {
  it(`truncates long bodies to ${MAX_MESSAGE_CHARS} characters`, () => {
    const body = "x".repeat(50_000);
    const r = parseJUnit(`<testsuite name="s"><testcase name="t"><failure>${body}</failure></testcase></testsuite>`, "t.xml");
    expect(r.cases[0]?.message).toBe(`${"x".repeat(MAX_MESSAGE_CHARS)}… (truncated)`);
  });

  it("masks names and messages with the given masker before truncating", () => {
    const secret = "tok_9f8e7d6c5b4a";
    const xml = `<testsuite name="api"><testcase name="login with ${secret}"><failure message="401 for ${secret}">Authorization: Bearer ${secret}</failure></testcase></testsuite>`;
    const r = parseJUnit(xml, "m.xml", { mask: createMasker([secret]) });
    expect(JSON.stringify(r)).not.toContain(secret);
    expect(r.cases[0]).toMatchObject({ name: "login with ***", message: "401 for ***\nAuthorization: Bearer ***" });
  });

  it("decodes character references and leaves unknown entities as written", () => {
    const r = parseJUnit('<testsuite name="s"><testcase name="a&#x20;b&#233;"><failure message="x &nbsp; &#0; y"/></testcase></testsuite>', "e.xml");
    expect(r.cases[0]).toMatchObject({ name: "a bé", message: "x &nbsp; &#0; y" });
  });
});

describe("parseJUnit: size", () => {
  it("reads a report of tens of megabytes", () => {
    const suites: string[] = [];
    for (let s = 0; s < 1_000; s++) {
      const cases: string[] = [];
      for (let i = 0; i < 100; i++) {
        const failure = i % 25 === 0 ? `<failure message="boom ${i}">${"    at frame (file.js:1:1)\n".repeat(40)}</failure>` : "";
        cases.push(`<testcase classname="pkg.S${s}" name="case ${i} &amp; co" time="0.0${i}">${failure}</testcase>`);
      }
      suites.push(`<testsuite name="suite ${s}">\n${cases.join("\n")}\n</testsuite>`);
    }
    const xml = `<?xml version="1.0"?>\n<testsuites>\n${suites.join("\n")}\n</testsuites>`;
    expect(xml.length).toBeGreaterThan(10_000_000);
    const r = parseJUnit(xml, "big.xml");
    expect(r.problems).toEqual([]);
    expect(countTests(r.cases)).toEqual({ total: 100_000, passed: 96_000, failed: 4_000, errored: 0, skipped: 0 });
    expect(r.cases.at(-1)).toMatchObject({ suite: "suite 999", name: "case 99 & co", durationMs: 99 });
  });
});
