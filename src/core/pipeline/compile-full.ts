import { buildJob } from "./build-job.js";
import { findCycles, topoSort } from "./dag.js";
import { suggestionHint } from "./did-you-mean.js";
import type { IssueDraft, PathSegment } from "./issue-draft.js";
import { expandMatrix, matrixJobId, matrixRefs, type Combination } from "./matrix.js";
import type { PlanJob } from "./plan.js";
import { JOB_NAME, JobSchema, type JobInput } from "./schema.js";
import { validate } from "./zod-issues.js";

/**
 * The full form: `jobs:` by name. Every job is validated on its own and the graph is checked from
 * the raw `needs`, so one broken job never hides problems elsewhere; a plan is built only when
 * nothing at all is wrong.
 */

export interface FullResult {
  jobs: PlanJob[] | null;
  drafts: IssueDraft[];
}

interface NeedRef {
  name: string;
  path: PathSegment[];
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** `needs` read leniently (a mistyped entry is reported by the schema, not here). */
function rawNeeds(job: string, raw: unknown): NeedRef[] {
  const n = isMap(raw) ? raw.needs : undefined;
  if (typeof n === "string") return [{ name: n, path: ["jobs", job, "needs"] }];
  if (!Array.isArray(n)) return [];
  return n.flatMap((x, i) => (typeof x === "string" ? [{ name: x, path: ["jobs", job, "needs", i] }] : []));
}

function checkJobShape(job: string, raw: unknown): IssueDraft[] {
  const drafts: IssueDraft[] = [];
  if (!JOB_NAME.test(job)) {
    drafts.push({ path: ["jobs", job], target: "key", message: `invalid job name \`${job}\`: use letters, digits, \`_\`, \`.\` and \`-\`, not starting with \`.\` or \`-\`` });
  }
  if (!isMap(raw)) return drafts;
  const kind = typeof raw.agent === "string" ? raw.agent : "shell";
  if (kind !== "shell") return drafts;
  if (raw.steps === undefined) {
    drafts.push({ path: ["jobs", job], target: "key", message: `job \`${job}\` has no \`steps\``, hint: "shell jobs run their steps: add `steps:`, or set `agent:` to a stage kind" });
  } else if (Array.isArray(raw.steps) && raw.steps.length === 0) {
    drafts.push({ path: ["jobs", job, "steps"], message: "`steps` must not be empty for a shell job" });
  }
  return drafts;
}

function checkNeeds(rawJobs: Record<string, unknown>): IssueDraft[] {
  const names = Object.keys(rawJobs);
  const known = new Set(names);
  const drafts: IssueDraft[] = [];
  const needs = new Map(names.map((n) => [n, rawNeeds(n, rawJobs[n])]));
  for (const [job, refs] of needs) {
    for (const ref of refs) {
      if (ref.name === job) drafts.push({ path: ref.path, message: `job \`${job}\` needs itself`, hint: "remove it from `needs`" });
      else if (!known.has(ref.name)) {
        drafts.push({ path: ref.path, message: `job \`${job}\` needs \`${ref.name}\`, which is not a job in this file`, hint: suggestionHint(ref.name, names.filter((n) => n !== job)) });
      }
    }
  }
  for (const cycle of findCycles(names, (n) => (needs.get(n) ?? []).map((r) => r.name))) {
    const [first, second] = cycle as [string, string];
    const ref = (needs.get(first) ?? []).find((r) => r.name === second);
    drafts.push({
      path: ref?.path ?? ["jobs", first],
      message: `jobs wait for each other in a cycle: ${cycle.join(" → ")}`,
      hint: "remove one of these `needs`",
    });
  }
  return drafts;
}

/** Every string in a job where `${{ matrix.x }}` is substituted, with its path. */
function substitutable(job: JobInput): [PathSegment[], string][] {
  const out: [PathSegment[], string][] = Object.entries(job.env ?? {}).map(([k, v]) => [["env", k], String(v)]);
  if (job["working-directory"] !== undefined) out.push([["working-directory"], job["working-directory"]]);
  (job.steps ?? []).forEach((s, i) => {
    if (typeof s === "string") return void out.push([["steps", i], s]);
    out.push([["steps", i, "run"], s.run]);
    if (s.name !== undefined) out.push([["steps", i, "name"], s.name]);
    if (s["working-directory"] !== undefined) out.push([["steps", i, "working-directory"], s["working-directory"]]);
    for (const [k, v] of Object.entries(s.env ?? {})) out.push([["steps", i, "env", k], String(v)]);
  });
  return out;
}

function checkMatrixRefs(name: string, job: JobInput, combos: Combination[] | null): IssueDraft[] {
  const keys = [...new Set((combos ?? []).flatMap((c) => Object.keys(c)))];
  return substitutable(job).flatMap(([path, text]) =>
    matrixRefs(text)
      .filter((ref) => !keys.includes(ref))
      .map((ref) => ({
        path: ["jobs", name, ...path],
        message: combos === null ? `\`\${{ matrix.${ref} }}\` is used but job \`${name}\` has no matrix` : `\`\${{ matrix.${ref} }}\` is not a matrix axis of job \`${name}\``,
        ...(combos === null ? { hint: "add `strategy: { matrix: ... }` or remove the reference" } : { hint: suggestionHint(ref, keys) }),
      })),
  );
}

interface Expanded {
  combos: Map<string, Combination[] | null>;
  drafts: IssueDraft[];
}

function expandAll(typed: Map<string, JobInput>): Expanded {
  const combos = new Map<string, Combination[] | null>();
  const drafts: IssueDraft[] = [];
  const owner = new Map<string, string>();
  for (const [name, job] of typed) {
    const matrix = job.strategy?.matrix;
    const base: PathSegment[] = ["jobs", name, "strategy", "matrix"];
    let list: Combination[] | null = null;
    if (matrix !== undefined) {
      const r = expandMatrix(matrix);
      if (!r.ok) {
        drafts.push(...r.drafts.map((d) => ({ ...d, path: [...base, ...d.path] })));
        continue;
      }
      list = r.combinations;
    }
    combos.set(name, list);
    drafts.push(...checkMatrixRefs(name, job, list));
    for (const id of list === null ? [name] : list.map((c) => matrixJobId(name, c))) {
      const other = owner.get(id);
      if (other === name) drafts.push({ path: base, message: `the matrix gives job id \`${id}\` twice: each combination must be unique (18 and "18" are the same value)` });
      else if (other !== undefined) drafts.push({ path: ["jobs", name], target: "key", message: `job \`${name}\` expands to id \`${id}\`, which job \`${other}\` also produces` });
      owner.set(id, name);
    }
  }
  return { combos, drafts };
}

export function compileFull(rawJobs: Record<string, unknown>, pipelineEnv: Record<string, string>): FullResult {
  const names = Object.keys(rawJobs);
  if (names.length === 0) return { jobs: null, drafts: [{ path: ["jobs"], message: "`jobs` is empty: add at least one job" }] };
  const drafts: IssueDraft[] = [];
  const typed = new Map<string, JobInput>();
  for (const name of names) {
    drafts.push(...checkJobShape(name, rawJobs[name]));
    const r = validate(JobSchema, rawJobs[name], ["jobs", name]);
    if (r.ok) typed.set(name, r.data);
    else drafts.push(...r.drafts);
  }
  drafts.push(...checkNeeds(rawJobs));
  const { combos, drafts: matrixDrafts } = expandAll(typed);
  drafts.push(...matrixDrafts);
  if (drafts.length > 0) return { jobs: null, drafts };

  const needsOf = (n: string) => rawNeeds(n, rawJobs[n]).map((r) => r.name);
  const idsOf = (n: string): string[] => {
    const c = combos.get(n);
    return c === null || c === undefined ? [n] : c.map((x) => matrixJobId(n, x));
  };
  const jobs = topoSort(names, needsOf).flatMap((name) => {
    const job = typed.get(name) as JobInput;
    const needs = [...new Set(needsOf(name).flatMap(idsOf))];
    const list = combos.get(name) ?? null;
    if (list === null) return [buildJob({ name, job, combination: null, needs, pipelineEnv })];
    return list.map((combination) => buildJob({ name, job, combination, needs, pipelineEnv }));
  });
  return { jobs, drafts: [] };
}
