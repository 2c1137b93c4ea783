import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCommandDeployTarget, type CommandTargetOptions } from "../../src/deploy/adapters/command/command-target.js";
import { openDeployTarget } from "../../src/deploy/adapters/create-deploy-target.js";
import type { DeployRelease } from "../../src/deploy/port.js";

// The command target with real shell commands against a "cluster" that is a directory: the deploy
// command writes the live release into it, the health command checks it, every command appends
// what it was given to a log, so the test sees exactly what ran with which variables.

let root: string;
let dataDir: string;
let cluster: string;
let good: string;
let broken: string;

const COMMANDS = {
  deploy: `echo "$PITSTOP_RELEASE_ID" > "$CLUSTER/current" && echo "deploy $PITSTOP_RELEASE_ID env=$PITSTOP_ENVIRONMENT prev=$PITSTOP_PREVIOUS_RELEASE_ID src=$(basename "$PITSTOP_SOURCE_DIR")" >> "$CLUSTER/log" && if [ -f "$PITSTOP_SOURCE_DIR/BROKEN" ]; then touch "$CLUSTER/broken-$PITSTOP_RELEASE_ID"; fi`,
  health: `cur=$(cat "$CLUSTER/current") && test ! -f "$CLUSTER/broken-$cur"`,
  rollback: `echo "$PITSTOP_RELEASE_ID" > "$CLUSTER/current" && echo "rollback to $PITSTOP_RELEASE_ID from $PITSTOP_CURRENT_RELEASE_ID" >> "$CLUSTER/log"`,
  restart: `echo "restart $PITSTOP_RELEASE_ID" >> "$CLUSTER/log"`,
  scale: `echo "scale {replicas} $PITSTOP_REPLICAS" >> "$CLUSTER/log"`,
  stop: `echo stop >> "$CLUSTER/log"`,
};

const options = (extra: Partial<CommandTargetOptions> = {}): CommandTargetOptions => ({
  dataDir, environment: "stage", commands: COMMANDS, url: "https://stage.example.test", health: { retries: 2, intervalMs: 50 }, ...extra,
});
const release = (id: string, sourceDir: string): DeployRelease => ({ id, sourceDir, start: "", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", CLUSTER: cluster } });
const log = async (): Promise<string[]> => (await readFile(path.join(cluster, "log"), "utf8")).trim().split("\n");
const current = async (): Promise<string> => (await readFile(path.join(cluster, "current"), "utf8")).trim();

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "pitstop-command-target-"));
  dataDir = path.join(root, "data");
  cluster = path.join(root, "cluster");
  good = path.join(root, "good");
  broken = path.join(root, "broken");
  for (const d of [cluster, good, broken]) await mkdir(d, { recursive: true });
  await writeFile(path.join(broken, "BROKEN"), "");
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("command target", () => {
  it("runs the deploy command with the release's variables, then the health command", async () => {
    const target = createCommandDeployTarget(options());
    const lines: string[] = [];
    const r = await target.deploy(release("1", good), { log: (l) => lines.push(l) });
    expect(r).toMatchObject({ ok: true, releaseId: "1", previousReleaseId: null, healthy: true, url: "https://stage.example.test" });
    expect(r.responseMs).toEqual(expect.any(Number));
    expect(await log()).toEqual(["deploy 1 env=stage prev= src=good"]);
    expect(lines[0]).toMatch(/^\$ echo "\$PITSTOP_RELEASE_ID"/);
    expect(await target.status()).toMatchObject({ environment: "stage", target: "command", state: "running", current: { id: "1", status: "live" }, workers: [] });
  });

  it("fails an unhealthy release with deploy_unhealthy and runs the rollback command to the previous one", async () => {
    const target = createCommandDeployTarget(options());
    const r = await target.deploy(release("2", broken));
    expect(r).toMatchObject({ ok: false, class: "deploy_unhealthy", releaseId: "2", previousReleaseId: "1" });
    expect(r.error).toMatch(/release 2 is unhealthy: health command never passed in 2 tries \(last: exited with code 1\); rolled back to 1/);
    expect(await current()).toBe("1");
    expect((await log()).slice(-2)).toEqual(["deploy 2 env=stage prev=1 src=broken", "rollback to 1 from 2"]);
    expect(await target.releases()).toMatchObject([{ id: "2", status: "failed" }, { id: "1", status: "live" }]);
  });

  it("reports a failing deploy command with its exit code and last line", async () => {
    const target = createCommandDeployTarget(options({ commands: { ...COMMANDS, deploy: "echo 'error: cluster unreachable' >&2; exit 7" } }));
    const r = await target.deploy(release("3", good));
    expect(r).toMatchObject({ ok: false, class: "command_failed" });
    expect(r.error).toBe("deploy command exited with code 7: error: cluster unreachable");
    expect(await current()).toBe("1");
  });

  it("rolls back, restarts and scales with {replicas}; a target without commands (the CLI) uses the stored ones", async () => {
    const target = createCommandDeployTarget(options());
    expect(await target.deploy(release("4", good))).toMatchObject({ ok: true, previousReleaseId: "1" });
    const cli = await openDeployTarget({ dataDir, environment: "stage" });
    expect(cli.kind).toBe("command");
    const back = await cli.rollback();
    expect(back).toMatchObject({ ok: true, releaseId: "1", previousReleaseId: "4", healthy: true });
    expect(await current()).toBe("1");
    expect(await cli.restart()).toMatchObject({ ok: true, releaseId: "1" });
    expect(await cli.scale(3)).toMatchObject({ ok: true, workers: 3 });
    expect((await log()).slice(-3)).toEqual(["rollback to 1 from 4", "restart 1", "scale 3 3"]);
    expect(await cli.rollback()).toMatchObject({ ok: false, class: "no_previous_release" });
    const health = await cli.health();
    expect(health).toMatchObject({ healthy: true, releaseId: "1", checks: [{ worker: 0, ok: true, status: 0, error: null }] });
    expect(await cli.status()).toMatchObject({ desiredWorkers: 3, current: { id: "1" } });
  });

  it("stops with the stop command; without one it says what to set", async () => {
    const noStop = createCommandDeployTarget(options({ commands: { deploy: COMMANDS.deploy, health: COMMANDS.health } }));
    expect(await noStop.stop()).toMatchObject({ ok: false, error: expect.stringContaining("set with.stop") });
    expect(await noStop.restart()).toMatchObject({ ok: false, class: "command_failed", error: expect.stringContaining("with.restart") });
    const target = createCommandDeployTarget(options());
    expect(await target.stop()).toEqual({ ok: true, stoppedPids: [] });
    expect((await log()).at(-1)).toBe("stop");
    expect((await target.status()).state).toBe("stopped");
  });

  it("kills a command that outlives its time limit", async () => {
    const target = createCommandDeployTarget(options({ environment: "prod", timeoutMs: 300, commands: { ...COMMANDS, deploy: "sleep 30" } }));
    const r = await target.deploy(release("1", good));
    expect(r).toMatchObject({ ok: false, class: "command_failed", error: "deploy command timed out after 300 ms" });
  });

  it("rejects a negative replica count as misuse", async () => {
    const target = createCommandDeployTarget(options());
    expect(() => target.scale(-1)).toThrow(/replicas must be a whole number of 0 or more/);
  });
});
