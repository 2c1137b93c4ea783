import { z } from "zod";
import { didYouMean } from "../../core/pipeline/did-you-mean.js";

/** Runners the test stage knows how to drive; `command` runs a command exactly as written. */
export const TEST_RUNNERS = ["node", "vitest", "jest", "mocha", "pytest", "command"] as const;
export type TestRunner = (typeof TEST_RUNNERS)[number];
/** Runners whose reports and name filters the stage controls (everything but `command`). */
export type DrivenRunner = Exclude<TestRunner, "command">;

const stringList = z.union([z.string().min(1), z.array(z.string().min(1))]).transform((v) => (typeof v === "string" ? [v] : v));

const TestOptionsSchema = z.strictObject({
  runner: z.enum(TEST_RUNNERS).optional(),
  command: z.string().trim().min(1).optional(),
  args: stringList.optional(),
  junit: stringList.optional(),
  coverage: z.union([z.boolean(), z.string().trim().min(1)]).optional(),
  rerun_failed: z.boolean().optional(),
  // Shared by every stage of the short form; the test stage has no use for them.
  notify_on_success: z.unknown().optional(),
  deploy_environment: z.unknown().optional(),
});

export interface TestOptions {
  runner: TestRunner | null;
  command: string | null;
  /** Extra arguments for a driven runner, appended after the project's own. */
  args: string[];
  /** Report globs (relative to the workspace) for a command pitstop does not drive. */
  junit: string[];
  /** `true`: ask the runner for coverage; a path: read coverage from that file. */
  coverage: boolean | string;
  rerunFailed: boolean;
}

const OPTION_NAMES = Object.keys(TestOptionsSchema.shape);

/** Validates the stage's `with` map; a problem comes back as a `with.<field>: …` message. */
export function parseTestOptions(raw: Record<string, unknown>): { options: TestOptions } | { error: string } {
  const parsed = TestOptionsSchema.safeParse(raw);
  if (!parsed.success) return { error: describeIssue(parsed.error.issues[0]) };
  const o = parsed.data;
  if (o.runner === "command" && o.command === undefined) {
    return { error: "with.runner: `command` runs with.command as written, but with.command is not set: add the command that runs the tests" };
  }
  return {
    options: {
      runner: o.runner ?? null,
      command: o.command ?? null,
      args: o.args ?? [],
      junit: o.junit ?? [],
      coverage: o.coverage ?? false,
      rerunFailed: o.rerun_failed ?? true,
    },
  };
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (issue === undefined) return "with: invalid test options";
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "";
    const guess = didYouMean(key, OPTION_NAMES);
    const hint = guess === null ? `valid options are ${OPTION_NAMES.slice(0, 6).join(", ")}` : `did you mean \`${guess}\`?`;
    return `with.${key}: unknown option for the test stage (${hint})`;
  }
  const field = issue.path.length > 0 ? `with.${issue.path.map(String).join(".")}` : "with";
  return `${field}: ${explain(String(issue.path[0] ?? ""), issue.message)}`;
}

function explain(field: string, message: string): string {
  switch (field) {
    case "runner":
      return `expected one of ${TEST_RUNNERS.join(", ")}`;
    case "command":
      return "expected the command that runs the tests, like `npm test`";
    case "args":
    case "junit":
      return "expected a string or a list of strings";
    case "coverage":
      return "expected true, false or the path of an lcov or Cobertura file";
    case "rerun_failed":
      return "expected true or false";
    default:
      return message;
  }
}
