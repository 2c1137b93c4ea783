import http from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync, inflateSync } from "node:zlib";

/**
 * A local stand-in for an npm registry's advisory service, for tests of anything that runs
 * `npm audit`: a real HTTP server on 127.0.0.1 that answers what npm 11 asks.
 *
 * - `POST /-/npm/v1/security/advisories/bulk`: npm sends `{ "<pkg>": ["<version>", …] }`, gzip'd
 *   (`content-encoding: gzip`); the answer is `{ "<pkg>": [advisory, …] }` for the requested
 *   packages (npm itself checks each advisory's `vulnerable_versions` against the lockfile).
 * - `GET /<pkg>` (`/@scope%2fname` for scoped ones): the packument npm reads to work out
 *   `fixAvailable`; without one (404) npm reports `fixAvailable: false`.
 * - `fail(status)` makes every route answer that status (500, 404…); `fail(null)` heals it.
 */

/** One advisory as the bulk endpoint returns it. */
export interface BulkAdvisory {
  id: number;
  url: string;
  title: string;
  severity: "info" | "low" | "moderate" | "high" | "critical";
  vulnerable_versions: string;
  cwe: string[];
  cvss: { score: number; vectorString: string | null };
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  /** The decoded body (gunzipped when it came gzip'd), parsed as JSON when it is JSON. */
  body: unknown;
}

export interface AdvisoryServerOptions {
  /** Advisories by package name. */
  advisories?: Record<string, BulkAdvisory[]>;
  /** Published versions by package name, for packuments (the last one is `latest`). */
  versions?: Record<string, string[]>;
  /** Answer every request with this status instead. */
  failStatus?: number | null;
}

export interface AdvisoryServer {
  /** `http://127.0.0.1:<port>/`, to pass as npm's registry. */
  url: string;
  requests: RecordedRequest[];
  setAdvisories(advisories: Record<string, BulkAdvisory[]>): void;
  setVersions(versions: Record<string, string[]>): void;
  fail(status: number | null): void;
  /** The requests so far, one line each, for a failing test's message. */
  describeRequests(): string;
  close(): Promise<void>;
}

export const BULK_PATH = "/-/npm/v1/security/advisories/bulk";

/**
 * An advisory shaped like the registry's minimist prototype-pollution one (GHSA-xvch-5gv4-984h),
 * rated high with the range the seed scenario uses.
 */
export function minimistAdvisory(overrides: Partial<BulkAdvisory> = {}): BulkAdvisory {
  return {
    id: 1179,
    url: "https://github.com/advisories/GHSA-xvch-5gv4-984h",
    title: "Prototype Pollution in minimist",
    severity: "high",
    vulnerable_versions: "<1.2.6",
    cwe: ["CWE-1321"],
    cvss: { score: 7.5, vectorString: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H" },
    ...overrides,
  };
}

export async function startAdvisoryServer(opts: AdvisoryServerOptions = {}): Promise<AdvisoryServer> {
  let advisories = opts.advisories ?? {};
  let versions = opts.versions ?? {};
  let failStatus = opts.failStatus ?? null;
  const requests: RecordedRequest[] = [];
  let base = "";

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = decodeBody(Buffer.concat(chunks), req.headers["content-encoding"]);
      requests.push({ method: req.method ?? "?", url: req.url ?? "/", headers: req.headers, body });
      if (failStatus !== null) return send(res, failStatus, { error: `told to fail with ${failStatus}` });
      const url = new URL(req.url ?? "/", base);
      if (req.method === "POST" && url.pathname === BULK_PATH) return send(res, 200, bulkAnswer(body, advisories));
      if (req.method === "GET" && url.pathname.length > 1) {
        const name = decodeURIComponent(url.pathname.slice(1));
        const list = versions[name];
        if (list !== undefined) return send(res, 200, packument(name, list, base));
      }
      return send(res, 404, { error: "Not found" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}/`;

  return {
    url: base,
    requests,
    setAdvisories: (a) => void (advisories = a),
    setVersions: (v) => void (versions = v),
    fail: (status) => void (failStatus = status),
    describeRequests: () => requests.map((r) => `${r.method} ${r.url} ${JSON.stringify(r.body) ?? ""}`.slice(0, 300)).join("\n") || "(no requests)",
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}

function decodeBody(raw: Buffer, encoding: string | undefined): unknown {
  if (raw.length === 0) return null;
  const bytes = encoding === "gzip" ? gunzipSync(raw) : encoding === "deflate" ? inflateSync(raw) : raw;
  const text = bytes.toString("utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function bulkAnswer(body: unknown, advisories: Record<string, BulkAdvisory[]>): Record<string, BulkAdvisory[]> {
  const out: Record<string, BulkAdvisory[]> = {};
  if (typeof body !== "object" || body === null) return out;
  for (const name of Object.keys(body)) {
    const list = advisories[name];
    if (list !== undefined && list.length > 0) out[name] = list;
  }
  return out;
}

function packument(name: string, list: readonly string[], base: string): Record<string, unknown> {
  const file = name.split("/").at(-1) ?? name;
  const versions = Object.fromEntries(list.map((v) => [v, { name, version: v, dist: { tarball: `${base}${name}/-/${file}-${v}.tgz` } }]));
  return { name, "dist-tags": { latest: list.at(-1) ?? "0.0.0" }, versions };
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
