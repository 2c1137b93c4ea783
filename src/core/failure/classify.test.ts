import { describe, expect, it } from "vitest";
import { classifyFailure, summarizeFailure } from "./classify.js";
import { FAILURE_CLASSES } from "./failure-class.js";
import type { FailureClass, FailureEvidence } from "./failure-class.js";

function evidence(over: Partial<FailureEvidence>): FailureEvidence {
  return { exitCode: 1, signal: null, timedOut: false, cancelled: false, spawnError: null, lastLines: [], testsFailed: 0, ...over };
}

// Real output captured from the tools (node 20, npm 10/11, tsc 5.9, pytest 9, sh/bash).
const NODE_MISSING_MODULE = [
  "node:internal/modules/cjs/loader:1210",
  "  throw err;",
  "  ^",
  "",
  "Error: Cannot find module 'express'",
  "Require stack:",
  "- /srv/app/server.js",
  "    at Module._resolveFilename (node:internal/modules/cjs/loader:1207:15)",
  "    at Module._load (node:internal/modules/cjs/loader:1038:27)",
  "  code: 'MODULE_NOT_FOUND',",
  "  requireStack: [ '/srv/app/server.js' ]",
  "}",
  "",
  "Node.js v20.20.2",
];
const NODE_HEAP_OOM = [
  "<--- Last few GCs --->",
  "[11366:0x3fa29e20]       53 ms: Mark-Compact 15.5 (24.3) -> 15.5 (32.3) MB, 7.85 / 0.00 ms  (average mu = 0.313, current mu = 0.234) allocation failure; scavenge might not succeed",
  "<--- JS stacktrace --->",
  "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
  "----- Native stack trace -----",
  " 1: 0xb78db3 node::OOMErrorHandler(char const*, v8::OOMDetails const&) [node]",
  " 3: 0xee85e7 v8::internal::V8::FatalProcessOutOfMemory(v8::internal::Isolate*, char const*, v8::OOMDetails const&) [node]",
];
const NPM_ERESOLVE = [
  "npm error code ERESOLVE",
  "npm error ERESOLVE unable to resolve dependency tree",
  "npm error",
  "npm error While resolving: dashboard@1.0.0",
  "npm error Found: react@18.3.1",
  "npm error node_modules/react",
  "npm error   react@\"^18.2.0\" from the root project",
  "npm error",
  "npm error Could not resolve dependency:",
  "npm error peer react@\"^19.0.0\" from react-dom@19.0.0",
  "npm error A complete log of this run can be found in: /root/.npm/_logs/2026-01-01T00_00_00_000Z-debug-0.log",
];
const NPM_NETWORK_OLD = [
  "npm ERR! code ECONNRESET",
  "npm ERR! syscall read",
  "npm ERR! errno ECONNRESET",
  "npm ERR! network request to https://registry.npmjs.org/left-pad failed, reason: read ECONNRESET",
  "npm ERR! network This is a problem related to network connectivity.",
];
const NPM_503 = [
  "npm error code E503",
  "npm error 503 Service Unavailable - GET https://registry.npmjs.org/lodash - Service Unavailable",
];
const TSC = [
  "src/app.ts(12,7): error TS2322: Type 'string' is not assignable to type 'number'.",
  "src/app.ts(40,3): error TS2345: Argument of type 'null' is not assignable to parameter of type 'string'.",
];
const TSC_PRETTY = [
  "\u001b[96msrc/app.ts\u001b[0m:\u001b[93m1\u001b[0m:\u001b[93m7\u001b[0m - \u001b[91merror\u001b[0m\u001b[90m TS2322: \u001b[0mType 'string' is not assignable to type 'number'.",
  "",
  "Found 1 error in src/app.ts\u001b[90m:1\u001b[0m",
];
const PYTEST_FAIL = [
  "FAILED tests/test_cart.py::TestCart::test_discount - AssertionError: discount rounding",
  "========================= 1 failed, 4 passed in 0.12s =========================",
];

const TABLE: Array<[string, Partial<FailureEvidence>, FailureClass]> = [
  ["cancelled wins over everything", { cancelled: true, timedOut: true, exitCode: 137, hint: "lint" }, "cancelled"],
  ["hint wins over evidence", { hint: "lint", exitCode: 127, lastLines: ["sh: 1: eslint: not found"] }, "lint"],
  ["timeout wins over the SIGKILL we sent", { timedOut: true, exitCode: null, signal: "SIGKILL" }, "timeout"],
  ["spawn ENOENT of the command", { exitCode: null, spawnError: "Error: spawn eslint ENOENT" }, "command_not_found"],
  ["spawn ENOENT of the shell is infra (missing cwd)", { exitCode: null, spawnError: "Error: spawn /bin/sh ENOENT" }, "infra"],
  ["other spawn errors are infra", { exitCode: null, spawnError: "Error: spawn EACCES" }, "infra"],
  ["exit 127 alone", { exitCode: 127 }, "command_not_found"],
  ["dash: not found", { exitCode: 2, lastLines: ["sh: 1: eslintx: not found"] }, "command_not_found"],
  ["bash: command not found", { lastLines: ["bash: line 1: pnpm: command not found"] }, "command_not_found"],
  ["windows: not recognized", { lastLines: ["'jest' is not recognized as an internal or external command,"] }, "command_not_found"],
  ["node child ENOENT in output", { lastLines: ["Error: spawn docker ENOENT", "    at ChildProcess._handle.onexit (node:internal/child_process:286:19)", "  errno: -2,", "  code: 'ENOENT',", "  syscall: 'spawn docker',"] }, "command_not_found"],
  ["env shebang missing interpreter", { exitCode: 127, lastLines: ["/usr/bin/env: 'python': No such file or directory"] }, "command_not_found"],
  ["SIGKILL not sent by us", { exitCode: null, signal: "SIGKILL" }, "oom"],
  ["exit 137", { exitCode: 137, lastLines: ["Killed"] }, "oom"],
  ["node heap OOM (exit 134)", { exitCode: 134, lastLines: NODE_HEAP_OOM }, "oom"],
  ["kernel OOM killer line", { lastLines: ["[12345.678] Out of memory: Killed process 4242 (node) total-vm:4000000kB"] }, "oom"],
  ["container OOMKilled", { lastLines: ["Reason: OOMKilled"] }, "oom"],
  ["ENOMEM", { lastLines: ["fork: Cannot allocate memory"] }, "oom"],
  ["OOM beats failed tests", { exitCode: 137, testsFailed: 3 }, "oom"],
  ["failed tests from reports", { testsFailed: 2, lastLines: PYTEST_FAIL }, "test_failure"],
  ["failed tests beat network noise", { testsFailed: 1, lastLines: ["Error: connect ECONNREFUSED 127.0.0.1:5432"] }, "test_failure"],
  ["npm network (npm 6-9 wording)", { lastLines: NPM_NETWORK_OLD }, "infra"],
  ["npm 503 from the registry", { lastLines: NPM_503 }, "infra"],
  ["socket hang up", { lastLines: ["FetchError: request to https://registry.npmjs.org/x failed, reason: socket hang up"] }, "infra"],
  ["DNS EAI_AGAIN", { lastLines: ["npm error network request to https://registry.npmjs.org/x failed, reason: getaddrinfo EAI_AGAIN registry.npmjs.org"] }, "infra"],
  ["disk full", { lastLines: ["cp: error writing 'dist/bundle.js': No space left on device"] }, "infra"],
  ["ENOSPC", { lastLines: ["Error: ENOSPC: no space left on device, write"] }, "infra"],
  ["gateway timeout", { lastLines: ["ERROR: HTTP error 504 Gateway Timeout while getting https://pypi.org/simple/requests/"] }, "infra"],
  ["npm ERESOLVE", { lastLines: NPM_ERESOLVE }, "dependency"],
  ["node Cannot find module", { lastLines: NODE_MISSING_MODULE }, "dependency"],
  ["ESM ERR_MODULE_NOT_FOUND", { lastLines: ["Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'left-pad' imported from /tmp/jx/[eval1]", "  code: 'ERR_MODULE_NOT_FOUND'"] }, "dependency"],
  ["python ModuleNotFoundError", { lastLines: ['  File "<string>", line 1, in <module>', "ModuleNotFoundError: No module named 'requests'"] }, "dependency"],
  ["pip no matching distribution", { lastLines: ["ERROR: Could not find a version that satisfies the requirement torch==9.9 (from versions: none)", "ERROR: No matching distribution found for torch==9.9"] }, "dependency"],
  // TS2307 is a missing package far more often than a typo: dependency is decided before compile.
  ["tsc TS2307 missing module", { lastLines: ["src/a.ts(1,38): error TS2307: Cannot find module 'nope' or its corresponding type declarations."] }, "dependency"],
  ["tsc errors", { exitCode: 2, lastLines: TSC }, "compile"],
  ["tsc --pretty with colours", { exitCode: 2, lastLines: TSC_PRETTY }, "compile"],
  ["node SyntaxError at load", { lastLines: ["/srv/app/bad.js:1", "foo(", "    ", "", "SyntaxError: Unexpected end of input", "    at internalCompileFunction (node:internal/vm:76:18)"] }, "compile"],
  ["gcc error", { lastLines: ["main.c:4:5: error: expected ';' before 'return'", "make: *** [Makefile:2: main] Error 1"] }, "compile"],
  ["javac error", { lastLines: ["Main.java:3: error: ';' expected", "1 error"] }, "compile"],
  ["webpack failed to compile", { lastLines: ["Failed to compile."] }, "compile"],
  ["a JSON SyntaxError at runtime is not a compile error", { lastLines: ["SyntaxError: Unexpected token '<', \"<!DOCTYPE \"... is not valid JSON"] }, "exit_nonzero"],
  ["plain non-zero exit", { exitCode: 1, lastLines: ["Error: deployment target refused the release"] }, "exit_nonzero"],
  ["SIGTERM from elsewhere", { exitCode: null, signal: "SIGTERM" }, "exit_nonzero"],
  ["404 page in output is not a missing command", { lastLines: ["GET /health 404 Not Found"] }, "exit_nonzero"],
  ["CRLF output still matches end-anchored patterns", { lastLines: ["sh: 1: jest: not found\r"] }, "command_not_found"],
];

describe("classifyFailure", () => {
  it.each(TABLE)("%s", (_name, over, expected) => {
    expect(classifyFailure(evidence(over))).toBe(expected);
  });

  it("returns every hint unchanged", () => {
    for (const hint of FAILURE_CLASSES) expect(classifyFailure(evidence({ hint }))).toBe(hint);
  });

  it("only ever returns known classes", () => {
    for (const [, over] of TABLE) expect(FAILURE_CLASSES).toContain(classifyFailure(evidence(over)));
  });
});

describe("summarizeFailure", () => {
  function summary(over: Partial<FailureEvidence>): string {
    const e = evidence(over);
    return summarizeFailure(classifyFailure(e), e);
  }

  it("names exit code, class and the line that explains the class", () => {
    expect(summary({ exitCode: 2, lastLines: TSC })).toBe(
      "exit 2 (compile): src/app.ts(40,3): error TS2345: Argument of type 'null' is not assignable to parameter of type 'string'.",
    );
  });

  it("prefers the matching line over later noise (stack frames, banners, log pointers)", () => {
    expect(summary({ lastLines: NODE_MISSING_MODULE })).toBe("exit 1 (dependency): Error: Cannot find module 'express'");
    expect(summary({ exitCode: 134, lastLines: NODE_HEAP_OOM })).toBe(
      "exit 134 (oom): FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
    );
  });

  it("falls back to the last meaningful line when no pattern explains the class", () => {
    expect(summary({ lastLines: ["Deploying…", "Error: release rejected", "    at deploy (/srv/deploy.js:3:9)", "", "Node.js v20.20.2"] })).toBe(
      "exit 1 (exit_nonzero): Error: release rejected",
    );
  });

  it("strips colours and caps the line at 160 characters", () => {
    const s = summary({ lastLines: [`\u001b[31mError: ${"x".repeat(300)}\u001b[0m`] });
    expect(s).not.toContain("\u001b");
    const line = s.slice("exit 1 (exit_nonzero): ".length);
    expect(line).toHaveLength(160);
    expect(line.endsWith("…")).toBe(true);
  });

  it("describes signals, spawn errors, timeouts and cancellations", () => {
    expect(summary({ exitCode: null, signal: "SIGKILL" })).toBe("killed by SIGKILL (oom)");
    expect(summary({ exitCode: null, spawnError: "Error: spawn eslint ENOENT" })).toBe(
      "could not start (command_not_found): Error: spawn eslint ENOENT",
    );
    expect(summary({ exitCode: null, signal: "SIGTERM", timedOut: true, lastLines: ["waiting for port 3000"] })).toBe(
      "timed out: waiting for port 3000",
    );
    expect(summary({ cancelled: true, exitCode: null, signal: "SIGTERM", lastLines: ["building"] })).toBe("cancelled");
  });

  it("has no trailing colon when there is no output at all", () => {
    expect(summary({ exitCode: 3, lastLines: ["", "   "] })).toBe("exit 3 (exit_nonzero)");
  });

  it("uses the agent's hint class with the last meaningful line", () => {
    expect(summary({ hint: "lint", lastLines: ["/src/a.ts", "  3:7  error  'x' is assigned a value but never used  no-unused-vars", "", "✖ 1 problem (1 error, 0 warnings)"] })).toBe(
      "exit 1 (lint): ✖ 1 problem (1 error, 0 warnings)",
    );
  });
});
