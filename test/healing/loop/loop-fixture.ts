import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { defaultPolicyFile } from "../../../src/core/healing/default-policy.js";
import type { PolicyFile } from "../../../src/core/healing/environment-policy.js";
import { silentLogger } from "../../../src/core/logger.js";
import type { DeployTarget } from "../../../src/deploy/port.js";
import { createAuditLog } from "../../../src/healing/audit/create-audit-log.js";
import { createHealLoop, type HealLoop } from "../../../src/healing/loop/create-heal-loop.js";
import type { HealLoopDeps } from "../../../src/healing/loop/heal-types.js";
import { createSqliteStore } from "../../../src/store/adapters/sqlite/create-sqlite-store.js";
import type { Store } from "../../../src/store/port.js";

/** A fresh migrated in-memory SQLite store and a loop over it. */
export async function createLoopFixture(
  targets: HealLoopDeps["targets"],
  extra: Partial<HealLoopDeps> & { policyFile?: PolicyFile } = {},
): Promise<{ store: Store; loop: HealLoop }> {
  const store = await createSqliteStore({ memory: true });
  await store.migrate();
  let n = 0;
  const now = extra.now ?? Date.now;
  const loop = createHealLoop({
    store,
    audit: createAuditLog({ store: store.audit, now }),
    policyFile: defaultPolicyFile(),
    targets,
    now,
    newId: () => `id-${++n}`,
    log: silentLogger,
    verify: { windowMs: 300, probeIntervalMs: 100, minSamples: 3 },
    ...extra,
  });
  return { store, loop };
}

/**
 * An app whose /health answers 500 once the file named by $BAD_FLAG exists: a release that was
 * healthy when deployed and turns bad later, as bad releases do.
 */
export async function writeFlagApp(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const src = `
import http from "node:http";
import fs from "node:fs";
const server = http.createServer((req, res) => {
  const bad = req.url === "/health" && fs.existsSync(process.env.BAD_FLAG);
  res.writeHead(bad ? 500 : 200, { "content-type": "application/json" });
  res.end(JSON.stringify({ release: process.env.RELEASE_ID, bad }));
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
server.listen(Number(process.env.PORT), "127.0.0.1");
`;
  await writeFile(path.join(dir, "server.mjs"), src);
  return dir;
}

/** Waits until the target's health says `healthy`, up to 10 s. */
export async function untilHealth(target: DeployTarget, healthy: boolean): Promise<void> {
  for (const end = Date.now() + 10_000; Date.now() < end; ) {
    if ((await target.health()).healthy === healthy) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`target never became ${healthy ? "healthy" : "unhealthy"}`);
}

/** SIGKILLs the first worker's process group (its sh and the app), as a crash would. */
export async function killWorker(target: DeployTarget): Promise<number> {
  const worker = (await target.status()).workers[0];
  if (!worker) throw new Error("no worker to kill");
  process.kill(-worker.pid, "SIGKILL");
  await untilHealth(target, false);
  return worker.pid;
}
