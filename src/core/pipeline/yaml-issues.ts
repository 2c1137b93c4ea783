import type { Document } from "yaml";
import { formatPath, type IssueDraft } from "./issue-draft.js";
import type { PipelineIssue } from "./plan.js";
import type { Locator } from "./yaml-locate.js";

/**
 * Turning drafts and YAML errors into positioned issues, shared by every YAML file pitstop reads
 * (pipeline files, the policy file), so they all report problems the same way.
 */
export function toIssue(d: IssueDraft, locator: Locator, file: string): PipelineIssue {
  const pos = locator.at(d.path, d.target, d.offset);
  return { file, line: pos.line, column: pos.column, path: formatPath(d.path), message: d.message, ...(d.hint ? { hint: d.hint } : {}) };
}

/** By position, keeping the order of issues found at the same place. */
export function sortIssues(issues: PipelineIssue[]): PipelineIssue[] {
  return issues.map((i, n) => ({ i, n })).sort((a, b) => a.i.line - b.i.line || a.i.column - b.i.column || a.n - b.n).map(({ i }) => i);
}

export interface YamlIssueOptions {
  /** What the file is, for "a <what> holds one YAML document". */
  what: string;
  /** A more precise message for a duplicate key at `path` (e.g. a duplicate job), or null. */
  duplicate?: (path: ReadonlyArray<string | number>, key: string) => { message: string; hint: string } | null;
}

/** YAML syntax errors and duplicate keys. `fatal` when the document cannot be trusted further. */
export function yamlIssues(doc: Document, locator: Locator, file: string, opts: YamlIssueOptions): { issues: PipelineIssue[]; fatal: boolean } {
  let fatal = false;
  const issues = doc.errors.map((e): PipelineIssue => {
    const pos = locator.atOffset(e.pos[0]);
    const path = locator.pathAt(e.pos[0]);
    const where = { file, line: pos.line, column: pos.column, path: formatPath(path) };
    if (e.code === "DUPLICATE_KEY") {
      const key = String(path[path.length - 1] ?? "");
      const special = opts.duplicate?.(path, key) ?? null;
      return { ...where, ...(special ?? { message: `duplicate key \`${key}\`: each key may appear only once`, hint: "remove or merge the duplicates" }) };
    }
    fatal = true;
    if (e.code === "MULTIPLE_DOCS") return { ...where, message: `a ${opts.what} holds one YAML document: remove the second \`---\` and what follows, or merge them` };
    return { ...where, message: `YAML syntax error: ${e.message}` };
  });
  return { issues, fatal };
}
