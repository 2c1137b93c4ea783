import { describe, expect, it } from "vitest";
import type { TestCase, TestCaseStatus } from "../../core/run/test-case.js";
import { compareReruns } from "./flaky-tests.js";

const tc = (name: string, status: TestCaseStatus, suite = "math"): TestCase => ({ suite, classname: "", name, status, durationMs: 1, message: status === "passed" ? null : "boom", file: "junit.xml" });

describe("compareReruns", () => {
  it("a test that failed and then passed is a flake; one that failed again is not", () => {
    const before = [tc("adds", "failed"), tc("divides", "failed"), tc("stable", "passed")];
    const after = [tc("adds", "passed"), tc("divides", "failed")];
    expect(compareReruns(before, after)).toEqual([
      { testId: "math > adds", passed: true },
      { testId: "math > divides", passed: false },
    ]);
  });

  it("errored counts as failing, before and after", () => {
    const before = [tc("a", "errored"), tc("b", "errored"), tc("c", "failed")];
    const after = [tc("a", "passed"), tc("b", "errored"), tc("c", "errored")];
    expect(compareReruns(before, after)).toEqual([
      { testId: "math > a", passed: true },
      { testId: "math > b", passed: false },
      { testId: "math > c", passed: false },
    ]);
  });

  it("leaves out tests the rerun skipped or did not run, and tests that did not fail before", () => {
    const before = [tc("skipped-now", "failed"), tc("absent-now", "failed"), tc("was-ok", "passed"), tc("was-skipped", "skipped"), tc("flaky", "failed")];
    const after = [tc("skipped-now", "skipped"), tc("was-ok", "failed"), tc("was-skipped", "passed"), tc("flaky", "passed")];
    expect(compareReruns(before, after)).toEqual([{ testId: "math > flaky", passed: true }]);
  });

  it("names tests by suite and name: the same name in another suite is another test", () => {
    const before = [tc("adds", "failed", "math"), tc("adds", "failed", "")];
    const after = [tc("adds", "passed", ""), tc("adds", "failed", "math")];
    expect(compareReruns(before, after)).toEqual([
      { testId: "math > adds", passed: false },
      { testId: "adds", passed: true },
    ]);
  });

  it("a test reported twice before is compared once", () => {
    const before = [tc("adds", "failed"), tc("adds", "errored"), tc("adds", "passed")];
    expect(compareReruns(before, [tc("adds", "passed")])).toEqual([{ testId: "math > adds", passed: true }]);
    expect(compareReruns(before, [tc("adds", "failed")])).toEqual([{ testId: "math > adds", passed: false }]);
  });

  it("a test reported twice in the rerun passed only when no report of it failed, whatever the order", () => {
    const before = [tc("adds", "failed")];
    for (const after of [
      [tc("adds", "passed"), tc("adds", "failed")],
      [tc("adds", "failed"), tc("adds", "passed")],
      [tc("adds", "errored"), tc("adds", "skipped"), tc("adds", "passed")],
    ]) {
      expect(compareReruns(before, after)).toEqual([{ testId: "math > adds", passed: false }]);
    }
    // A skipped copy next to a passing one does not hide the pass.
    expect(compareReruns(before, [tc("adds", "skipped"), tc("adds", "passed")])).toEqual([{ testId: "math > adds", passed: true }]);
    expect(compareReruns(before, [tc("adds", "passed"), tc("adds", "skipped")])).toEqual([{ testId: "math > adds", passed: true }]);
  });

  it("nothing failed before: nothing to compare", () => {
    expect(compareReruns([tc("a", "passed"), tc("b", "skipped")], [tc("a", "failed")])).toEqual([]);
    expect(compareReruns([], [])).toEqual([]);
  });
});
