import { describe, expect, it } from "vitest";
import { z } from "zod";
import { loadPipeline, pipelineJsonSchema } from "./load-pipeline.js";
import { ExecutionPlanSchema, type ExecutionPlan, type PlanJob } from "./plan.js";

const yaml = (...lines: string[]) => lines.join("\n") + "\n";

function planOf(text: string): ExecutionPlan {
  const r = loadPipeline(text, { file: "pitstop.yml" });
  expect(r.issues).toEqual([]);
  if (r.plan === null) throw new Error("no plan");
  // Every plan must cross the bus: it has to satisfy the contract schema.
  expect(ExecutionPlanSchema.parse(r.plan)).toEqual(r.plan);
  return r.plan;
}

const BASE_JOB: PlanJob = {
  id: "",
  name: "",
  kind: "shell",
  needs: [],
  condition: null,
  conditionText: null,
  steps: [],
  env: {},
  secrets: [],
  timeoutMs: null,
  retry: [],
  continueOnError: false,
  reports: { junit: [] },
  artifacts: [],
  concurrency: null,
  workingDirectory: null,
  sandbox: false,
  network: false,
  matrix: null,
  with: {},
};
const job = (j: Partial<PlanJob> & { id: string }): PlanJob => ({ ...BASE_JOB, name: j.id, ...j });

describe("short form", () => {
  it("compiles stages to sequential jobs with shared settings and the transient retry rule", () => {
    const plan = planOf(
      yaml(
        "pipeline:",
        "  stages:",
        "    - {lint: {command: npm run lint, max_warnings: 0}}",
        "    - test",
        "    - deploy",
        "  retry_on_failure: true",
        "  notify_on_success: true",
        "  deploy_environment: staging",
      ),
    );
    const retry = [
      {
        classes: ["test_failure", "flaky_test", "timeout", "infra", "agent_lost", "oom"],
        exitCodes: [],
        signals: [],
        limit: 1,
        backoff: { baseMs: 1000, factor: 2, maxMs: 30000 },
      },
    ];
    const shared = { notify_on_success: true, deploy_environment: "staging" };
    expect(plan).toEqual({
      version: 1,
      pipelineFile: "pitstop.yml",
      form: "short",
      env: {},
      jobs: [
        job({ id: "lint", kind: "lint", retry, with: { command: "npm run lint", max_warnings: 0, ...shared } }),
        job({ id: "test", kind: "test", needs: ["lint"], retry, with: shared }),
        job({ id: "deploy", kind: "deploy", needs: ["test"], retry, with: shared }),
      ],
    });
  });

  it("defaults: no retry, notify off, environment dev; a stage with null options; report runs always()", () => {
    const plan = planOf(yaml("name: seed", "pipeline:", "  stages: [build, {report: }]"));
    const shared = { notify_on_success: false, deploy_environment: "dev" };
    expect(plan).toEqual({
      version: 1,
      name: "seed",
      pipelineFile: "pitstop.yml",
      form: "short",
      env: {},
      jobs: [job({ id: "build", kind: "build", with: shared }), job({ id: "report", kind: "report", needs: ["build"], with: shared, condition: { kind: "call", fn: "always" }, conditionText: "always()" })],
    });
  });
});

describe("full form", () => {
  it("compiles every key of a job", () => {
    const plan = planOf(
      yaml(
        "name: my-pipeline",
        "env: { CI_LEVEL: 1, SHARED: top }",
        "jobs:",
        "  deploy:",
        "    agent: deploy",
        "    needs: build",
        "    if: ${{ success() && branch == 'main' }}",
        "    concurrency: deploy-prod",
        "    secrets: [DEPLOY_TOKEN, DEPLOY_TOKEN]",
        "    with: { environment: prod, health: { path: /healthz } }",
        "  build:",
        "    timeout: 1h30m",
        "    retry: 2",
        "    continue-on-error: true",
        "    env: { SHARED: job, DEBUG: false }",
        "    reports: { junit: reports/*.xml }",
        "    artifacts: dist/**",
        "    working-directory: app",
        "    sandbox: true",
        "    network: true",
        "    steps:",
        "      - npm ci",
        "      - name: compile",
        "        run: |",
        "          npm run build",
        "          echo done",
        "        env: { X: 1 }",
        "        working-directory: packages/app",
        "      - run: |",
        "",
        "          a very long command line that goes past forty characters",
      ),
    );
    expect(plan).toEqual({
      version: 1,
      name: "my-pipeline",
      pipelineFile: "pitstop.yml",
      form: "full",
      env: { CI_LEVEL: "1", SHARED: "top" },
      jobs: [
        job({
          id: "build",
          env: { CI_LEVEL: "1", SHARED: "job", DEBUG: "false" },
          timeoutMs: 5_400_000,
          retry: [{ classes: [], exitCodes: [], signals: [], limit: 2, backoff: { baseMs: 1000, factor: 2, maxMs: 30000 } }],
          continueOnError: true,
          reports: { junit: ["reports/*.xml"] },
          artifacts: ["dist/**"],
          workingDirectory: "app",
          sandbox: true,
          network: true,
          steps: [
            { name: "npm ci", run: "npm ci", env: {}, workingDirectory: null },
            { name: "compile", run: "npm run build\necho done\n", env: { X: "1" }, workingDirectory: "packages/app" },
            {
              name: "a very long command line that goes past",
              run: "\na very long command line that goes past forty characters\n",
              env: {},
              workingDirectory: null,
            },
          ],
        }),
        job({
          id: "deploy",
          kind: "deploy",
          needs: ["build"],
          condition: { kind: "and", left: { kind: "call", fn: "success" }, right: { kind: "compare", op: "==", left: { kind: "branch" }, right: { kind: "literal", value: "main" } } },
          conditionText: "${{ success() && branch == 'main' }}",
          env: { CI_LEVEL: "1", SHARED: "top" },
          concurrency: "deploy-prod",
          secrets: ["DEPLOY_TOKEN"],
          with: { environment: "prod", health: { path: "/healthz" } },
        }),
      ],
    });
  });

  it("compiles retry rules with every matcher and backoff form", () => {
    const plan = planOf(
      yaml(
        "jobs:",
        "  t:",
        "    agent: test",
        "    retry:",
        "      - { class: [test_failure, flaky_test], exit_status: [1, 137], signal: SIGKILL, limit: 2, backoff: 2s }",
        "      - { class: oom, exit_status: '*', signal: [kill, SIGTERM], limit: 1, backoff: { base: 500ms, factor: 3, max: 10s } }",
        "      - { exit_status: 2, limit: 0 }",
      ),
    );
    expect(plan.jobs[0]?.retry).toEqual([
      { classes: ["test_failure", "flaky_test"], exitCodes: [1, 137], signals: ["SIGKILL"], limit: 2, backoff: { baseMs: 2000, factor: 2, maxMs: 60000 } },
      { classes: ["oom"], exitCodes: [], signals: ["SIGKILL", "SIGTERM"], limit: 1, backoff: { baseMs: 500, factor: 3, maxMs: 10000 } },
      { classes: [], exitCodes: [2], signals: [], limit: 0, backoff: { baseMs: 1000, factor: 2, maxMs: 30000 } },
    ]);
  });

  it("expands a matrix, substitutes ${{ matrix.* }} and makes dependents wait for every expansion", () => {
    const plan = planOf(
      yaml(
        "jobs:",
        "  report:",
        "    agent: report",
        "    needs: [test]",
        "    if: always()",
        "  test:",
        "    strategy:",
        "      matrix:",
        "        node: [18, 20]",
        "        os: [linux]",
        "        include: [{ node: 22, os: linux }]",
        "        exclude: [{ node: 18 }]",
        "    working-directory: node-${{ matrix.node }}",
        "    env: { LABEL: '${{matrix.os}}-${{ matrix.node }}' }",
        "    steps:",
        "      - name: test on ${{ matrix.node }}",
        "        run: nvm use ${{ matrix.node }} && npm test",
        "        env: { OS: '${{ matrix.os }}' }",
        "        working-directory: pkg/${{ matrix.os }}",
      ),
    );
    const testJob = (node: number): PlanJob =>
      job({
        id: `test[node=${node},os=linux]`,
        name: `test (${node}, linux)`,
        matrix: { node, os: "linux" },
        workingDirectory: `node-${node}`,
        env: { MATRIX_NODE: String(node), MATRIX_OS: "linux", LABEL: `linux-${node}` },
        steps: [{ name: `test on ${node}`, run: `nvm use ${node} && npm test`, env: { OS: "linux" }, workingDirectory: "pkg/linux" }],
      });
    expect(plan.jobs).toEqual([
      testJob(20),
      testJob(22),
      job({
        id: "report",
        kind: "report",
        needs: ["test[node=20,os=linux]", "test[node=22,os=linux]"],
        condition: { kind: "call", fn: "always" },
        conditionText: "always()",
      }),
    ]);
  });

  it("orders jobs topologically, ties broken by declaration order", () => {
    const plan = planOf(
      yaml(
        "jobs:",
        "  e: { needs: [d, b], steps: [x] }",
        "  d: { needs: a, steps: [x] }",
        "  c: { steps: [x] }",
        "  b: { needs: c, steps: [x] }",
        "  a: { steps: [x] }",
      ),
    );
    expect(plan.jobs.map((j) => [j.id, j.needs])).toEqual([
      ["c", []],
      ["b", ["c"]],
      ["a", []],
      ["d", ["a"]],
      ["e", ["d", "b"]],
    ]);
  });

  it("accepts `if:` as a boolean and stage kinds without steps", () => {
    const plan = planOf(yaml("jobs:", "  sec:", "    agent: security", "    if: false"));
    expect(plan.jobs).toEqual([job({ id: "sec", kind: "security", condition: { kind: "truthy", operand: { kind: "literal", value: false } }, conditionText: "false" })]);
  });

  it("reads anchors, aliases and merge keys, and ignores top-level `x-` keys that hold them", () => {
    const plan = planOf(
      yaml(
        "x-defaults: &defaults",
        "  timeout: 5m",
        "  env: { CI: 1 }",
        "jobs:",
        "  a: { steps: &s [make] }",
        "  b:",
        "    <<: *defaults",
        "    steps: *s",
      ),
    );
    expect(plan.jobs.map((j) => [j.id, j.steps.map((s) => s.run), j.timeoutMs, j.env])).toEqual([
      ["a", ["make"], null, {}],
      ["b", ["make"], 300_000, { CI: "1" }],
    ]);
  });
});

describe("pipelineJsonSchema", () => {
  it("describes both forms and validates a document's structure", () => {
    const schema = pipelineJsonSchema();
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
    const props = schema.properties as Record<string, Record<string, unknown>>;
    expect(Object.keys(props).sort()).toEqual(["env", "jobs", "name", "pipeline"]);
    expect(schema.additionalProperties).toBe(false);
    const jobSchema = (props.jobs?.additionalProperties ?? {}) as Record<string, unknown>;
    expect(Object.keys(jobSchema.properties as object)).toContain("needs");
    expect(jobSchema.additionalProperties).toBe(false);
    const shortProps = props.pipeline?.properties as Record<string, unknown>;
    expect(Object.keys(shortProps).sort()).toEqual(["deploy_environment", "notify_on_success", "retry_on_failure", "stages"]);
    // Round trip through zod's own reader: the exported schema accepts a valid document.
    const reread = z.fromJSONSchema(schema as z.core.JSONSchema.JSONSchema);
    expect(reread.safeParse({ jobs: { a: { steps: ["make"], needs: "b" }, b: { agent: "build" } } }).success).toBe(true);
    expect(reread.safeParse({ jobs: { a: { neeeds: [] } } }).success).toBe(false);
    expect(schema.patternProperties).toEqual({ "^x-": {} });
  });
});
