// Run as its own node process (a pitstop that deploys, then exits):
//   node --import <ts loader> deploy-and-exit.ts <dataDir> <port> <sourceDir> <releaseId>
import { createLocalDeployTarget } from "../../../src/deploy/adapters/local/local-target.js";

const [dataDir, port, sourceDir, id] = process.argv.slice(2) as [string, string, string, string];
const target = createLocalDeployTarget({ dataDir, environment: "stage", port: Number(port), health: { retries: 100, intervalMs: 100 } });
const result = await target.deploy({ id, sourceDir, start: "node server.mjs", env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
process.stdout.write(`${JSON.stringify(result)}\n`);
