import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import type { Document } from "yaml";
import { z } from "zod";
import { coerceError } from "../errors.js";
import { compileFull } from "./compile-full.js";
import { compileShort } from "./compile-short.js";
import type { IssueDraft } from "./issue-draft.js";
import type { ExecutionPlan, PipelineIssue, PlanJob } from "./plan.js";
import { PipelineFileSchema, RootSchema, ShortSchema } from "./schema.js";
import { createLocator } from "./yaml-locate.js";
import { sortIssues, toIssue, yamlIssues } from "./yaml-issues.js";
import { validate } from "./zod-issues.js";

/**
 * The pipeline front end: YAML text → ExecutionPlan, or every problem in the file at once, each
 * with file:line:column and a document path. Pure: the caller reads the file.
 */

export interface LoadOptions {
  /** File name as the user knows it; used in messages only. */
  file: string;
}
export interface LoadResult {
  /** null iff `issues` is non-empty. */
  plan: ExecutionPlan | null;
  issues: PipelineIssue[];
}

function stringEnv(env: Record<string, string | number | boolean> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(env ?? {}).map(([k, v]) => [k, String(v)]));
}

interface Compiled {
  form: "short" | "full";
  jobs: PlanJob[] | null;
  drafts: IssueDraft[];
  name: string | undefined;
  env: Record<string, string>;
}

/** Validation and compilation of the parsed root map. */
function compileRoot(raw: Record<string, unknown>): Compiled {
  const drafts: IssueDraft[] = [];
  const root = validate(RootSchema, raw, []);
  if (!root.ok) drafts.push(...root.drafts);
  const env = root.ok ? stringEnv(root.data.env) : {};
  const name = root.ok ? root.data.name : undefined;
  const hasJobs = "jobs" in raw;
  const hasPipeline = "pipeline" in raw;
  if (hasJobs && hasPipeline) {
    drafts.push({ path: ["pipeline"], target: "key", message: "both `pipeline:` and `jobs:` are present", hint: "use `pipeline:` (short form) or `jobs:` (full form), not both" });
  } else if (!hasJobs && !hasPipeline) {
    drafts.push({ path: [], message: "no `jobs:` or `pipeline:` at the top level", hint: "add `jobs:` (full form) or `pipeline: { stages: [...] }` (short form)" });
  }
  let jobs: PlanJob[] | null = null;
  if (hasPipeline) {
    const short = validate(ShortSchema, raw.pipeline, ["pipeline"]);
    if (short.ok) jobs = compileShort(short.data, env);
    else drafts.push(...short.drafts);
  }
  const rawJobs = raw.jobs;
  if (hasJobs && rawJobs !== null && typeof rawJobs === "object" && !Array.isArray(rawJobs)) {
    const full = compileFull(rawJobs as Record<string, unknown>, env);
    jobs = full.jobs;
    drafts.push(...full.drafts);
  }
  return { form: hasPipeline && !hasJobs ? "short" : "full", jobs, drafts, name, env };
}

function kindOf(node: unknown): string {
  if (isSeq(node)) return "a list";
  if (isScalar(node)) return typeof node.value === "string" ? `the string ${JSON.stringify(node.value)}` : `the value ${String(node.value)}`;
  return "an alias";
}

export function loadPipeline(text: string, options: LoadOptions): LoadResult {
  const file = options.file;
  const lineCounter = new LineCounter();
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter, keepSourceTokens: true, prettyErrors: false, uniqueKeys: true, merge: true });
  } catch (e) {
    return { plan: null, issues: [{ file, line: 1, column: 1, path: "", message: `cannot parse YAML: ${coerceError(e).message}` }] };
  }
  const locator = createLocator(doc, lineCounter, text);
  const at = (message: string, hint?: string): LoadResult => ({ plan: null, issues: [toIssue({ path: [], message, ...(hint ? { hint } : {}) }, locator, file)] });

  const parsed = yamlIssues(doc, locator, file, {
    what: "pipeline file",
    duplicate: (path, key) => (path.length === 2 && path[0] === "jobs" ? { message: `duplicate job \`${key}\`: job names must be unique`, hint: "rename one of the jobs" } : null),
  });
  if (parsed.fatal) return { plan: null, issues: sortIssues(parsed.issues) };
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    return { plan: null, issues: [{ file, line: 1, column: 1, path: "", message: "pipeline file is empty: add `jobs:` or `pipeline:`" }] };
  }
  if (!isMap(doc.contents)) {
    return at(`the top level must be a map with \`jobs:\` or \`pipeline:\`, got ${kindOf(doc.contents)}`);
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    return at(`cannot read YAML: ${coerceError(e).message}`, "aliases that expand too much are refused");
  }
  // `x-` keys hold YAML anchors for reuse (as in Docker Compose); they are not pipeline settings.
  const settings = Object.fromEntries(Object.entries(raw as Record<string, unknown>).filter(([k]) => !k.startsWith("x-")));
  const compiled = compileRoot(settings);
  const issues = sortIssues([...parsed.issues, ...compiled.drafts.map((d) => toIssue(d, locator, file))]);
  if (issues.length > 0) return { plan: null, issues };
  if (compiled.jobs === null) {
    // Every path that yields no jobs also yields a draft; keep the "plan null iff issues" promise regardless.
    return { plan: null, issues: [{ file, line: 1, column: 1, path: "", message: "internal error: no plan was produced and no problem was found; please report this" }] };
  }
  const plan: ExecutionPlan = { version: 1, pipelineFile: file, form: compiled.form, env: compiled.env, jobs: compiled.jobs };
  if (compiled.name !== undefined) plan.name = compiled.name;
  return { plan, issues: [] };
}

/** JSON Schema of the pipeline file, for editors (`pitstop schema`). */
export function pipelineJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(PipelineFileSchema, { target: "draft-7", unrepresentable: "any" }) as Record<string, unknown>;
  // zod has no "strict except a key pattern": allow the `x-` anchor keys that loadPipeline ignores.
  return { ...schema, patternProperties: { "^x-": {} } };
}
