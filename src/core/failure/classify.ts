import { FailureClass } from "./failure-class.js";
import type { FailureEvidence } from "./failure-class.js";

/**
 * Derives a FailureClass from what a failed attempt left behind. Pure and ordered: the first rule
 * that holds wins, so the order below is the policy. Signals we sent ourselves (timeout, cancel)
 * are decided before any log pattern, and specific causes (missing command, OOM) before generic
 * ones, because retries and healing act on the class (DESIGN.md §5).
 */

// Shells spawned on behalf of a step: ENOENT for one of these means the shell or the working
// directory is missing (node reports a missing cwd as ENOENT of the shell), an infra problem,
// not a typo in the user's command.
const SHELLS = /^(?:\/(?:usr\/)?bin\/)?(?:sh|bash|dash|zsh|cmd\.exe|powershell(?:\.exe)?|pwsh)$/;

const COMMAND_NOT_FOUND: readonly RegExp[] = [
  /command not found/,
  /: not found$/,
  /is not recognized as an internal or external command|is not recognized as the name of a cmdlet/,
  /ENOENT.*spawn|spawn \S+ ENOENT/,
  /\benv: .+: No such file or directory$/,
];

const OOM: readonly RegExp[] = [
  /out of memory/i,
  /JavaScript heap out of memory/,
  /Killed process/,
  /OOMKilled/,
  /Cannot allocate memory/,
];

const INFRA: readonly RegExp[] = [
  /\b(?:ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ENETUNREACH|EHOSTUNREACH)\b/,
  /socket hang up/,
  /\bENOSPC\b|No space left on device/,
  /npm (?:ERR!|error) network\b/,
  /npm (?:ERR!|error) code E50[234]\b/,
  /\b50[234] (?:Bad Gateway|Service Unavailable|Gateway Time-?out)\b/i,
  /Temporary failure in name resolution|Could not resolve host|Connection reset by peer/,
];

const DEPENDENCY: readonly RegExp[] = [
  /npm (?:ERR!|error) (?:code )?ERESOLVE\b/,
  /Could not resolve dependency/,
  /Cannot find module\b/,
  /ModuleNotFoundError\b/,
  /ERR_MODULE_NOT_FOUND/,
  /Cannot find package '.+' imported from/,
  /No matching distribution found for|Could not find a version that satisfies the requirement/,
  /npm (?:ERR!|error) (?:code )?(?:ETARGET|E404)\b/,
];

const COMPILE: readonly RegExp[] = [
  /\berror TS\d+:/,
  // A SyntaxError while loading code is a build problem; one from JSON.parse at runtime is not.
  /\bSyntaxError: (?!.*\bJSON\b)/,
  /Compilation failed|Failed to compile|Build failed with \d+ errors?/,
  // gcc/clang/javac style: file:line[:col]: [fatal ]error: …
  /^\S+:\d+(?::\d+)?: (?:fatal )?error:/,
  /^error(?:\[E\d+\])?: could not compile/,
];

/** The log patterns behind each class, also used to pick the line that explains it. */
const PATTERNS: Partial<Record<FailureClass, readonly RegExp[]>> = {
  command_not_found: COMMAND_NOT_FOUND,
  oom: OOM,
  infra: INFRA,
  dependency: DEPENDENCY,
  compile: COMPILE,
};

// eslint-disable-next-line no-control-regex -- ANSI colour codes are control characters by definition
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]/g;

/** Removes colour codes and trailing whitespace (including the \r of CRLF output). */
function cleanLine(line: string): string {
  return line.replace(ANSI, "").trimEnd();
}

function anyLineMatches(lines: readonly string[], patterns: readonly RegExp[]): boolean {
  return lines.some((l) => patterns.some((p) => p.test(l)));
}

function classifySpawnError(spawnError: string): FailureClass {
  const m = /spawn (\S+) ENOENT/.exec(spawnError) ?? /ENOENT.*spawn (\S+)/.exec(spawnError);
  if (m?.[1] !== undefined && !SHELLS.test(m[1])) return FailureClass.command_not_found;
  return FailureClass.infra;
}

export function classifyFailure(e: FailureEvidence): FailureClass {
  if (e.cancelled) return FailureClass.cancelled;
  if (e.hint !== undefined) return e.hint;
  if (e.timedOut) return FailureClass.timeout;
  if (e.spawnError !== null) return classifySpawnError(e.spawnError);
  const lines = e.lastLines.map(cleanLine);
  if (e.exitCode === 127 || anyLineMatches(lines, COMMAND_NOT_FOUND)) return FailureClass.command_not_found;
  // Timeouts and cancellations (our own SIGKILLs) were decided above, so a SIGKILL here came from
  // someone else, in practice the kernel's OOM killer; 137 is 128 + SIGKILL as a shell reports it.
  if (e.signal === "SIGKILL" || e.exitCode === 137 || anyLineMatches(lines, OOM)) return FailureClass.oom;
  if (e.testsFailed > 0) return FailureClass.test_failure;
  if (anyLineMatches(lines, INFRA)) return FailureClass.infra;
  if (anyLineMatches(lines, DEPENDENCY)) return FailureClass.dependency;
  if (anyLineMatches(lines, COMPILE)) return FailureClass.compile;
  return FailureClass.exit_nonzero;
}

const MAX_SUMMARY_LINE = 160;

// Lines that carry no explanation: stack frames, runtime banners, pointers to log files.
const NOISE: readonly RegExp[] = [
  /^\s*at\s/,
  /^\s*[❯›]\s/,
  /^Node\.js v\d/,
  /^npm (?:ERR!|error)\s*$/,
  /A complete log of this run can be found in/,
  /^npm (?:ERR!|error) (?:code|errno) /,
  /^\s*[-=_~*#─━═\s]+$/,
  /^\s*[}\])]+[,;]?\s*$/,
  /^(?:error )?Command failed with exit code \d+/,
  /^info Visit https:\/\/yarnpkg/,
];

function isMeaningful(line: string): boolean {
  return line.trim() !== "" && !NOISE.some((p) => p.test(line));
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** The line that best explains the failure: the last one matching the class, else the last meaningful one. */
function explainingLine(cls: FailureClass, lines: readonly string[]): string | null {
  const cleaned = lines.map(cleanLine);
  const patterns = PATTERNS[cls] ?? [];
  const matching = cleaned.filter((l) => patterns.some((p) => p.test(l)));
  const pick = matching.at(-1) ?? cleaned.filter(isMeaningful).at(-1);
  return pick === undefined ? null : truncate(pick.trim(), MAX_SUMMARY_LINE);
}

function outcome(e: FailureEvidence): string {
  if (e.timedOut) return "timed out";
  if (e.spawnError !== null) return "could not start";
  if (e.signal !== null) return `killed by ${e.signal}`;
  if (e.exitCode !== null) return `exit ${e.exitCode}`;
  return "failed";
}

/**
 * One line for humans: what happened, the class, and the line that explains it, e.g.
 * `exit 2 (compile): src/a.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.`
 * The timeout's duration is the caller's to add: the evidence does not carry it.
 */
export function summarizeFailure(cls: FailureClass, e: FailureEvidence): string {
  if (cls === FailureClass.cancelled) return "cancelled";
  const what = outcome(e);
  // "timed out (timeout)" says the same thing twice.
  const head = cls === FailureClass.timeout && e.timedOut ? what : `${what} (${cls})`;
  const why = e.spawnError !== null ? truncate(e.spawnError, MAX_SUMMARY_LINE) : explainingLine(cls, e.lastLines);
  return why === null ? head : `${head}: ${why}`;
}
