import type { RunnerInvocation } from "./runner-invocation.js";
import { quoteArg, splitSimpleCommand } from "./shell-words.js";

export interface RunnerCommandInput {
  invocation: RunnerInvocation;
  /** Where the runner writes its report (absolute); jest writes JSON there. */
  reportFile: string;
  /** `with.args`, plain strings (quoted here). */
  extraArgs: readonly string[];
  /** Raw shell words that select the tests to rerun (already quoted). */
  filter: readonly string[];
  /** Raw shell words that ask for coverage (already quoted). */
  coverage: readonly string[];
}

/**
 * The command line that runs the project's runner with pitstop's reporter added, so every
 * runner leaves a report at `reportFile` without any configuration in the project:
 * node --test (junit reporter, spec to the log), vitest (junit + default), jest (--json, which
 * has no JUnit of its own), mocha (xunit: one reporter only, so the log shows no spec output)
 * and pytest (--junitxml).
 */
export function buildRunnerCommand(input: RunnerCommandInput): string {
  const { invocation: inv, extraArgs, filter, coverage } = input;
  const file = quoteArg(input.reportFile);
  const extra = extraArgs.map(quoteArg);
  switch (inv.runner) {
    case "node": {
      const reporters = [`--test-reporter=junit`, `--test-reporter-destination=${file}`, `--test-reporter=spec`, `--test-reporter-destination=stdout`];
      return join([...inv.launcher, ...reporters, ...coverage, ...filter, ...withoutUnpairedNodeReporters(inv.args), ...extra]);
    }
    case "vitest":
      return join([...inv.launcher, ...inv.args, ...extra, "--reporter=default", "--reporter=junit", `--outputFile.junit=${file}`, ...coverage, ...filter]);
    case "jest":
      return join([...inv.launcher, ...inv.args, ...extra, "--json", `--outputFile=${file}`, ...coverage, ...filter]);
    case "mocha":
      return join([...inv.launcher, ...withoutMochaReporter(inv.args), ...extra, "--reporter=xunit", `--reporter-option=output=${file}`, ...filter]);
    case "pytest":
      return join([...inv.launcher, ...inv.args, ...extra, `--junitxml=${file}`, ...coverage, ...filter]);
  }
}

function join(words: readonly string[]): string {
  return words.filter((w) => w !== "").join(" ");
}

/**
 * Node pairs `--test-reporter` and `--test-reporter-destination` by position. The project's own
 * pairs are kept (its files still get written); a lone reporter (relying on stdout) would shift
 * every pair after it, so it is dropped in favour of pitstop's spec-to-stdout.
 */
function withoutUnpairedNodeReporters(args: readonly string[]): string[] {
  const words = splitSimpleCommand(args.join(" "));
  if (words === null) return [...args];
  const reporters = countOption(words.plain, "--test-reporter");
  const destinations = countOption(words.plain, "--test-reporter-destination");
  if (reporters === destinations) return [...args];
  return dropOptions(words, ["--test-reporter", "--test-reporter-destination"], []);
}

/** Mocha takes one reporter: the project's is replaced by xunit. */
function withoutMochaReporter(args: readonly string[]): string[] {
  const words = splitSimpleCommand(args.join(" "));
  if (words === null) return [...args];
  return dropOptions(words, ["--reporter", "--reporter-option", "--reporter-options"], ["-R", "-O"]);
}

function countOption(plain: readonly string[], name: string): number {
  return plain.filter((w) => w === name || w.startsWith(`${name}=`)).length;
}

/** Removes `--name value`, `--name=value` and short `-X value` options from raw words. */
function dropOptions(words: { raw: string[]; plain: string[] }, long: readonly string[], short: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < words.raw.length; i++) {
    const p = words.plain[i] as string;
    if (long.some((n) => p.startsWith(`${n}=`))) continue;
    if (long.includes(p) || short.includes(p)) {
      i++;
      continue;
    }
    kept.push(words.raw[i] as string);
  }
  return kept;
}
