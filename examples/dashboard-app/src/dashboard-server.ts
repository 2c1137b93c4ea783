import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createDatasetCatalog } from "./dataset-catalog.js";
import type { DatasetCatalog } from "./dataset-catalog.js";
import type { CsvTable } from "./csv.js";
import { checkQuality, DEFAULT_THRESHOLDS } from "./quality.js";
import type { Thresholds } from "./quality.js";
import { renderDashboardPage } from "./render-page.js";
import type { DatasetView } from "./render-page.js";
import { computeStats, UnknownColumnError } from "./stats.js";
import { FAULT_PREFIX, FaultRequestError, isLoopback } from "./faults.js";
import type { FaultHooks } from "./faults.js";

export interface DashboardOptions {
  datasetsDir: string;
  /** Reported by /health so a deployer can tell which release answers. */
  release: string | null;
  thresholds?: Thresholds;
  /** Receives one line per request; silent when absent. */
  log?: (line: string) => void;
  /** Fault hooks under /__faults (PITSTOP_FAULTS=1); absent, those paths are a plain 404. */
  faults?: FaultHooks;
  /** FAULT_UNHEALTHY=1: an injected bad release whose /health answers 503. */
  unhealthy?: boolean;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Route =
  | { kind: "page" }
  | { kind: "health" }
  | { kind: "datasets" }
  | { kind: "stats" | "quality"; name: string }
  | { kind: "not-found" };

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `malformed percent-encoding in path segment '${segment}'`);
  }
}

function matchRoute(pathname: string): Route {
  const path = pathname.length > 1 && pathname.endsWith("/") ? pathname.slice(0, -1) : pathname;
  if (path === "/") return { kind: "page" };
  if (path === "/health") return { kind: "health" };
  if (path === "/api/datasets") return { kind: "datasets" };
  const parts = path.split("/");
  // ["", "api", "datasets", name, action]
  const [, api, datasets, name, action, ...rest] = parts;
  if (api === "api" && datasets === "datasets" && name !== undefined && rest.length === 0 && (action === "stats" || action === "quality")) {
    return { kind: action, name: decodeSegment(name) };
  }
  return { kind: "not-found" };
}

function send(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    "content-type": type,
    "content-length": String(Buffer.byteLength(body)),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    ...headers,
  });
  res.end(req.method === "HEAD" ? undefined : body);
}

function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  send(req, res, status, "application/json; charset=utf-8", `${JSON.stringify(body, null, 2)}\n`, headers);
}

async function readDataset(catalog: DatasetCatalog, name: string): Promise<CsvTable> {
  const table = await catalog.read(name);
  if (table !== null) return table;
  const known = (await catalog.list()).map((d) => d.name);
  throw new HttpError(404, `unknown dataset '${name}'; known datasets: ${known.join(", ") || "none"} (GET /api/datasets)`);
}

function parseGroupBy(url: URL): string[] | undefined {
  const raw = url.searchParams.get("groupBy");
  if (raw === null) return undefined;
  return raw
    .split(",")
    .map((c) => c.trim())
    .filter((c) => c !== "");
}

async function buildPage(catalog: DatasetCatalog, thresholds: Thresholds): Promise<DatasetView[]> {
  const infos = await catalog.list();
  const views: DatasetView[] = [];
  for (const info of infos) {
    const table = await catalog.read(info.name);
    // Deleted between listing and reading: just leave it off the page.
    if (table === null) continue;
    views.push({ name: info.name, stats: computeStats(table), quality: checkQuality(info.name, table, thresholds) });
  }
  return views;
}

/**
 * The dashboard's HTTP server (not yet listening): JSON API under /api, /health for deployers and
 * an HTML page at /. Datasets are read from disk on every request so a data change needs no restart.
 */
export function createDashboardServer(options: DashboardOptions): Server {
  const catalog = createDatasetCatalog(options.datasetsDir);
  const thresholds = options.thresholds ?? DEFAULT_THRESHOLDS;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pathname = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    if (pathname === FAULT_PREFIX || pathname.startsWith(`${FAULT_PREFIX}/`)) {
      // Same 404 as any unknown path when the hooks are off or the caller is not local.
      if (options.faults === undefined || !isLoopback(req.socket.remoteAddress)) {
        throw new HttpError(404, `no route for ${pathname}; try /, /health or /api/datasets`);
      }
      return options.faults.handle(req, res);
    }
    const delay = options.faults?.latencyMs() ?? 0;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    if (req.method !== "GET" && req.method !== "HEAD") {
      throw new HttpError(405, `method ${req.method ?? "?"} is not allowed; this API is read-only (GET, HEAD)`);
    }
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const target = matchRoute(url.pathname);
    switch (target.kind) {
      case "health":
        if (options.unhealthy === true) {
          return sendJson(req, res, 503, { status: "unhealthy", release: options.release, pid: process.pid, reason: "FAULT_UNHEALTHY=1 (injected bad release)" });
        }
        if (options.faults?.unhealthy() === true) {
          return sendJson(req, res, 503, { status: "unhealthy", release: options.release, pid: process.pid, reason: "POST /__faults/unhealthy (release turned bad)" });
        }
        return sendJson(req, res, 200, { status: "ok", release: options.release, pid: process.pid });
      case "datasets":
        return sendJson(req, res, 200, { datasets: await catalog.list() });
      case "stats": {
        const table = await readDataset(catalog, target.name);
        const stats = computeStats(table, { groupBy: parseGroupBy(url) });
        return sendJson(req, res, 200, { dataset: target.name, ...stats, issues: table.issues });
      }
      case "quality":
        return sendJson(req, res, 200, checkQuality(target.name, await readDataset(catalog, target.name), thresholds));
      case "page": {
        const html = renderDashboardPage({ release: options.release, datasets: await buildPage(catalog, thresholds) });
        return send(req, res, 200, "text/html; charset=utf-8", html);
      }
      case "not-found":
        throw new HttpError(404, `no route for ${url.pathname}; try /, /health or /api/datasets`);
    }
  }

  return createServer((req, res) => {
    const started = performance.now();
    res.on("finish", () => {
      options.log?.(`${req.method ?? "?"} ${req.url ?? ""} ${res.statusCode} ${Math.round(performance.now() - started)}ms`);
    });
    route(req, res).catch((e: unknown) => {
      const status = e instanceof HttpError || e instanceof FaultRequestError ? e.status : e instanceof UnknownColumnError ? 400 : 500;
      const message = e instanceof Error ? e.message : String(e);
      if (status === 500) options.log?.(`error serving ${req.url ?? ""}: ${e instanceof Error ? (e.stack ?? message) : message}`);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const headers: Record<string, string> = status === 405 ? { allow: "GET, HEAD" } : {};
      sendJson(req, res, status, { error: status === 500 ? `internal error: ${message}` : message }, headers);
    });
  });
}
