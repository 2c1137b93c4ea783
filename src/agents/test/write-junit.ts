import type { TestCase } from "../../core/run/test-case.js";

function escapeXml(s: string): string {
  // Characters XML 1.0 cannot carry at all (control characters) are dropped.
  // eslint-disable-next-line no-control-regex -- that is the point
  const clean = s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "");
  return clean.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/**
 * Writes test cases as a JUnit XML report (one `<testsuite>` per suite), for runners that have no
 * JUnit output of their own (jest), so every test stage leaves the same kind of file behind.
 */
export function toJUnitXml(cases: readonly TestCase[], name: string): string {
  const suites = new Map<string, TestCase[]>();
  for (const c of cases) suites.set(c.suite, [...(suites.get(c.suite) ?? []), c]);
  const count = (list: readonly TestCase[], s: TestCase["status"]): number => list.filter((c) => c.status === s).length;
  const lines = [`<?xml version="1.0" encoding="UTF-8"?>`, `<testsuites name="${escapeXml(name)}" tests="${cases.length}" failures="${count(cases, "failed")}" errors="${count(cases, "errored")}">`];
  for (const [suite, list] of suites) {
    const attrs = `name="${escapeXml(suite)}" tests="${list.length}" failures="${count(list, "failed")}" errors="${count(list, "errored")}" skipped="${count(list, "skipped")}"`;
    lines.push(`  <testsuite ${attrs}>`);
    for (const c of list) {
      const head = `    <testcase classname="${escapeXml(c.classname)}" name="${escapeXml(c.name)}" time="${(c.durationMs / 1000).toFixed(3)}"`;
      const body = outcomeElement(c);
      lines.push(body === null ? `${head}/>` : `${head}>${body}</testcase>`);
    }
    lines.push("  </testsuite>");
  }
  lines.push("</testsuites>", "");
  return lines.join("\n");
}

function outcomeElement(c: TestCase): string | null {
  const message = c.message ?? "";
  const firstLine = message.split("\n")[0] ?? "";
  switch (c.status) {
    case "passed":
      return null;
    case "skipped":
      return "<skipped/>";
    case "failed":
      return `<failure message="${escapeXml(firstLine)}">${escapeXml(message)}</failure>`;
    case "errored":
      return `<error message="${escapeXml(firstLine)}">${escapeXml(message)}</error>`;
  }
}
