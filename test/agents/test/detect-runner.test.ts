import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { detectRunner } from "../../../src/agents/test/detect-runner.js";
import { rerunFilter } from "../../../src/agents/test/rerun-filter.js";
import { buildRunnerCommand } from "../../../src/agents/test/runner-command.js";
import { defaultInvocation, forceRunner, recognizeRunner } from "../../../src/agents/test/runner-invocation.js";
import { quoteArg, splitSimpleCommand } from "../../../src/agents/test/shell-words.js";
import { parseTestOptions, type TestOptions } from "../../../src/agents/test/test-options.js";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function project(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "pitstop-detect-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  return dir;
}

function options(raw: Record<string, unknown> = {}): TestOptions {
  const r = parseTestOptions(raw);
  if ("error" in r) throw new Error(r.error);
  return r.options;
}

const pkg = (json: object) => ({ "package.json": JSON.stringify(json) });

describe("recognising a command that is directly a runner", () => {
  it.each([
    ["vitest", "vitest", "vitest", "run"],
    ["vitest --project unit", "vitest", "vitest", "run --project unit"],
    ["vitest watch src", "vitest", "vitest", "run src"],
    ["npx vitest run", "vitest", "npx vitest", "run"],
    ["NODE_ENV=test jest --ci", "jest", "NODE_ENV=test jest", "--ci"],
    ["mocha 'test/**/*.spec.js'", "mocha", "mocha", "'test/**/*.spec.js'"],
    ["node --test dist/", "node", "node", "--test dist/"],
    ["node --enable-source-maps --test", "node", "node", "--enable-source-maps --test"],
    ["TZ=UTC node --test", "node", "TZ=UTC node", "--test"],
    ["python -m pytest -x", "pytest", "python -m pytest", "-x"],
    ["pytest tests", "pytest", "pytest", "tests"],
  ])("%s", (command, runner, launcher, args) => {
    const inv = recognizeRunner(command);
    expect(inv?.runner).toBe(runner);
    expect(inv?.launcher.join(" ")).toBe(launcher);
    expect(inv?.args.join(" ")).toBe(args);
  });

  it.each(["tsc && node --test dist/", "vitest run | tee out", "node server.js", "npm test", "vitest bench", "jest > out.txt", "echo $(vitest)", "npx node --test"])("not %s", (command) => {
    expect(recognizeRunner(command)).toBeNull();
  });

  it("a forced runner on a compound command gets its flags at the end, node's after the last `node … --test`", () => {
    expect(forceRunner("tsc && vitest run", "vitest")).toEqual({ runner: "vitest", launcher: ["tsc && vitest run"], args: [], bin: null });
    const node = forceRunner("tsc -p . && node --test dist/test/", "node");
    expect("error" in node ? node.error : [...node.launcher, "<flags>", ...node.args].join(" ")).toBe("tsc -p . && node <flags> --test dist/test/");
  });
});

describe("splitting and quoting", () => {
  it("keeps quotes in raw words and removes them in plain ones", () => {
    expect(splitSimpleCommand(`mocha "a b" 'c;d' e\\ f`)).toEqual({ raw: [`mocha`, `"a b"`, `'c;d'`, `e\\ f`], plain: ["mocha", "a b", "c;d", "e f"] });
    expect(splitSimpleCommand("a 'unterminated")).toBeNull();
    expect(splitSimpleCommand("a; b")).toBeNull();
  });

  it("quotes what the shell would change", () => {
    expect(quoteArg("--grep=plain")).toBe("--grep=plain");
    expect(quoteArg("^(?:it's)$")).toBe(`'^(?:it'\\''s)$'`);
  });
});

describe("finding the runner in a project", () => {
  it("prefers scripts.test, then the devDependencies, then pytest files", async () => {
    const byScript = await detectRunner(await project(pkg({ scripts: { test: "jest" }, devDependencies: { vitest: "4" } })), options(), false);
    expect(byScript).toMatchObject({ mode: "direct", invocation: { runner: "jest" }, source: "package.json scripts.test" });
    const byDeps = await detectRunner(await project(pkg({ devDependencies: { mocha: "11" } })), options(), false);
    expect(byDeps).toMatchObject({ mode: "direct", invocation: { runner: "mocha" }, source: "package.json dependencies (mocha)" });
    const byPyproject = await detectRunner(await project({ "pyproject.toml": "[tool.pytest.ini_options]\naddopts = '-q'\n" }), options(), false);
    expect(byPyproject).toMatchObject({ mode: "direct", invocation: { runner: "pytest" }, source: "pyproject.toml" });
    const byRequirements = await detectRunner(await project({ "requirements.txt": "requests\npytest>=8\n" }), options(), false);
    expect(byRequirements).toMatchObject({ invocation: { runner: "pytest" }, source: "requirements.txt" });
  });

  it("runs a wrapping script as `npm test` and names the runner inside it", async () => {
    const plan = await detectRunner(await project(pkg({ scripts: { test: "tsc && node --test dist/" } })), options(), false);
    expect(plan).toEqual({ mode: "script", runner: "node", command: "npm test", source: "package.json scripts.test" });
  });

  it("with.runner forces a runner, keeping the project's arguments when its script is that runner", async () => {
    const dir = await project(pkg({ scripts: { test: "vitest --project unit" } }));
    expect(await detectRunner(dir, options({ runner: "vitest" }), false)).toMatchObject({ invocation: { args: ["run", "--project", "unit"] } });
    expect(await detectRunner(dir, options({ runner: "node" }), false)).toMatchObject({ invocation: defaultInvocation("node"), source: "with.runner" });
  });

  it("with.command wins, and the job's steps come before detection", async () => {
    const dir = await project(pkg({ scripts: { test: "jest" } }));
    expect(await detectRunner(dir, options({ command: "make test" }), false)).toEqual({ mode: "script", runner: "command", command: "make test", source: "with.command" });
    expect(await detectRunner(dir, options({ command: "npx vitest" }), true)).toMatchObject({ mode: "direct", invocation: { runner: "vitest" } });
    expect(await detectRunner(dir, options(), true)).toEqual({ mode: "script", runner: "command", command: null, source: "the job's steps" });
  });
});

describe("runner commands and rerun filters", () => {
  it("node: pitstop's pairs first; a lone project reporter is dropped so the pairs stay aligned", () => {
    const inv = recognizeRunner("node --test --test-reporter=dot test/")!;
    expect(buildRunnerCommand({ invocation: inv, reportFile: "/r/j.xml", extraArgs: [], filter: [], coverage: [] })).toBe(
      "node --test-reporter=junit --test-reporter-destination=/r/j.xml --test-reporter=spec --test-reporter-destination=stdout --test test/",
    );
  });

  it("anchors and escapes names so a test does not match its neighbours", async () => {
    const t = (name: string, classname = "") => ({ suite: "", classname, name, file: "r.xml" });
    expect(await rerunFilter(defaultInvocation("node"), [t("a (b)"), t("c.d")], "/")).toEqual([`--test-name-pattern='^(?:a \\(b\\)|c\\.d)$'`]);
    expect(await rerunFilter(defaultInvocation("vitest"), [t("math > adds")], "/")).toEqual(["-t", `'^(?:math adds)$'`]);
    expect(await rerunFilter(defaultInvocation("mocha"), [t("adds", "math")], "/")).toEqual(["--grep", `'^(?:math adds)$'`]);
  });

  it("pytest: -k with the function names when the module file cannot be found or the command names paths", async () => {
    const t = { suite: "pytest", classname: "pkg.test_x.TestY", name: "test_z[1]", file: "r.xml" };
    expect(await rerunFilter(defaultInvocation("pytest"), [t], "/nonexistent")).toEqual(["-k", "test_z"]);
    const dir = await project({ "pkg/test_x.py": "" });
    expect(await rerunFilter(defaultInvocation("pytest"), [t], dir)).toEqual([`'pkg/test_x.py::TestY::test_z[1]'`]);
    expect(await rerunFilter(recognizeRunner("pytest pkg")!, [t], dir)).toEqual(["-k", "test_z"]);
  });

  it("gives up (whole suite) above 100 failed tests", async () => {
    const many = Array.from({ length: 101 }, (_, i) => ({ suite: "", classname: "", name: `t${i}`, file: "" }));
    expect(await rerunFilter(defaultInvocation("node"), many, "/")).toEqual({ unsupported: "101 tests failed, more than 100" });
  });
});
