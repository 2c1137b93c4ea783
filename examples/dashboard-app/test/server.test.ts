import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createDashboardServer } from "../src/dashboard-server.js";
import { close, listen, makeTempDir } from "./helpers.js";
import type { TempDir } from "./helpers.js";

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("dashboard HTTP server", () => {
  let dir: TempDir;
  let base: string;
  let server: ReturnType<typeof createDashboardServer>;

  before(async () => {
    dir = await makeTempDir({ withShippedDatasets: true });
    // Low scores, one malformed row, and markup that the HTML page must escape.
    const badRows = ["A,<script>alert(1)</script>,12", "B,<script>alert(1)</script>,30", "C,<script>alert(1)</script>,25"];
    badRows.push("A,Math,20", "B,Math,35", "C,Math,10", "D,Math");
    await dir.write("bad_scores.csv", ["student_name,subject,score", ...badRows].join("\n") + "\n");
    // Not a dataset: only *.csv files count.
    await dir.write("notes.txt", "secret");
    server = createDashboardServer({ datasetsDir: dir.path, release: "rel-42" });
    base = await listen(server);
  });

  after(async () => {
    await close(server);
    await dir.remove();
  });

  it("GET /health reports status, release and pid", async () => {
    const { status, body } = await getJson(`${base}/health`);
    assert.equal(status, 200);
    assert.deepEqual(body, { status: "ok", release: "rel-42", pid: process.pid });
  });

  it("GET /api/datasets lists the CSV files only", async () => {
    const { status, body } = await getJson(`${base}/api/datasets`);
    assert.equal(status, 200);
    const datasets = body["datasets"] as Array<{ name: string; file: string; sizeBytes: number }>;
    assert.deepEqual(
      datasets.map((d) => d.name),
      ["bad_scores", "patient_health", "student_scores"],
    );
    assert.ok(datasets.every((d) => d.sizeBytes > 0 && d.file === `${d.name}.csv`));
  });

  it("GET /api/datasets/:name/stats returns statistics and group-bys", async () => {
    const { status, body } = await getJson(`${base}/api/datasets/student_scores/stats?groupBy=subject`);
    assert.equal(status, 200);
    assert.equal(body["dataset"], "student_scores");
    assert.equal(body["rowCount"], 60);
    const groups = body["groups"] as Array<{ by: string; column: string; groups: Array<{ key: string }> }>;
    assert.deepEqual(
      groups.map((g) => [g.by, g.column, g.groups.length]),
      [["subject", "score", 5]],
    );
  });

  it("returns the CSV issues with the stats of a malformed dataset", async () => {
    const { status, body } = await getJson(`${base}/api/datasets/bad_scores/stats`);
    assert.equal(status, 200);
    assert.equal(body["rowCount"], 6);
    assert.deepEqual(body["issues"], [{ line: 8, message: "expected 3 fields (as in the header), found 2" }]);
  });

  it("GET /api/datasets/:name/quality returns findings", async () => {
    const good = await getJson(`${base}/api/datasets/patient_health/quality`);
    assert.equal(good.status, 200);
    assert.equal(good.body["ok"], true);
    assert.deepEqual(good.body["findings"], []);
    const bad = await getJson(`${base}/api/datasets/bad_scores/quality`);
    assert.equal(bad.body["ok"], false);
    const checks = (bad.body["findings"] as Array<{ check: string }>).map((f) => f.check);
    assert.deepEqual(checks, ["malformed_row", "mean_score_below_min"]);
  });

  it("answers 404 for unknown datasets and paths that try to leave the directory", async () => {
    for (const path of ["nope", "notes", "..%2Fpackage", "%2E%2E%2Fdatasets%2Fstudent_scores", "student_scores.csv"]) {
      const { status, body } = await getJson(`${base}/api/datasets/${path}/stats`);
      assert.equal(status, 404, path);
      assert.match(String(body["error"]), /unknown dataset .*known datasets: bad_scores, patient_health, student_scores/);
    }
    const other = await getJson(`${base}/etc/passwd`);
    assert.equal(other.status, 404);
  });

  it("answers 400 for a bad group-by column or percent-encoding", async () => {
    const column = await getJson(`${base}/api/datasets/student_scores/stats?groupBy=teacher`);
    assert.equal(column.status, 400);
    assert.match(String(column.body["error"]), /unknown column 'teacher'/);
    const encoding = await getJson(`${base}/api/datasets/%E0%A4%A/stats`);
    assert.equal(encoding.status, 400);
  });

  it("answers 405 with an Allow header for writes", async () => {
    const res = await fetch(`${base}/api/datasets`, { method: "POST", body: "{}" });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get("allow"), "GET, HEAD");
    await res.body?.cancel();
  });

  it("GET / renders every dataset and escapes their contents", async () => {
    const res = await fetch(`${base}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
    const html = await res.text();
    for (const name of ["student_scores", "patient_health", "bad_scores"]) assert.ok(html.includes(`<h2>${name} `), name);
    assert.ok(html.includes("score by subject"));
    assert.ok(html.includes("release rel-42"));
    assert.ok(!html.includes("<script>alert(1)</script>"));
    assert.ok(html.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert.ok(html.includes("Quality: failed."));
  });

  it("serves a dataset changed on disk without a restart", async () => {
    await dir.write("late.csv", "x,y\n1,2\n");
    const { status, body } = await getJson(`${base}/api/datasets/late/stats`);
    assert.equal(status, 200);
    assert.equal(body["rowCount"], 1);
  });
});
