import { describe, expect, it } from "vitest";
import { parseSecretsEnv } from "./parse-secrets-env.js";

const FILE = ".pitstop/secrets.env";

describe("parseSecretsEnv", () => {
  it("reads plain, exported, quoted and commented entries", () => {
    const text = [
      "# deploy credentials",
      "",
      "NPM_TOKEN=npm_abc123",
      "export DEPLOY_KEY = xyz789   ",
      'GREETING="hello\\nworld \\"quoted\\" \\\\ \\t!"',
      "RAW='C:\\path\\n # not a comment'",
      "WITH_HASH=pa#ss  # trailing comment",
      "EMPTY=",
      'EMPTY_QUOTED=""',
      "URL=postgres://u:p@h:5432/db?sslmode=require",
      '   INDENTED="x"   # ok',
    ].join("\n");
    const { values, issues } = parseSecretsEnv(text, FILE);
    expect(issues).toEqual([]);
    expect(values).toEqual({
      NPM_TOKEN: "npm_abc123",
      DEPLOY_KEY: "xyz789",
      GREETING: 'hello\nworld "quoted" \\ \t!',
      RAW: "C:\\path\\n # not a comment",
      WITH_HASH: "pa#ss",
      EMPTY: "",
      EMPTY_QUOTED: "",
      URL: "postgres://u:p@h:5432/db?sslmode=require",
      INDENTED: "x",
    });
  });

  it("accepts quoted values spanning lines (PEM keys) and CRLF files with a BOM", () => {
    const text = '\uFEFFKEY="-----BEGIN KEY-----\r\nMIIB\r\n-----END KEY-----"\r\nNEXT=1\r\n';
    const { values, issues } = parseSecretsEnv(text, FILE);
    expect(issues).toEqual([]);
    expect(values).toEqual({ KEY: "-----BEGIN KEY-----\nMIIB\n-----END KEY-----", NEXT: "1" });
  });

  it("reports invalid lines by number without echoing what they contain", () => {
    const text = [
      "GOOD=1",
      "ghp_PastedTokenWithoutName",
      "9BAD=secretvalue1",
      "MY KEY=secretvalue2",
      'QUOTED="secretvalue3" trailing',
      "LAST=ok",
      "OPEN='secretvalue4",
      "more",
    ].join("\n");
    const { values, issues } = parseSecretsEnv(text, FILE);
    expect(values).toEqual({ GOOD: "1", LAST: "ok" });
    expect(issues.map((i) => i.line)).toEqual([2, 3, 4, 5, 7]);
    for (const i of issues) {
      expect(i.file).toBe(FILE);
      expect(i.message).not.toMatch(/secretvalue|PastedToken|more|\.pitstop|:\d/);
    }
    expect(issues[0]?.message).toContain("expected NAME=value");
    expect(issues[1]?.message).toContain("invalid secret name");
    expect(issues[3]?.message).toContain("after the closing");
    expect(issues[4]?.message).toContain("never closed");
  });

  it("reports a name defined twice and keeps the later value", () => {
    const { values, issues } = parseSecretsEnv("A=1\nB=2\nA=3\n", FILE);
    expect(values).toEqual({ A: "3", B: "2" });
    expect(issues).toEqual([{ file: FILE, line: 3, message: "A is already defined on line 1; this later value is used" }]);
  });

  it("keeps unknown escapes in double quotes and a __proto__ name as a plain entry", () => {
    const { values, issues } = parseSecretsEnv('RE="a\\d+\\$"\n__proto__=x\n', FILE);
    expect(issues).toEqual([]);
    expect(values.RE).toBe("a\\d+\\$");
    expect(Object.getOwnPropertyDescriptor(values, "__proto__")?.value).toBe("x");
    expect(Object.getPrototypeOf(values)).toBe(Object.prototype);
  });

  it("returns nothing for an empty or comment-only file", () => {
    expect(parseSecretsEnv("", FILE)).toEqual({ values: {}, issues: [] });
    expect(parseSecretsEnv("# only\n\n   \n", FILE)).toEqual({ values: {}, issues: [] });
  });
});
