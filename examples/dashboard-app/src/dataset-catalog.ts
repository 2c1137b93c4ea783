import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { loadCsvFile } from "./csv.js";
import type { CsvTable } from "./csv.js";

export interface DatasetInfo {
  name: string;
  file: string;
  sizeBytes: number;
  modifiedAt: string;
}

export interface DatasetCatalog {
  readonly dir: string;
  /** The `*.csv` files of the directory, sorted by name. Read on every call: files may change while serving. */
  list(): Promise<DatasetInfo[]>;
  /** The parsed dataset, or null when `name` is not one of the listed datasets. */
  read(name: string): Promise<CsvTable | null>;
}

const CSV_SUFFIX = ".csv";

/**
 * Datasets are the `*.csv` files directly inside `dir`. A name is only ever resolved by exact
 * match against the directory listing, so "../x" or "a/b" can never reach another file.
 */
export function createDatasetCatalog(dir: string): DatasetCatalog {
  async function list(): Promise<DatasetInfo[]> {
    const entries = await readdir(dir, { withFileTypes: true });
    const files = entries.filter((e) => e.isFile() && e.name.endsWith(CSV_SUFFIX) && e.name.length > CSV_SUFFIX.length);
    const infos = await Promise.all(
      files.map(async (e) => {
        const info = await stat(join(dir, e.name));
        return {
          name: e.name.slice(0, -CSV_SUFFIX.length),
          file: e.name,
          sizeBytes: info.size,
          modifiedAt: info.mtime.toISOString(),
        };
      }),
    );
    return infos.sort((a, b) => a.name.localeCompare(b.name));
  }

  async function read(name: string): Promise<CsvTable | null> {
    const match = (await list()).find((d) => d.name === name);
    return match === undefined ? null : loadCsvFile(join(dir, match.file));
  }

  return { dir, list, read };
}
