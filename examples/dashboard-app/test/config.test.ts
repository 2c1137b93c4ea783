import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, defaultAppRoot, loadConfig } from "../src/config.js";
import { appRoot } from "./helpers.js";

describe("loadConfig", () => {
  it("defaults to port 3000 on 127.0.0.1, ./datasets of the app root and no release", () => {
    assert.deepEqual(loadConfig({}, "/somewhere", "/app"), {
      host: "127.0.0.1",
      port: 3000,
      datasetsDir: "/app/datasets",
      release: null,
      faults: false,
      unhealthy: false,
    });
  });

  it("finds the app root from the compiled file location", () => {
    assert.equal(defaultAppRoot(), appRoot);
  });

  it("reads PORT, RELEASE_ID and DATASETS_DIR, resolving a relative directory against cwd", () => {
    const config = loadConfig({ PORT: "0", RELEASE_ID: "r-9", DATASETS_DIR: "data/csv" }, "/work", "/app");
    assert.deepEqual(config, { host: "127.0.0.1", port: 0, datasetsDir: "/work/data/csv", release: "r-9", faults: false, unhealthy: false });
    assert.equal(loadConfig({ DATASETS_DIR: "/abs/dir" }, "/work", "/app").datasetsDir, "/abs/dir");
    assert.equal(loadConfig({ RELEASE_ID: "" }, "/work", "/app").release, null);
  });

  it("turns fault hooks and the unhealthy fault on only for the exact value 1", () => {
    const on = loadConfig({ PITSTOP_FAULTS: "1", FAULT_UNHEALTHY: "1" }, "/", "/app");
    assert.deepEqual([on.faults, on.unhealthy], [true, true]);
    const off = loadConfig({ PITSTOP_FAULTS: "true", FAULT_UNHEALTHY: "0" }, "/", "/app");
    assert.deepEqual([off.faults, off.unhealthy], [false, false]);
  });

  it("rejects a PORT that is not an integer from 0 to 65535", () => {
    for (const port of ["70000", "-1", "3.5", "http", ""]) {
      assert.throws(() => loadConfig({ PORT: port }, "/", "/app"), ConfigError, port);
    }
  });
});
