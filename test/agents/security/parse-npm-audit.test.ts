import { describe, expect, it } from "vitest";
import { fixText, parseNpmAudit } from "../../../src/agents/security/parse-npm-audit.js";
import { redactSecret } from "../../../src/agents/security/redact-secret.js";

// Shapes as npm 11.19 prints them (`npm audit --json`), trimmed.
const advisory = {
  source: 1179,
  name: "minimist",
  dependency: "minimist",
  title: "Prototype Pollution in minimist",
  url: "https://github.com/advisories/GHSA-xvch-5gv4-984h",
  severity: "high",
  cwe: ["CWE-1321"],
  cvss: { score: 7.5, vectorString: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H" },
  range: "<1.2.6",
};

describe("parseNpmAudit", () => {
  it("reads a v2 report, most severe first, with installed versions from the lockfile", () => {
    const report = {
      auditReportVersion: 2,
      vulnerabilities: {
        minimist: { name: "minimist", severity: "high", isDirect: true, via: [advisory], effects: [], range: "<1.2.6", nodes: ["node_modules/minimist"], fixAvailable: false },
        "left-pad": { name: "left-pad", severity: "low", isDirect: false, via: [{ ...advisory, source: 7, url: "", title: "Old", severity: "low", range: "<2.0.0", cvss: { score: 0, vectorString: null } }], effects: [], range: "<2.0.0", nodes: [], fixAvailable: true },
      },
      metadata: { vulnerabilities: { info: 0, low: 1, moderate: 0, high: 1, critical: 0, total: 2 }, dependencies: { total: 12 } },
    };
    const parsed = parseNpmAudit(report, (n) => (n === "node_modules/minimist" ? "1.2.0" : null));
    expect(parsed.kind).toBe("report");
    if (parsed.kind !== "report") return;
    expect(parsed.dependencies).toBe(12);
    expect(parsed.vulnerabilities.map((v) => [v.package, v.severity, v.installed, v.id, v.advisory, v.cvss, v.fix])).toEqual([
      ["minimist", "high", ["1.2.0"], "GHSA-xvch-5gv4-984h", "https://github.com/advisories/GHSA-xvch-5gv4-984h", 7.5, "no fix available"],
      ["left-pad", "low", [], "npm-7", "npm advisory 7", null, "upgrade left-pad to >=2.0.0 (npm audit fix)"],
    ]);
  });

  it("tells the advisory endpoint failing apart from a missing lockfile and anything else", () => {
    expect(parseNpmAudit({ message: "500 Internal Server Error - POST http://127.0.0.1:1/-/npm/v1/security/advisories/bulk", statusCode: 500, error: { summary: "", detail: "" } })).toEqual({
      kind: "endpoint",
      message: "500 Internal Server Error - POST http://127.0.0.1:1/-/npm/v1/security/advisories/bulk",
      statusCode: 500,
    });
    expect(parseNpmAudit({ message: "request to http://127.0.0.1:9/-/npm/v1/security/advisories/bulk failed, reason: connect ECONNREFUSED 127.0.0.1:9", error: { summary: "", detail: "" } })).toMatchObject({
      kind: "endpoint",
      statusCode: null,
    });
    expect(parseNpmAudit({ error: { code: "ENOLOCK", summary: "This command requires an existing lockfile.", detail: "…" } })).toEqual({ kind: "no-lockfile", message: "This command requires an existing lockfile." });
    expect(parseNpmAudit({ error: { code: "EJSONPARSE", summary: "Invalid package.json" } })).toEqual({ kind: "other", message: "EJSONPARSE: Invalid package.json" });
    expect(parseNpmAudit({ auditReportVersion: 1 })).toMatchObject({ kind: "other", message: expect.stringContaining("npm 7 or later") });
    expect(parseNpmAudit([])).toMatchObject({ kind: "other" });
  });
});

describe("fixText", () => {
  it("says which upgrade fixes it, or that nothing does", () => {
    expect(fixText({ name: "minimist", version: "1.2.8", isSemVerMajor: false }, "minimist", "<1.2.6")).toBe("upgrade minimist to 1.2.8");
    expect(fixText({ name: "mkdirp", version: "1.0.4", isSemVerMajor: true }, "minimist", "<1.2.6")).toBe("upgrade mkdirp to 1.0.4 (semver-major: `npm audit fix --force`)");
    expect(fixText(true, "minimist", "<=1.2.5")).toBe("upgrade minimist to >1.2.5 (npm audit fix)");
    expect(fixText(true, "qs", ">=6.0.0 <6.2.4")).toBe("upgrade qs to a version outside >=6.0.0 <6.2.4 (npm audit fix)");
    expect(fixText(false, "minimist", "<1.2.6")).toBe("no fix available");
  });
});

describe("redactSecret", () => {
  it("keeps secretlint's masking and collapses it", () => {
    expect(redactSecret(`found AWS Secret Access Key: ${"*".repeat(40)}`, "")).toBe("found AWS Secret Access Key: ****");
  });

  it("masks a secret a rule forgot to mask", () => {
    const secret = "q7Zp2LmX9vB4nR8tK1wY6cJ3hF5dG0sA2eU7iO4p";
    expect(redactSecret(`found token: ${secret}`, secret)).toBe("found token: ****");
    // Not the matched text (a rule's range can be off), but a long letter-digit token all the same.
    expect(redactSecret(`found token: ${secret}`, "aws_secret_access_key")).toBe("found token: ****");
    expect(redactSecret("found key: -----BEGIN PRIVATE KEY-----\nMIIEvgIBADANBgkqhkiG9w0BAQEFAASC", "-----BEGIN PRIVATE KEY-----\nMIIEvgIBADANBgkqhkiG9w0BAQEFAASC")).toBe("found key: ****");
  });

  it("leaves ordinary words and rule names alone", () => {
    expect(redactSecret("found basic auth credential in @secretlint/secretlint-rule-basicauth", "")).toBe("found basic auth credential in @secretlint/secretlint-rule-basicauth");
  });
});
