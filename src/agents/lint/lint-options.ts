import { z } from "zod";
import { didYouMean } from "../../core/pipeline/did-you-mean.js";
import { LINT_FORMATS } from "./parse-lint-output.js";

export const DEFAULT_SARIF_PATH = ".pitstop/reports/lint.sarif";

const LintOptionsSchema = z.strictObject({
  command: z.string().trim().min(1, "must not be empty").optional(),
  format: z.enum(LINT_FORMATS).optional(),
  max_warnings: z.number().int().min(0).optional(),
  sarif: z.string().trim().min(1, "must not be empty").optional(),
  // The short form puts these on every job; they are the report and deploy stages' business.
  notify_on_success: z.boolean().optional(),
  deploy_environment: z.string().optional(),
});

export interface LintOptions {
  command: string | null;
  format: (typeof LINT_FORMATS)[number] | null;
  maxWarnings: number | null;
  /** Relative to the workspace. */
  sarif: string;
}

const KEYS = Object.keys(LintOptionsSchema.shape);
const USER_KEYS = ["command", "format", "max_warnings", "sarif"];

/** Validates a lint job's `with` map; the error names the field and says what to do. */
export function parseLintOptions(input: Record<string, unknown>): { ok: true; options: LintOptions } | { ok: false; error: string } {
  const unknown = Object.keys(input).filter((k) => !KEYS.includes(k));
  if (unknown.length > 0) {
    const k = unknown[0] as string;
    const close = didYouMean(k, USER_KEYS);
    const hint = close === null ? `lint knows ${USER_KEYS.map((x) => `with.${x}`).join(", ")}` : `did you mean with.${close}?`;
    return { ok: false, error: `with.${k}: unknown option: ${hint}` };
  }
  const parsed = LintOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.map(String).join(".") ?? "";
    return { ok: false, error: `with.${field}: ${describeIssue(field, issue?.message ?? "invalid", input[field])}` };
  }
  const d = parsed.data;
  if (d.format !== undefined && d.command === undefined) {
    return { ok: false, error: "with.format: only applies to with.command: set with.command to the linter command whose output it describes, or remove with.format" };
  }
  return {
    ok: true,
    options: { command: d.command ?? null, format: d.format ?? null, maxWarnings: d.max_warnings ?? null, sarif: d.sarif ?? DEFAULT_SARIF_PATH },
  };
}

function describeIssue(field: string, message: string, value: unknown): string {
  switch (field) {
    case "format":
      return `${JSON.stringify(value)} is not a format the lint stage reads: use one of ${LINT_FORMATS.join(", ")}`;
    case "max_warnings":
      return `${message}: give a whole number of warnings allowed (0 or more)`;
    case "command":
      return `${message}: give the lint command as a string, e.g. "npm run lint"`;
    case "sarif":
      return `${message}: give a path inside the workspace, e.g. "${DEFAULT_SARIF_PATH}"`;
    default:
      return message;
  }
}
