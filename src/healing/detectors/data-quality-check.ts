import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseCsv } from "../../core/healing/csv.js";
import { checkCsvDataset, DataProblemKind, hasDataAnomaly, type DataQualityReport, type DataQualityRule } from "../../core/healing/data-quality.js";
import { DetectorKind, type Detector, type DetectorBase } from "./detector-event.js";
import { createPollLoop, safeEmit } from "./poll-loop.js";

export interface DataQualityCheckOptions extends DetectorBase {
  /** Directory holding the datasets the rules name (by file name). */
  datasetsDir: string;
  rules: readonly DataQualityRule[];
  /** How often to re-read the files; default 60000 (datasets change with deploys, not by the second). */
  intervalMs?: number;
}

export interface DataQualityCheck extends Detector {
  /** Reads and checks every dataset the rules name, emitting as a poll would. */
  checkNow(): Promise<DataQualityReport[]>;
}

async function checkFile(datasetsDir: string, dataset: string, rules: readonly DataQualityRule[]): Promise<DataQualityReport> {
  const file = path.join(datasetsDir, dataset);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    const message = `${dataset}: file not found at ${file}; deploy the dataset or remove its rules`;
    return { dataset, rowsChecked: 0, findings: [], problems: [{ dataset, kind: DataProblemKind.missing_file, column: null, lines: [], message }] };
  }
  return checkCsvDataset(dataset, parseCsv(text), rules);
}

/** The same findings and problems again are the same episode: no new event for them. */
function fingerprint(report: DataQualityReport): string {
  return JSON.stringify([report.findings.map((f) => f.message), report.problems.map((p) => p.message)]);
}

/**
 * Emits `data_anomaly` for each dataset whose rules fire or whose data is broken (missing file or
 * column, non-numeric values, malformed rows), with the report as evidence. Once per episode: an
 * unchanged report is not emitted again; a clean check ends the episode.
 */
export function createDataQualityCheck(opts: DataQualityCheckOptions): DataQualityCheck {
  const now = opts.now ?? Date.now;
  const datasets = [...new Set(opts.rules.map((r) => r.dataset))];
  const lastEmitted = new Map<string, string>();

  async function checkNow(): Promise<DataQualityReport[]> {
    const reports = await Promise.all(datasets.map((d) => checkFile(opts.datasetsDir, d, opts.rules)));
    for (const report of reports) {
      if (!hasDataAnomaly(report)) {
        lastEmitted.delete(report.dataset);
        continue;
      }
      const print = fingerprint(report);
      if (lastEmitted.get(report.dataset) === print) continue;
      lastEmitted.set(report.dataset, print);
      const evidence = { datasetsDir: opts.datasetsDir, ...report };
      safeEmit(opts.emit, { kind: DetectorKind.data_anomaly, environment: opts.environment, target: opts.target, at: now(), evidence }, opts.onError);
    }
    return reports;
  }

  const loop = createPollLoop({ intervalMs: opts.intervalMs ?? 60_000, tick: async () => void (await checkNow()), signal: opts.signal, onError: opts.onError });
  return { start: loop.start, stop: loop.stop, rearm: () => lastEmitted.clear(), checkNow };
}
