import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { FailureClass } from "../../core/failure/failure-class.js";
import type { ExecOutcome } from "../../executor/port.js";
import { runCommand } from "../run-command.js";
import type { JobContext } from "../run-job.js";
import { PRESET, type SecretlintTool } from "./find-secretlint.js";
import { redactSecret } from "./redact-secret.js";
import { shellQuote } from "./shell-quote.js";

/** One secret secretlint found. The message is masked: it never carries the secret itself. */
export interface SecretFinding {
  /** Relative to the workspace, forward slashes. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  rule: string;
  message: string;
}

export type SecretScan =
  | { status: "ok"; findings: SecretFinding[]; files: number; outcome: ExecOutcome }
  | { status: "failed"; reason: string; hint: FailureClass | null; outcome: ExecOutcome | null };

export interface SecretScanInput {
  cwd: string;
  tool: SecretlintTool;
  /** A private directory inside the workspace for the tool's raw output (it quotes file contents). */
  scratch: string;
  exclude: readonly string[];
  used: { bytes: number };
}

/** Always left out besides node_modules and .git (secretlint's own defaults): build output and pitstop's own files. */
const DEFAULT_EXCLUDES = ["dist/**", ".pitstop/**"];
// secretlint takes one ignore-file glob; this one reads .gitignore files as well as its own.
const IGNORE_FILES = "**/{.gitignore,.secretlintignore}";

/**
 * Scans the working tree with the secretlint CLI. Its JSON report quotes every scanned file
 * (`sourceContent`, secrets included), so it goes to a scratch file, never to the log, and only
 * masked messages and positions are kept from it.
 */
export async function scanSecrets(ctx: JobContext, input: SecretScanInput): Promise<SecretScan> {
  const output = path.join(input.scratch, "secretlint.json");
  const args = ["**/*", ...[...DEFAULT_EXCLUDES, ...input.exclude].map((g) => `!${g}`), "--format", "json", "--output", output, "--no-color", "--secretlintignore", IGNORE_FILES];
  if (input.tool.projectConfig === null) {
    const rc = path.join(input.scratch, "secretlintrc.json");
    await writeFile(rc, `${JSON.stringify({ rules: [{ id: PRESET }] })}\n`);
    args.push("--secretlintrc", rc);
  }
  const command = [input.tool.bin, ...args].map(shellQuote).join(" ");
  const r = await runCommand(ctx, command, { label: "secretlint", cwd: input.cwd, capture: true }, input.used);
  if (r.outcome.exitCode === 127 || r.outcome.spawnError !== null) {
    return { status: "failed", reason: `secretlint could not start (${input.tool.bin}): reinstall it or set security.secrets: false`, hint: "command_not_found", outcome: r.outcome };
  }
  const stderr = r.stderr.join("\n");
  if (r.outcome.exitCode === 2 && /Not found target files/.test(stderr)) {
    return { status: "ok", findings: [], files: 0, outcome: r.outcome };
  }
  if (r.outcome.exitCode === 2 && /Failed to load (?:secretlint's )?rule module/.test(stderr)) {
    const rule = /rule module: "?([^"\s]+)"?/.exec(stderr)?.[1] ?? PRESET;
    return { status: "failed", reason: `secretlint rule ${rule} not found: add it to devDependencies or set security.secrets: false`, hint: "command_not_found", outcome: r.outcome };
  }
  if (!r.ok) {
    return { status: "failed", reason: `secretlint failed (exit ${r.outcome.exitCode ?? "?"}): ${firstErrorLine(r.stderr)}`, hint: null, outcome: r.outcome };
  }
  const parsed = await readReport(output, ctx.workspace);
  if (typeof parsed === "string") return { status: "failed", reason: parsed, hint: null, outcome: r.outcome };
  return { status: "ok", findings: parsed.findings, files: parsed.files, outcome: r.outcome };
}

function firstErrorLine(stderr: readonly string[]): string {
  const line = stderr.find((l) => /\S/.test(l) && !/^\s+at\s/.test(l));
  return line === undefined ? "no error output" : line.trim().slice(0, 200);
}

interface RawMessage {
  message?: unknown;
  ruleId?: unknown;
  range?: unknown;
  loc?: { start?: { line?: unknown; column?: unknown } };
}

interface RawFile {
  filePath?: unknown;
  sourceContent?: unknown;
  messages?: unknown;
}

async function readReport(file: string, workspace: string): Promise<{ findings: SecretFinding[]; files: number } | string> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, "utf8"));
  } catch {
    return "secretlint wrote no readable JSON report: run it by hand in the working directory to see why";
  }
  if (!Array.isArray(raw)) return "secretlint's JSON report is not a list of files: is the installed secretlint older than 2.0?";
  const findings: SecretFinding[] = [];
  for (const entry of raw as RawFile[]) {
    const filePath = typeof entry.filePath === "string" ? entry.filePath : "";
    const source = typeof entry.sourceContent === "string" ? entry.sourceContent : "";
    for (const m of Array.isArray(entry.messages) ? (entry.messages as RawMessage[]) : []) {
      findings.push(toFinding(m, filePath, source, workspace));
    }
  }
  return { findings, files: raw.length };
}

function toFinding(m: RawMessage, filePath: string, source: string, workspace: string): SecretFinding {
  const range = Array.isArray(m.range) && typeof m.range[0] === "number" && typeof m.range[1] === "number" ? [m.range[0], m.range[1]] : null;
  // The matched text, so it can be cut out of the message even where the rule forgot to mask it.
  const matched = range === null ? "" : source.slice(range[0], range[1]);
  const line = typeof m.loc?.start?.line === "number" ? m.loc.start.line : 1;
  const column = typeof m.loc?.start?.column === "number" ? m.loc.start.column + 1 : 1;
  const rel = filePath === "" ? "(unknown file)" : path.relative(workspace, filePath).split(path.sep).join("/");
  return {
    file: rel,
    line,
    column,
    rule: typeof m.ruleId === "string" ? m.ruleId : "secretlint",
    message: redactSecret(typeof m.message === "string" ? m.message : "secret found", matched),
  };
}
