import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";

/**
 * SARIF 2.1.0 (OASIS) output shared by the stage agents that report findings on source files
 * (lint, security). The builder is pure; `writeSarif` adds the file system.
 */

export const SARIF_VERSION = "2.1.0";
export const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";
/** The base id our relative URIs are resolved against (the name GitHub code scanning uses). */
export const SRCROOT = "%SRCROOT%";

export type SarifLevel = "error" | "warning" | "note";

/** One finding on a source file, in the terms every stage agent shares. */
export interface SarifFinding {
  /** Relative to the source root (forward slashes), or absolute; null when the tool gave none. */
  file: string | null;
  /** 1-based; null when unknown. */
  line: number | null;
  /** 1-based (UTF-16 code units); null when unknown. */
  column: number | null;
  endLine?: number | null;
  endColumn?: number | null;
  rule: string | null;
  severity: SarifLevel;
  message: string;
  /** Anything extra a consumer may want (package, advisory, fix…), copied to `result.properties`. */
  properties?: Record<string, unknown>;
}

export interface SarifRule {
  id: string;
  description?: string | null;
  helpUri?: string | null;
  /** e.g. `{ "security-severity": "7.5" }` for code-scanning UIs. */
  properties?: Record<string, unknown>;
}

export interface SarifRunInput {
  /** The tool's name, e.g. "eslint". */
  tool: string;
  version?: string | null;
  informationUri?: string | null;
  /** Rule metadata; rules that findings mention but this omits are added with their id only. */
  rules?: readonly SarifRule[];
  findings: readonly SarifFinding[];
  /** How the tool's run went, when known (an `invocations` entry). */
  invocation?: { ok: boolean; exitCode: number | null; message?: string | null } | null;
}

export interface BuildSarifOptions {
  /** Absolute directory relative file paths are relative to (becomes `originalUriBaseIds`). */
  srcRoot?: string | null;
}

/** A SARIF 2.1.0 log object for `runs` (one run per tool), ready for JSON.stringify. */
export function buildSarif(runs: readonly SarifRunInput[], opts: BuildSarifOptions = {}): Record<string, unknown> {
  return {
    $schema: SARIF_SCHEMA,
    version: SARIF_VERSION,
    runs: runs.map((r) => buildRun(r, opts)),
  };
}

/** Writes the SARIF log for `runs` to `file` (directories created, replaced atomically). */
export async function writeSarif(file: string, runs: readonly SarifRunInput[], opts: BuildSarifOptions = {}): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, `${JSON.stringify(buildSarif(runs, opts), null, 2)}\n`);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}

function buildRun(input: SarifRunInput, opts: BuildSarifOptions): Record<string, unknown> {
  const rules = ruleTable(input);
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const driver: Record<string, unknown> = { name: input.tool };
  if (input.version) driver.version = input.version;
  if (input.informationUri) driver.informationUri = input.informationUri;
  driver.rules = rules.map(ruleObject);
  const run: Record<string, unknown> = { tool: { driver } };
  if (opts.srcRoot) run.originalUriBaseIds = { [SRCROOT]: { uri: directoryUri(opts.srcRoot) } };
  if (input.invocation) run.invocations = [invocationObject(input.invocation)];
  run.columnKind = "utf16CodeUnits";
  run.results = input.findings.map((f) => resultObject(f, index));
  return run;
}

function ruleTable(input: SarifRunInput): SarifRule[] {
  const rules: SarifRule[] = [];
  const seen = new Set<string>();
  for (const r of input.rules ?? []) {
    if (seen.has(r.id)) continue;
    seen.add(r.id);
    rules.push(r);
  }
  for (const f of input.findings) {
    if (f.rule === null || seen.has(f.rule)) continue;
    seen.add(f.rule);
    rules.push({ id: f.rule });
  }
  return rules;
}

function ruleObject(r: SarifRule): Record<string, unknown> {
  const o: Record<string, unknown> = { id: r.id };
  if (r.description) o.shortDescription = { text: r.description };
  if (r.helpUri) o.helpUri = r.helpUri;
  if (r.properties && Object.keys(r.properties).length > 0) o.properties = r.properties;
  return o;
}

function invocationObject(inv: NonNullable<SarifRunInput["invocation"]>): Record<string, unknown> {
  const o: Record<string, unknown> = { executionSuccessful: inv.ok };
  if (inv.exitCode !== null) o.exitCode = inv.exitCode;
  if (inv.message) o.toolExecutionNotifications = [{ level: "error", message: { text: inv.message } }];
  return o;
}

function resultObject(f: SarifFinding, index: ReadonlyMap<string, number>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (f.rule !== null) {
    o.ruleId = f.rule;
    const i = index.get(f.rule);
    if (i !== undefined) o.ruleIndex = i;
  }
  o.level = f.severity;
  // SARIF requires a non-empty message text.
  o.message = { text: f.message.trim() === "" ? "(no message)" : f.message };
  const location = locationObject(f);
  if (location !== null) o.locations = [location];
  if (f.properties && Object.keys(f.properties).length > 0) o.properties = f.properties;
  return o;
}

function locationObject(f: SarifFinding): Record<string, unknown> | null {
  if (f.file === null || f.file === "") return null;
  const artifactLocation = path.isAbsolute(f.file) ? { uri: pathToFileURL(f.file).href } : { uri: relativeUri(f.file), uriBaseId: SRCROOT };
  const physicalLocation: Record<string, unknown> = { artifactLocation };
  const region = regionObject(f);
  if (region !== null) physicalLocation.region = region;
  return { physicalLocation };
}

function regionObject(f: SarifFinding): Record<string, unknown> | null {
  if (!isPositive(f.line)) return null;
  const region: Record<string, unknown> = { startLine: f.line };
  if (isPositive(f.column)) region.startColumn = f.column;
  if (isPositive(f.endLine) && f.endLine >= f.line) {
    region.endLine = f.endLine;
    if (isPositive(f.endColumn)) region.endColumn = f.endColumn;
  }
  return region;
}

function isPositive(n: number | null | undefined): n is number {
  return typeof n === "number" && Number.isInteger(n) && n >= 1;
}

/** A relative path as a relative URI reference: forward slashes, each segment percent-encoded. */
function relativeUri(file: string): string {
  return file.split(/[\\/]/).map(encodeURIComponent).join("/");
}

function directoryUri(dir: string): string {
  const href = pathToFileURL(path.resolve(dir)).href;
  return href.endsWith("/") ? href : `${href}/`;
}
