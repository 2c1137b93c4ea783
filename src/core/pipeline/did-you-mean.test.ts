import { describe, expect, it } from "vitest";
import { didYouMean, editDistance, suggestionHint } from "./did-you-mean.js";
import { checkWorkspacePath } from "./workspace-path.js";

describe("did you mean", () => {
  it("counts edits, a swap of neighbours as one", () => {
    expect([editDistance("needs", "neeeds"), editDistance("lint", "lnit"), editDistance("", "abc"), editDistance("kitten", "sitting")]).toEqual([1, 1, 3, 3]);
  });

  it("suggests within two edits, one for short words, ignoring case, prefixes either way", () => {
    const keys = ["needs", "steps", "env", "if", "timeout", "retry"];
    expect(didYouMean("neeeds", keys)).toBe("needs");
    expect(didYouMean("Steps", keys)).toBe("steps");
    expect(didYouMean("timout", keys)).toBe("timeout");
    expect(didYouMean("environment", keys)).toBe("env");
    expect(didYouMean("ef", keys)).toBe("if");
    expect(didYouMean("bb", ["c", "a"])).toBeNull();
    expect(didYouMean("retry", keys)).toBeNull();
    expect(didYouMean("banana", keys)).toBeNull();
    expect(didYouMean("test_fail", ["test_failure", "timeout"])).toBe("test_failure");
  });

  it("falls back to listing a few valid choices", () => {
    expect(suggestionHint("neeeds", ["needs"])).toBe("did you mean `needs`?");
    expect(suggestionHint("zzz", ["a", "b"])).toBe("valid: `a`, `b`");
    expect(suggestionHint("zzz", [])).toBeUndefined();
    expect(suggestionHint("zzz", ["a", "b", "c"], 2)).toBeUndefined();
  });
});

describe("checkWorkspacePath", () => {
  it.each(["app", "./app", "a/../b", "reports/**/*.xml", "a/b/../../c", "."])("accepts %s", (p) => {
    expect(checkWorkspacePath(p, "path")).toBeNull();
  });
  it.each([
    ["/etc", "path `/etc` is absolute: use a path relative to the workspace"],
    ["\\\\server\\share", "path `\\\\server\\share` is absolute: use a path relative to the workspace"],
    ["D:/x", "path `D:/x` is absolute: use a path relative to the workspace"],
    ["~/x", "path `~/x` is absolute: use a path relative to the workspace"],
    ["..", "path `..` escapes the workspace with `..`: keep it inside the workspace"],
    ["a/../../b", "path `a/../../b` escapes the workspace with `..`: keep it inside the workspace"],
    ["a\\..\\..\\b", "path `a\\..\\..\\b` escapes the workspace with `..`: keep it inside the workspace"],
    ["  ", "path must not be empty"],
  ])("rejects %s", (p, message) => {
    expect(checkWorkspacePath(p, "path")).toBe(message);
  });
});
