import { stat } from "node:fs/promises";
import { ConfigError, loadConfig } from "./config.js";
import { createDatasetCatalog } from "./dataset-catalog.js";
import { checkQuality } from "./quality.js";

/**
 * CLI gate for pipelines: checks every dataset in DATASETS_DIR (default ./datasets), prints the
 * findings and exits 1 when any finding is an error, 0 otherwise.
 */
async function main(): Promise<number> {
  const config = loadConfig(process.env, process.cwd());
  const dir = await stat(config.datasetsDir).catch(() => null);
  if (dir === null || !dir.isDirectory()) {
    throw new ConfigError(`datasets directory ${config.datasetsDir} does not exist; create it or set DATASETS_DIR`);
  }
  const catalog = createDatasetCatalog(config.datasetsDir);
  const datasets = await catalog.list();
  if (datasets.length === 0) throw new ConfigError(`no *.csv datasets in ${config.datasetsDir}`);
  let failed = 0;
  for (const { name } of datasets) {
    const table = await catalog.read(name);
    if (table === null) continue;
    const report = checkQuality(name, table);
    console.log(`${report.ok ? "PASS" : "FAIL"} ${name} (${report.rowsChecked} rows, ${report.findings.length} findings)`);
    for (const f of report.findings) console.log(`  ${f.severity} ${f.check}: ${f.message}`);
    if (!report.ok) failed += 1;
  }
  console.log(failed === 0 ? `data quality: all ${datasets.length} datasets pass` : `data quality: ${failed} of ${datasets.length} datasets fail`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e instanceof ConfigError ? `check-quality: ${e.message}` : e);
    process.exitCode = 2;
  },
);
