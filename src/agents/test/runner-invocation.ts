import { isAssignment, splitSimpleCommand } from "./shell-words.js";
import type { DrivenRunner } from "./test-options.js";

/**
 * A runner invocation pitstop can add arguments to: `launcher` starts the runner (with any
 * `NAME=value` words in front), `args` are the project's own arguments. Words are raw shell words.
 */
export interface RunnerInvocation {
  runner: DrivenRunner;
  launcher: string[];
  args: string[];
  /** The package binary that must be installed (vitest, jest, mocha), else null. */
  bin: string | null;
}

const NODE_BINS: Readonly<Record<string, DrivenRunner>> = { vitest: "vitest", jest: "jest", mocha: "mocha", _mocha: "mocha" };
const NPX_FLAGS = new Set(["--no-install", "--no", "--yes", "-y", "--offline"]);
const VITEST_COMMANDS = new Set(["run", "related"]);
const VITEST_WATCH = new Set(["watch", "dev"]);

/** How each runner starts when the project says nothing more. */
export function defaultInvocation(runner: DrivenRunner): RunnerInvocation {
  switch (runner) {
    case "node":
      return { runner, launcher: ["node"], args: ["--test"], bin: null };
    case "vitest":
      return { runner, launcher: ["vitest"], args: ["run"], bin: "vitest" };
    case "jest":
      return { runner, launcher: ["jest"], args: [], bin: "jest" };
    case "mocha":
      return { runner, launcher: ["mocha"], args: [], bin: "mocha" };
    case "pytest":
      return { runner, launcher: ["python3", "-m", "pytest"], args: [], bin: null };
  }
}

/**
 * Recognises a command that is directly one runner (`vitest`, `npx jest --ci`,
 * `NODE_ENV=test mocha 'test/**'`, `node --test dist/`, `python -m pytest -x`); null for
 * anything else, including scripts that do more than run the tests.
 */
export function recognizeRunner(command: string): RunnerInvocation | null {
  const words = splitSimpleCommand(command);
  if (words === null) return null;
  const { raw, plain } = words;
  let i = 0;
  while (i < plain.length && isAssignment(plain[i] as string)) i++;
  const afterAssignments = i;
  if (plain[i] === "npx") {
    i++;
    while (i < plain.length && NPX_FLAGS.has(plain[i] as string)) i++;
  }
  const word = plain[i];
  if (word === undefined) return null;
  const split = (at: number) => ({ launcher: raw.slice(0, at), args: raw.slice(at) });
  const bin = NODE_BINS[word];
  if (bin !== undefined) return withVitestRun({ runner: bin, ...split(i + 1), bin: word });
  // `npx` only fronts package binaries.
  if (i !== afterAssignments) return null;
  if (word === "node" && plain.slice(i + 1).includes("--test")) return { runner: "node", ...split(i + 1), bin: null };
  if (word === "pytest") return { runner: "pytest", ...split(i + 1), bin: null };
  if (/^python[0-9.]*$/.test(word) && plain[i + 1] === "-m" && plain[i + 2] === "pytest") return { runner: "pytest", ...split(i + 3), bin: null };
  return null;
}

/** Vitest watches by default outside CI: always ask for a single run. */
function withVitestRun(inv: RunnerInvocation): RunnerInvocation | null {
  if (inv.runner !== "vitest") return inv;
  const first = inv.args[0];
  if (first !== undefined && VITEST_COMMANDS.has(first)) return inv;
  if (first !== undefined && VITEST_WATCH.has(first)) return { ...inv, args: ["run", ...inv.args.slice(1)] };
  // `vitest bench`, `vitest list`, `vitest init`… are not test runs.
  if (first !== undefined && ["bench", "list", "init", "typecheck"].includes(first)) return null;
  return { ...inv, args: ["run", ...inv.args] };
}

/**
 * `with.command` with `with.runner` set: the command runs that runner, so pitstop's arguments are
 * added to it: right after the last `node` that has `--test` after it (node reads everything
 * after the first file name as the test's own arguments), at the very end for the others.
 */
export function forceRunner(command: string, runner: DrivenRunner): RunnerInvocation | { error: string } {
  const direct = recognizeRunner(command);
  if (direct !== null && direct.runner === runner) return direct;
  if (runner !== "node") return { runner, launcher: [command.trim()], args: [], bin: null };
  const matches = [...command.matchAll(/(?:^|[\s;&|(])node(?=\s+[^;&|]*--test\b)/g)];
  const last = matches.at(-1);
  if (last === undefined) {
    return { error: "with.runner: `node` needs `node --test` in with.command to add its reporter to; or set runner: command and with.junit to read the reports the command writes" };
  }
  const at = last.index + last[0].length;
  return { runner, launcher: [command.slice(0, at).trim()], args: [command.slice(at).trim()], bin: null };
}

/**
 * Which runner a script that pitstop will not modify probably uses, for the stage's label
 * ("49 passed (node)"); null when nothing says.
 */
export function guessRunner(script: string): DrivenRunner | null {
  if (/\bnode\b[^;&|]*\s--test\b/.test(script)) return "node";
  if (/\bvitest\b/.test(script)) return "vitest";
  if (/\bjest\b/.test(script)) return "jest";
  if (/\b_?mocha\b/.test(script)) return "mocha";
  if (/\bpytest\b/.test(script)) return "pytest";
  return null;
}
