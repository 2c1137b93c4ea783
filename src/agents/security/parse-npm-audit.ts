import { SEVERITIES, severityRank, type Severity } from "./security-options.js";

/** One vulnerable package, as the security stage stores and reports it. */
export interface Vulnerability {
  package: string;
  severity: Severity;
  /** The advisory's title, or "depends on vulnerable <pkg>" when only a dependency is affected. */
  title: string;
  /** The advisory's URL (or `npm advisory <id>` when it has none). */
  advisory: string;
  /** A stable id for the advisory: the GHSA id from its URL, else `npm-<source>`. */
  id: string;
  /** The vulnerable version range (the advisory's, else npm's for the package). */
  range: string;
  /** "upgrade X to Y", "upgrade X to >=Y (npm audit fix)" or "no fix available". */
  fix: string;
  /** Versions in the lockfile, when it says. */
  installed: string[];
  /** A direct dependency of the project. */
  direct: boolean;
  /** Vulnerable dependencies this package is affected through (empty when an advisory names it). */
  via: string[];
  /** CVSS base score of the advisory, when given (> 0). */
  cvss: number | null;
}

export type AuditJson =
  | { kind: "report"; vulnerabilities: Vulnerability[]; dependencies: number | null }
  | { kind: "no-lockfile"; message: string }
  | { kind: "endpoint"; message: string; statusCode: number | null }
  | { kind: "other"; message: string };

interface Advisory {
  source: string;
  title: string;
  url: string | null;
  severity: Severity;
  range: string;
  cvss: number | null;
}

interface Entry {
  name: string;
  severity: Severity;
  direct: boolean;
  advisories: Advisory[];
  viaNames: string[];
  range: string;
  nodes: string[];
  fixAvailable: unknown;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown, fallback = ""): string => (typeof v === "string" ? v : typeof v === "number" ? String(v) : fallback);
const severityOf = (v: unknown): Severity => ((SEVERITIES as readonly string[]).includes(str(v)) ? (v as Severity) : "info");

/**
 * Reads `npm audit --json` (report version 2, npm 7 and later): the report, or which kind of
 * error npm printed instead (no lockfile; the advisory endpoint failed; anything else).
 * `versionOf(nodePath)` looks a node (`node_modules/minimist`) up in the lockfile.
 */
export function parseNpmAudit(raw: unknown, versionOf: (nodePath: string) => string | null = () => null): AuditJson {
  if (!isRecord(raw)) return { kind: "other", message: "npm audit printed no JSON object" };
  if (raw.auditReportVersion === 2 && isRecord(raw.vulnerabilities)) {
    const entries = new Map<string, Entry>();
    for (const [name, v] of Object.entries(raw.vulnerabilities)) if (isRecord(v)) entries.set(name, readEntry(name, v));
    const vulnerabilities = [...entries.values()].map((e) => toVulnerability(e, entries, versionOf));
    vulnerabilities.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.package.localeCompare(b.package));
    const deps = isRecord(raw.metadata) && isRecord(raw.metadata.dependencies) ? raw.metadata.dependencies.total : null;
    return { kind: "report", vulnerabilities, dependencies: typeof deps === "number" ? deps : null };
  }
  if (raw.auditReportVersion !== undefined) {
    return { kind: "other", message: `npm audit report version ${str(raw.auditReportVersion, "?")} is not supported: use npm 7 or later` };
  }
  const error = isRecord(raw.error) ? raw.error : null;
  if (error?.code === "ENOLOCK") return { kind: "no-lockfile", message: str(error.summary, "npm audit needs a lockfile") };
  // The advisory endpoint failed (HTTP status or network): npm prints `message` (and `statusCode`).
  if (typeof raw.message === "string") {
    return { kind: "endpoint", message: raw.message, statusCode: typeof raw.statusCode === "number" ? raw.statusCode : null };
  }
  const summary = error === null ? "" : [str(error.code), str(error.summary)].filter((s) => s !== "").join(": ");
  return { kind: "other", message: summary === "" ? "npm audit printed an unexpected JSON object" : summary };
}

function readEntry(name: string, v: Record<string, unknown>): Entry {
  const via = Array.isArray(v.via) ? v.via : [];
  const advisories: Advisory[] = [];
  const viaNames: string[] = [];
  for (const item of via) {
    if (typeof item === "string") viaNames.push(item);
    else if (isRecord(item)) advisories.push(readAdvisory(item));
  }
  const nodes = Array.isArray(v.nodes) ? v.nodes.filter((n): n is string => typeof n === "string") : [];
  return { name: str(v.name, name), severity: severityOf(v.severity), direct: v.isDirect === true, advisories, viaNames, range: str(v.range), nodes, fixAvailable: v.fixAvailable };
}

function readAdvisory(a: Record<string, unknown>): Advisory {
  const score = isRecord(a.cvss) && typeof a.cvss.score === "number" && a.cvss.score > 0 ? a.cvss.score : null;
  return { source: str(a.source, "?"), title: str(a.title, "(untitled advisory)"), url: typeof a.url === "string" && a.url !== "" ? a.url : null, severity: severityOf(a.severity), range: str(a.range), cvss: score };
}

function mostSevere(list: readonly Advisory[]): Advisory | null {
  return list.reduce<Advisory | null>((best, a) => (best === null || severityRank(a.severity) > severityRank(best.severity) ? a : best), null);
}

/** The advisory behind a package affected only through dependencies: the worst one down the `via` chain. */
function inheritedAdvisory(e: Entry, entries: ReadonlyMap<string, Entry>): { advisory: Advisory; through: string } | null {
  const seen = new Set<string>([e.name]);
  let frontier = e.viaNames.map((n) => ({ name: n, through: n }));
  while (frontier.length > 0) {
    const next: { name: string; through: string }[] = [];
    for (const f of frontier) {
      if (seen.has(f.name)) continue;
      seen.add(f.name);
      const dep = entries.get(f.name);
      const a = dep === undefined ? null : mostSevere(dep.advisories);
      if (a !== null) return { advisory: a, through: f.through };
      for (const n of dep?.viaNames ?? []) next.push({ name: n, through: f.through });
    }
    frontier = next;
  }
  return null;
}

function toVulnerability(e: Entry, entries: ReadonlyMap<string, Entry>, versionOf: (nodePath: string) => string | null): Vulnerability {
  const own = mostSevere(e.advisories);
  const inherited = own === null ? inheritedAdvisory(e, entries) : null;
  const a = own ?? inherited?.advisory ?? null;
  // The advisory's own range ("<1.2.6") says more than npm's, which it narrows to the versions
  // the packument lists ("1.2.0"), and it is the one a fix is read from.
  const range = own !== null && own.range !== "" ? own.range : e.range;
  const installed = [...new Set(e.nodes.map(versionOf).filter((v): v is string => v !== null))];
  return {
    package: e.name,
    severity: e.severity,
    title: own !== null ? own.title : `depends on vulnerable ${inherited?.through ?? e.viaNames.join(", ")}`,
    advisory: a === null ? "(no advisory)" : (a.url ?? `npm advisory ${a.source}`),
    id: a === null ? `npm-${e.name}` : advisoryId(a),
    range,
    fix: fixText(e.fixAvailable, e.name, range),
    installed,
    direct: e.direct,
    via: own === null ? e.viaNames : [],
    cvss: a?.cvss ?? null,
  };
}

function advisoryId(a: Advisory): string {
  const ghsa = a.url === null ? null : /GHSA(?:-[23456789cfghjmpqrvwx]{4}){3}/i.exec(a.url);
  return ghsa !== null ? ghsa[0] : `npm-${a.source}`;
}

/**
 * npm's `fixAvailable`: an object names the upgrade `npm audit fix` would make; `true` means a
 * fix within the declared ranges exists without naming the version (the first version outside a
 * `<X` range is then the one to ask for); `false`: nothing fixes it yet.
 */
export function fixText(fixAvailable: unknown, pkg: string, range: string): string {
  if (isRecord(fixAvailable) && typeof fixAvailable.name === "string" && typeof fixAvailable.version === "string") {
    const major = fixAvailable.isSemVerMajor === true ? " (semver-major: `npm audit fix --force`)" : "";
    return `upgrade ${fixAvailable.name} to ${fixAvailable.version}${major}`;
  }
  if (fixAvailable === true) {
    const below = /^<\s*(\d[^\s|]*)$/.exec(range.trim());
    const atOrBelow = /^<=\s*(\d[^\s|]*)$/.exec(range.trim());
    const target = below !== null ? `>=${below[1]}` : atOrBelow !== null ? `>${atOrBelow[1]}` : `a version outside ${range || "the vulnerable range"}`;
    return `upgrade ${pkg} to ${target} (npm audit fix)`;
  }
  return "no fix available";
}
