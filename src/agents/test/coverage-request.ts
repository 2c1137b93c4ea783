import { hasPackage } from "./find-tool.js";
import type { RunnerInvocation } from "./runner-invocation.js";
import { quoteArg } from "./shell-words.js";

export interface CoverageRequest {
  /** Raw shell words for the runner. */
  words: string[];
  /** Where that coverage will be written (absolute) when pitstop chooses; null = the runner's default place. */
  file: string | null;
  /** Why coverage was not asked for, for the log and `stage.data.notes`. */
  note: string | null;
}

export interface CoverageRequestInput {
  inv: RunnerInvocation;
  cwd: string;
  /** Absolute paths pitstop would like the lcov / Cobertura output at. */
  lcovFile: string;
  xmlFile: string;
  /** Runs a quiet command in the job's environment; true when it exits 0. */
  probe: (command: string) => Promise<boolean>;
}

const VITEST_PROVIDERS = ["@vitest/coverage-v8", "@vitest/coverage-istanbul"];

/**
 * `with.coverage: true`: the arguments that make the runner write coverage, or a note saying why
 * it cannot (a missing provider is the project's choice, not a test failure).
 */
export async function coverageRequest(input: CoverageRequestInput): Promise<CoverageRequest> {
  const { inv, cwd } = input;
  switch (inv.runner) {
    case "node":
      return {
        words: ["--experimental-test-coverage", "--test-reporter=lcov", `--test-reporter-destination=${quoteArg(input.lcovFile)}`],
        file: input.lcovFile,
        note: null,
      };
    case "vitest": {
      for (const p of VITEST_PROVIDERS) {
        if (await hasPackage(cwd, p)) return { words: ["--coverage.enabled=true", "--coverage.reporter=lcov", "--coverage.reporter=text-summary"], file: null, note: null };
      }
      return { words: [], file: null, note: "coverage: vitest needs @vitest/coverage-v8 (or @vitest/coverage-istanbul) in devDependencies; ran without coverage" };
    }
    case "jest":
      // Jest's default coverage reporters include lcov (coverage/lcov.info).
      return { words: ["--coverage"], file: null, note: null };
    case "mocha":
      return { words: [], file: null, note: "coverage: mocha has none of its own; wrap it with c8 (test.command: `c8 --reporter=lcov mocha`); ran without coverage" };
    case "pytest": {
      const python = inv.launcher.find((w) => /^python[0-9.]*$/.test(w)) ?? "python3";
      if (!(await input.probe(`${python} -c 'import pytest_cov'`))) {
        return { words: [], file: null, note: "coverage: pytest needs the pytest-cov plugin (pip install pytest-cov); ran without coverage" };
      }
      return { words: ["--cov", `--cov-report=xml:${quoteArg(input.xmlFile)}`, "--cov-report=term"], file: input.xmlFile, note: null };
    }
  }
}
