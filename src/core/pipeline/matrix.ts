import type { IssueDraft } from "./issue-draft.js";

/**
 * Matrix expansion with GitHub Actions semantics:
 * 1. the cartesian product of the axes (keys other than include/exclude), in declaration order;
 * 2. `exclude` removes every combination that matches all the pairs of an entry (partial match);
 * 3. each `include` entry extends every original combination whose axis values it agrees with
 *    (it may add keys and overwrite added keys, never an axis value); an entry that extends
 *    nothing becomes a combination of its own.
 */

export type MatrixValue = string | number | boolean;
export type Combination = Record<string, MatrixValue>;
/** `strategy.matrix` after validation: axes (lists of values) plus include/exclude. */
export interface MatrixSpec {
  include?: Combination[];
  exclude?: Combination[];
  [axis: string]: MatrixValue[] | Combination[] | undefined;
}

const AXIS_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export type MatrixResult = { ok: true; combinations: Combination[] } | { ok: false; drafts: IssueDraft[] };

function same(a: MatrixValue | undefined, b: MatrixValue): boolean {
  // 18 and "18" are the same value to a user (and give the same job id).
  return a !== undefined && String(a) === String(b);
}

function product(axes: [string, MatrixValue[]][]): Combination[] {
  let combos: Combination[] = [{}];
  for (const [name, values] of axes) combos = combos.flatMap((c) => values.map((v) => ({ ...c, [name]: v })));
  return axes.length === 0 ? [] : combos;
}

function checkNames(m: MatrixSpec, axisNames: string[]): IssueDraft[] {
  const drafts: IssueDraft[] = [];
  for (const name of axisNames) {
    if (!AXIS_NAME.test(name)) drafts.push({ path: [name], target: "key", message: `invalid matrix axis name \`${name}\`: use letters, digits, \`_\` and \`-\`` });
  }
  (m.exclude ?? []).forEach((entry, i) => {
    for (const key of Object.keys(entry)) {
      if (!axisNames.includes(key)) {
        drafts.push({ path: ["exclude", i, key], target: "key", message: `exclude key \`${key}\` is not a matrix axis`, hint: `axes: ${axisNames.join(", ") || "(none)"}` });
      }
    }
  });
  return drafts;
}

/** Expands a validated matrix; drafts have paths relative to the matrix. */
export function expandMatrix(m: MatrixSpec): MatrixResult {
  const axes = Object.entries(m).filter((e): e is [string, MatrixValue[]] => e[0] !== "include" && e[0] !== "exclude" && e[1] !== undefined);
  const axisNames = axes.map(([k]) => k);
  const drafts = checkNames(m, axisNames);
  if (drafts.length > 0) return { ok: false, drafts };

  const excludes = m.exclude ?? [];
  const originals = product(axes).filter((c) => !excludes.some((e) => Object.entries(e).every(([k, v]) => same(c[k], v))));
  const added: Combination[] = [];
  for (const inc of m.include ?? []) {
    const axisPairs = Object.entries(inc).filter(([k]) => axisNames.includes(k));
    const extra = Object.entries(inc).filter(([k]) => !axisNames.includes(k));
    let matched = false;
    for (const c of originals) {
      if (!axisPairs.every(([k, v]) => same(c[k], v))) continue;
      for (const [k, v] of extra) c[k] = v;
      matched = true;
    }
    if (!matched) added.push({ ...inc });
  }
  const combinations = [...originals, ...added];
  if (combinations.length === 0) {
    const why = axes.length === 0 ? "it has no axes and no `include` entries" : "`exclude` removes every combination";
    return { ok: false, drafts: [{ path: [], message: `the matrix expands to no jobs: ${why}` }] };
  }
  return { ok: true, combinations: orderKeys(combinations, axisNames) };
}

/** Axis keys first in declaration order, then added keys in the order they first appear. */
function orderKeys(combos: Combination[], axisNames: string[]): Combination[] {
  const order = [...axisNames];
  for (const c of combos) for (const k of Object.keys(c)) if (!order.includes(k)) order.push(k);
  return combos.map((c) => Object.fromEntries(order.filter((k) => k in c).map((k) => [k, c[k] as MatrixValue])));
}

/** `test[node=18,os=linux]` */
export function matrixJobId(job: string, c: Combination): string {
  return `${job}[${Object.entries(c).map(([k, v]) => `${k}=${String(v)}`).join(",")}]`;
}

/** `test (18, linux)` */
export function matrixJobName(job: string, c: Combination): string {
  return `${job} (${Object.values(c).map(String).join(", ")})`;
}

/** `MATRIX_NODE_VERSION=20` for axis `node-version`. */
export function matrixEnv(c: Combination): Record<string, string> {
  return Object.fromEntries(Object.entries(c).map(([k, v]) => [`MATRIX_${k.toUpperCase().replace(/[^A-Z0-9_]/g, "_")}`, String(v)]));
}

const MATRIX_REF_SOURCE = String.raw`\$\{\{\s*matrix\.([A-Za-z_][A-Za-z0-9_-]*)\s*\}\}`;

/** Names referenced as `${{ matrix.x }}` in `text`. */
export function matrixRefs(text: string): string[] {
  return [...text.matchAll(new RegExp(MATRIX_REF_SOURCE, "g"))].map((m) => m[1] as string);
}

/** Replaces `${{ matrix.x }}`; a key this combination lacks becomes "" (as in GitHub Actions). */
export function substituteMatrix(text: string, c: Combination | null): string {
  if (c === null) return text;
  return text.replace(new RegExp(MATRIX_REF_SOURCE, "g"), (_, key: string) => (c[key] === undefined ? "" : String(c[key])));
}
