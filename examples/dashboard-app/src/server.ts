import { stat } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { ConfigError, loadConfig } from "./config.js";
import { createDashboardServer } from "./dashboard-server.js";
import { createFaultHooks } from "./faults.js";

/** After SIGTERM, connections still busy after this long are cut so the process can exit. */
const SHUTDOWN_GRACE_MS = 5000;

async function main(): Promise<void> {
  const config = loadConfig(process.env, process.cwd());
  const dir = await stat(config.datasetsDir).catch(() => null);
  if (dir === null || !dir.isDirectory()) {
    throw new ConfigError(`datasets directory ${config.datasetsDir} does not exist; create it or set DATASETS_DIR`);
  }
  const server = createDashboardServer({
    datasetsDir: config.datasetsDir,
    release: config.release,
    log: (line) => console.log(line),
    // A real crash for the healing demo: exit 1 without the graceful shutdown.
    faults: config.faults ? createFaultHooks({ crash: () => process.exit(1) }) : undefined,
    unhealthy: config.unhealthy,
  });

  const shutdown = (signal: string): void => {
    console.log(`${signal} received: closing the server`);
    server.close(() => console.log("server closed"));
    // Keep-alive sockets would hold close() open; idle ones can go at once.
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));

  server.on("error", (e) => {
    console.error(`dashboard-app cannot listen on ${config.host}:${config.port}: ${e.message}`);
    process.exitCode = 1;
  });
  server.listen(config.port, config.host, () => {
    const { port } = server.address() as AddressInfo;
    // The smoke check parses this line to learn the port when PORT=0.
    console.log(
      `dashboard-app listening on http://${config.host}:${port} (release ${config.release ?? "unknown"}, pid ${process.pid}, datasets ${config.datasetsDir})`,
    );
    if (config.faults) console.log("fault hooks on: POST /__faults/{latency,cpu,crash,clear} from 127.0.0.1 (PITSTOP_FAULTS=1)");
    if (config.unhealthy) console.log("FAULT_UNHEALTHY=1: /health answers 503");
  });
}

main().catch((e: unknown) => {
  console.error(e instanceof ConfigError ? `dashboard-app: ${e.message}` : e);
  process.exitCode = 1;
});
