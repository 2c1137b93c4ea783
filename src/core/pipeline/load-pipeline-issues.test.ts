import { describe, expect, it } from "vitest";
import { loadPipeline } from "./load-pipeline.js";
import { formatIssue } from "./plan.js";

const yaml = (...lines: string[]) => lines.join("\n") + "\n";

/** Every issue in human form; also checks the LoadResult invariant (plan null iff issues). */
function issues(text: string): string[] {
  const r = loadPipeline(text, { file: "ci.yml" });
  expect(r.plan).toBeNull();
  expect(r.issues.length).toBeGreaterThan(0);
  return r.issues.map(formatIssue);
}

describe("document shape", () => {
  it("reports an empty file", () => {
    expect(issues("")).toEqual(["ci.yml:1:1: (root): pipeline file is empty: add `jobs:` or `pipeline:`"]);
    expect(issues("# nothing yet\n\n")).toEqual(["ci.yml:1:1: (root): pipeline file is empty: add `jobs:` or `pipeline:`"]);
  });

  it("reports a root that is not a map", () => {
    expect(issues("\n- a\n- b\n")).toEqual(["ci.yml:2:1: (root): the top level must be a map with `jobs:` or `pipeline:`, got a list"]);
    expect(issues("hello\n")).toEqual(['ci.yml:1:1: (root): the top level must be a map with `jobs:` or `pipeline:`, got the string "hello"']);
  });

  it("reports YAML syntax errors with their position, without throwing", () => {
    expect(issues(yaml("jobs:", "  a:", "    steps: [make", "  b: {}"))).toEqual([
      "ci.yml:4:3: jobs.b: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]",
    ]);
    expect(issues(yaml("jobs:", '  a: { steps: "make }'))).toEqual([
      // yaml reports an unterminated scalar where the input ends.
      'ci.yml:3:1: (root): YAML syntax error: Missing closing "quote',
      "ci.yml:3:1: (root): YAML syntax error: Flow map in block collection must be sufficiently indented and end with a }",
    ]);
  });

  it("reports a second YAML document", () => {
    expect(issues(yaml("jobs: { a: { steps: [x] } }", "---", "jobs: {}"))).toEqual([
      "ci.yml:2:1: (root): a pipeline file holds one YAML document: remove the second `---` and what follows, or merge them",
    ]);
  });

  it("reports duplicate job names and duplicate keys", () => {
    expect(issues(yaml("jobs:", "  a: { steps: [x] }", "  b: { steps: [x], env: { A: 1, A: 2 } }", "  a: { steps: [y] }"))).toEqual([
      "ci.yml:3:33: jobs.b.env.A: duplicate key `A`: each key may appear only once (remove or merge the duplicates)",
      "ci.yml:4:3: jobs.a: duplicate job `a`: job names must be unique (rename one of the jobs)",
    ]);
  });

  it("reports both forms, or neither", () => {
    expect(issues(yaml("jobs: { a: { steps: [x] } }", "pipeline: { stages: [lint] }"))).toEqual([
      "ci.yml:2:1: pipeline: both `pipeline:` and `jobs:` are present (use `pipeline:` (short form) or `jobs:` (full form), not both)",
    ]);
    expect(issues(yaml("name: x", "env: { A: 1 }"))).toEqual([
      "ci.yml:1:1: (root): no `jobs:` or `pipeline:` at the top level (add `jobs:` (full form) or `pipeline: { stages: [...] }` (short form))",
    ]);
  });

  it("reports an unknown top-level key with a did-you-mean", () => {
    expect(issues(yaml("job:", "  a: { steps: [x] }"))).toEqual([
      "ci.yml:1:1: job: unknown key `job` (did you mean `jobs`?)",
      "ci.yml:1:1: (root): no `jobs:` or `pipeline:` at the top level (add `jobs:` (full form) or `pipeline: { stages: [...] }` (short form))",
    ]);
  });

  it("reports `jobs` that is not a map, or empty", () => {
    expect(issues(yaml("jobs: [a, b]"))).toEqual(["ci.yml:1:7: jobs: `jobs` must be a map of job name: job"]);
    expect(issues(yaml("jobs: {}"))).toEqual(["ci.yml:1:7: jobs: `jobs` is empty: add at least one job"]);
  });
});

describe("jobs", () => {
  it("reports unknown keys at every level, with hints", () => {
    expect(
      issues(
        yaml(
          "jobs:",
          "  test:",
          "    neeeds: [lint]",
          "    steps:",
          "      - runn: npm test",
          "    retry:",
          "      - { limit: 1, clas: oom }",
          "    strategy: { matrix: { a: [1] }, fail-fast: false }",
        ),
      ),
    ).toEqual([
      "ci.yml:3:5: jobs.test.neeeds: unknown key `neeeds` (did you mean `needs`?)",
      "ci.yml:5:9: jobs.test.steps[0].run: missing required key `run`",
      "ci.yml:5:9: jobs.test.steps[0].runn: unknown key `runn` (did you mean `run`?)",
      "ci.yml:7:21: jobs.test.retry[0].clas: unknown key `clas` (did you mean `class`?)",
      "ci.yml:8:37: jobs.test.strategy.fail-fast: unknown key `fail-fast` (valid: `matrix`)",
    ]);
  });

  it("reports wrong types the YAML way", () => {
    expect(
      issues(
        yaml(
          "jobs:",
          "  a:",
          "    steps: make",
          "    needs: 3",
          "    sandbox: yes",
          "    env: { A: [1], B: }",
          "    retry: { limit: 2 }",
          "    with: [x]",
        ),
      ),
    ).toEqual([
      'ci.yml:3:12: jobs.a.steps: expected a list, got the string "make"',
      "ci.yml:4:12: jobs.a.needs: expected a string or a list, got the number 3",
      'ci.yml:5:14: jobs.a.sandbox: expected true/false, got the string "yes"',
      "ci.yml:6:15: jobs.a.env.A: expected a string, a number or true/false, got a list",
      "ci.yml:6:23: jobs.a.env.B: expected a string, a number or true/false, got nothing (null)",
      "ci.yml:7:12: jobs.a.retry: expected a number or a list, got a map",
      "ci.yml:8:11: jobs.a.with: expected a map, got a list",
    ]);
  });

  it("reports invalid job names, agent kinds and missing or empty steps", () => {
    expect(issues(yaml("jobs:", "  -bad: { agent: build }", "  Lint: { agent: Lint }", "  a: {}", "  b: { steps: [] }"))).toEqual([
      "ci.yml:2:3: jobs.-bad: invalid job name `-bad`: use letters, digits, `_`, `.` and `-`, not starting with `.` or `-`",
      "ci.yml:3:18: jobs.Lint.agent: an agent kind is lowercase letters, digits and `-` (like `shell` or `test`)",
      "ci.yml:4:3: jobs.a: job `a` has no `steps` (shell jobs run their steps: add `steps:`, or set `agent:` to a stage kind)",
      "ci.yml:5:15: jobs.b.steps: `steps` must not be empty for a shell job",
    ]);
  });

  it("reports needs on a missing job, on itself, and cycles", () => {
    expect(
      issues(
        yaml(
          "jobs:",
          "  lint: { steps: [x] }",
          "  test: { needs: [lnt, test], steps: [x] }",
          "  a: { needs: [c], steps: [x] }",
          "  b: { needs: a, steps: [x] }",
          "  c: { needs: [lint, b], steps: [x] }",
          "  d: { needs: [e], steps: [x] }",
          "  e: { needs: [d], steps: [x] }",
          "  f: { needs: [nothing-close], steps: [x] }",
        ),
      ),
    ).toEqual([
      "ci.yml:3:19: jobs.test.needs[0]: job `test` needs `lnt`, which is not a job in this file (did you mean `lint`?)",
      "ci.yml:3:24: jobs.test.needs[1]: job `test` needs itself (remove it from `needs`)",
      "ci.yml:4:16: jobs.a.needs[0]: jobs wait for each other in a cycle: a → c → b → a (remove one of these `needs`)",
      "ci.yml:7:16: jobs.d.needs[0]: jobs wait for each other in a cycle: d → e → d (remove one of these `needs`)",
      "ci.yml:9:16: jobs.f.needs[0]: job `f` needs `nothing-close`, which is not a job in this file (valid: `lint`, `test`, `a`, `b`, `c`, `d`, `e`)",
    ]);
  });

  it("reports invalid durations", () => {
    expect(
      issues(yaml("jobs:", "  a:", "    steps: [x]", "    timeout: 10 minutes", "  b:", "    steps: [x]", "    timeout: 0", "    retry: [{ limit: 1, backoff: { base: soon } }]")),
    ).toEqual([
      "ci.yml:4:14: jobs.a.timeout: invalid duration `10 minutes`: use a number of seconds or a string like `500ms`, `30s`, `10m`, `1h`, `1h30m`",
      "ci.yml:7:14: jobs.b.timeout: timeout must be greater than 0",
      "ci.yml:8:42: jobs.b.retry[0].backoff.base: invalid duration `soon`: use a number of seconds or a string like `500ms`, `30s`, `10m`, `1h`, `1h30m`",
    ]);
  });

  it("reports invalid retry rules", () => {
    expect(issues(yaml("jobs:", "  a:", "    steps: [x]", "    retry:", "      - { class: [oom, test_fail], exit_status: [1.5], signal: '9', limit: 11 }"))).toEqual([
      "ci.yml:5:24: jobs.a.retry[0].class[1]: unknown failure class `test_fail` (did you mean `test_failure`?)",
      "ci.yml:5:50: jobs.a.retry[0].exit_status[0]: expected a whole number, got the number 1.5",
      "ci.yml:5:64: jobs.a.retry[0].signal: signals are names like `SIGKILL` or `KILL`",
      "ci.yml:5:76: jobs.a.retry[0].limit: must be at most 10",
    ]);
  });

  it("reports paths and globs that are absolute or leave the workspace", () => {
    expect(
      issues(
        yaml(
          "jobs:",
          "  a:",
          "    working-directory: /srv/app",
          "    steps:",
          "      - { run: make, working-directory: app/../../x }",
          "    reports: { junit: [ok/*.xml, ../reports/*.xml] }",
          "    artifacts: C:\\out",
        ),
      ),
    ).toEqual([
      "ci.yml:3:24: jobs.a.working-directory: working-directory `/srv/app` is absolute: use a path relative to the workspace",
      "ci.yml:5:41: jobs.a.steps[0].working-directory: working-directory `app/../../x` escapes the workspace with `..`: keep it inside the workspace",
      "ci.yml:6:34: jobs.a.reports.junit[1]: glob `../reports/*.xml` escapes the workspace with `..`: keep it inside the workspace",
      "ci.yml:7:16: jobs.a.artifacts: glob `C:\\out` is absolute: use a path relative to the workspace",
    ]);
  });

  it("reports invalid secret and variable names", () => {
    expect(issues(yaml("jobs:", "  a:", "    steps: [x]", "    secrets: [NPM_TOKEN, npm-token]", "    env: { 9LIVES: x }"))).toEqual([
      "ci.yml:4:26: jobs.a.secrets[1]: invalid secret name: use letters, digits and `_`, not starting with a digit (like `NPM_TOKEN`)",
      "ci.yml:5:12: jobs.a.env.9LIVES: invalid variable name: use letters, digits and `_`, not starting with a digit",
    ]);
  });
});

describe("if expressions", () => {
  it("points at the column inside the expression", () => {
    expect(
      issues(
        yaml(
          "jobs:",
          "  a:",
          "    steps: [x]",
          "    if: success() && & env.X",
          "  b:",
          "    steps: [x]",
          "    if: \"${{ branch == 'main' && github.ref }}\"",
          "  c:",
          "    steps: [x]",
          "    if: deployed()",
          "  d:",
          "    steps: [x]",
          "    if: |",
          "      success() &&",
          "      (env.X",
        ),
      ),
    ).toEqual([
      "ci.yml:4:22: jobs.a.if: invalid `if` expression: unexpected character `&`",
      "ci.yml:7:34: jobs.b.if: invalid `if` expression: unknown name `github.ref`: use env.NAME, branch, a quoted string, a number, true, false, null or success()/failure()/always()/cancelled()",
      "ci.yml:10:9: jobs.c.if: invalid `if` expression: unknown function `deployed()`: use success(), failure(), always() or cancelled()",
      // Inside a block scalar the column is not recoverable exactly: point at the scalar.
      "ci.yml:13:9: jobs.d.if: invalid `if` expression: expected `)`, found end of expression",
    ]);
  });
});

describe("matrix", () => {
  it("reports an empty axis, entries that are not maps and exclude keys that are not axes", () => {
    expect(
      issues(
        yaml(
          "jobs:",
          "  a:",
          "    steps: [x]",
          "    strategy:",
          "      matrix:",
          "        node: []",
          "        include: [node=20]",
          "        exclude: [{ os: linux }, 3]",
        ),
      ),
    ).toEqual([
      "ci.yml:6:15: jobs.a.strategy.matrix.node: a matrix axis must list at least one value",
      "ci.yml:7:19: jobs.a.strategy.matrix.include[0]: each entry must be a map of axis: value",
      "ci.yml:8:34: jobs.a.strategy.matrix.exclude[1]: each entry must be a map of axis: value",
    ]);
    expect(issues(yaml("jobs:", "  a:", "    steps: [x]", "    strategy:", "      matrix:", "        node: [20]", "        exclude: [{ os: linux }]"))).toEqual([
      "ci.yml:7:21: jobs.a.strategy.matrix.exclude[0].os: exclude key `os` is not a matrix axis (axes: node)",
    ]);
  });

  it("reports a matrix that expands to no jobs", () => {
    expect(issues(yaml("jobs:", "  a:", "    steps: [x]", "    strategy:", "      matrix:", "        node: [18, 20]", "        exclude: [{ node: 18 }, { node: 20 }]"))).toEqual([
      "ci.yml:6:9: jobs.a.strategy.matrix: the matrix expands to no jobs: `exclude` removes every combination",
    ]);
    expect(issues(yaml("jobs:", "  a:", "    steps: [x]", "    strategy: { matrix: {} }"))).toEqual([
      "ci.yml:4:25: jobs.a.strategy.matrix: the matrix expands to no jobs: it has no axes and no `include` entries",
    ]);
  });

  it("reports two combinations with the same job id", () => {
    expect(issues(yaml("jobs:", "  a:", "    steps: [x]", "    strategy:", "      matrix:", "        node: [18, '18']"))).toEqual([
      'ci.yml:6:9: jobs.a.strategy.matrix: the matrix gives job id `a[node=18]` twice: each combination must be unique (18 and "18" are the same value)',
    ]);
  });

  it("reports references to matrix keys that do not exist", () => {
    expect(
      issues(
        yaml(
          "jobs:",
          "  a:",
          "    strategy: { matrix: { node: [20] } }",
          "    steps: ['nvm use ${{ matrix.nod }}']",
          "  b:",
          "    env: { V: '${{ matrix.node }}' }",
          "    steps: [x]",
        ),
      ),
    ).toEqual([
      "ci.yml:4:13: jobs.a.steps[0]: `${{ matrix.nod }}` is not a matrix axis of job `a` (did you mean `node`?)",
      "ci.yml:6:15: jobs.b.env.V: `${{ matrix.node }}` is used but job `b` has no matrix (add `strategy: { matrix: ... }` or remove the reference)",
    ]);
  });
});

describe("short form", () => {
  it("reports unknown, repeated and malformed stages and unknown keys", () => {
    expect(
      issues(
        yaml(
          "pipeline:",
          "  stages:",
          "    - lnit",
          "    - test",
          "    - { test: { x: 1 } }",
          "    - { deploy: {}, report: {} }",
          "    - { teest: {} }",
          "    - { build: 3 }",
          "  retry_on_failur: true",
          "  deploy_environment: 3",
        ),
      ),
    ).toEqual([
      "ci.yml:3:7: pipeline.stages[0]: unknown stage `lnit`: valid stages are lint, test, build, security, deploy, report (did you mean `lint`?)",
      "ci.yml:5:7: pipeline.stages[2]: stage `test` appears more than once: each stage runs once",
      "ci.yml:6:7: pipeline.stages[3]: a stage with options is a map with exactly one key, like `{lint: {command: npm run lint}}`",
      "ci.yml:7:9: pipeline.stages[4].teest: unknown stage `teest`: valid stages are lint, test, build, security, deploy, report (did you mean `test`?)",
      "ci.yml:8:16: pipeline.stages[5].build: expected a map or null, got the number 3",
      "ci.yml:9:3: pipeline.retry_on_failur: unknown key `retry_on_failur` (did you mean `retry_on_failure`?)",
      "ci.yml:10:23: pipeline.deploy_environment: expected a string, got the number 3",
    ]);
    expect(issues(yaml("pipeline:", "  stages: []"))).toEqual(["ci.yml:2:11: pipeline.stages: `stages` must list at least one stage"]);
    expect(issues(yaml("pipeline: [lint]"))).toEqual(["ci.yml:1:11: pipeline: expected a map, got a list"]);
  });
});

it("reports several problems at once, sorted by position", () => {
  const text = yaml(
    "name: demo",
    "jobs:",
    "  build:",
    "    steps: [make]",
    "    timeout: soon",
    "  test:",
    "    needs: [biuld]",
    "    steps: [npm test]",
    "    secrets: [bad-name]",
    "  deploy:",
    "    agent: deploy",
    "    needs: [test, deploy]",
    "    if: branch = 'main'",
    "    enviroment: prod",
  );
  const r = loadPipeline(text, { file: "ci.yml" });
  expect(r.plan).toBeNull();
  expect(r.issues).toEqual([
    { file: "ci.yml", line: 5, column: 14, path: "jobs.build.timeout", message: "invalid duration `soon`: use a number of seconds or a string like `500ms`, `30s`, `10m`, `1h`, `1h30m`" },
    { file: "ci.yml", line: 7, column: 13, path: "jobs.test.needs[0]", message: "job `test` needs `biuld`, which is not a job in this file", hint: "did you mean `build`?" },
    { file: "ci.yml", line: 9, column: 15, path: "jobs.test.secrets[0]", message: "invalid secret name: use letters, digits and `_`, not starting with a digit (like `NPM_TOKEN`)" },
    { file: "ci.yml", line: 12, column: 19, path: "jobs.deploy.needs[1]", message: "job `deploy` needs itself", hint: "remove it from `needs`" },
    { file: "ci.yml", line: 13, column: 16, path: "jobs.deploy.if", message: "invalid `if` expression: unexpected character `=`" },
    { file: "ci.yml", line: 14, column: 5, path: "jobs.deploy.enviroment", message: "unknown key `enviroment`", hint: "did you mean `env`?" },
  ]);
});
