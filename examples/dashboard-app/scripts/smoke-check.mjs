// Smoke check of a running server, used by scripts/smoke.sh:
//   node scripts/smoke-check.mjs <server log file> <server pid> <expected release>
// Waits for the "listening on" line in the log (the server runs with PORT=0), then checks that
// /health, the dataset API and the page answer. Exits 1 with the reason on the first failure.
import { readFile } from "node:fs/promises";

const [logFile, pidArg, expectedRelease] = process.argv.slice(2);
if (logFile === undefined || pidArg === undefined || expectedRelease === undefined) {
  console.error("usage: node scripts/smoke-check.mjs <server log file> <server pid> <expected release>");
  process.exit(2);
}
const pid = Number(pidArg);
const STARTUP_TIMEOUT_MS = 20_000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function alive() {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitForBaseUrl() {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const log = await readFile(logFile, "utf8").catch(() => "");
    const match = log.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    if (match) return match[1];
    if (!alive()) throw new Error(`server (pid ${pid}) exited before listening`);
    await sleep(100);
  }
  throw new Error(`server did not print "listening on" within ${STARTUP_TIMEOUT_MS / 1000}s`);
}

async function get(base, path, type) {
  const res = await fetch(`${base}${path}`);
  if (res.status !== 200) throw new Error(`GET ${path}: expected 200, got ${res.status}: ${await res.text()}`);
  const contentType = res.headers.get("content-type") ?? "";
  if (!contentType.startsWith(type)) throw new Error(`GET ${path}: expected ${type}, got ${contentType}`);
  return type === "application/json" ? res.json() : res.text();
}

async function main() {
  const base = await waitForBaseUrl();
  const health = await get(base, "/health", "application/json");
  if (health.status !== "ok") throw new Error(`/health status is ${JSON.stringify(health.status)}, expected "ok"`);
  if (health.release !== expectedRelease) throw new Error(`/health release is ${JSON.stringify(health.release)}, expected "${expectedRelease}"`);
  if (health.pid !== pid) throw new Error(`/health pid is ${health.pid}, expected ${pid}: another process answers on this port`);
  console.log(`smoke: ${base}/health ok (release ${health.release}, pid ${health.pid})`);
  const { datasets } = await get(base, "/api/datasets", "application/json");
  if (!Array.isArray(datasets) || datasets.length === 0) throw new Error("/api/datasets lists no datasets");
  for (const { name } of datasets) {
    const path = `/api/datasets/${encodeURIComponent(name)}`;
    const stats = await get(base, `${path}/stats`, "application/json");
    await get(base, `${path}/quality`, "application/json");
    console.log(`smoke: ${name}: ${stats.rowCount} rows`);
  }
  const page = await get(base, "/", "text/html");
  if (!page.includes("Data dashboard")) throw new Error("GET / does not look like the dashboard page");
  console.log("smoke: dashboard page ok");
}

main().catch((e) => {
  console.error(`smoke: FAILED: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
