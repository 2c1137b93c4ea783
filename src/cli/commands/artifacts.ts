import path from "node:path";
import type { Command } from "commander";
import { createLocalArtifactStore } from "../../artifacts/adapters/local.js";
import { isArtifactError, type ArtifactStore, type Manifest } from "../../artifacts/port.js";
import { formatBytes } from "../../agents/build/build-report.js";
import { loadConfig } from "../../config/config.js";
import { ErrorCode, PitstopError } from "../../core/errors.js";
import { table } from "../format.js";
import { ExitCode, type CommandContext } from "../io.js";
import { findRunOrThrow, withStore } from "./inspect.js";

interface ArtifactsOptions {
  json?: boolean;
  get?: string;
  out?: string;
}

/**
 * `pitstop artifacts <run>` lists the run's artifact manifests and files;
 * `pitstop artifacts <run> --get <job|path> --out <dir>` restores them, verifying every sha256.
 */
export function registerArtifactsCommand(program: Command, ctx: CommandContext): void {
  program
    .command("artifacts")
    .description("list a run's build artifacts, or fetch them with --get")
    .argument("<run>", "run number, id or id prefix")
    .option("--get <name>", "fetch a job's artifacts (job id), one file or a directory (path as listed)")
    .option("--out <dir>", "where --get writes the files, at their listed paths (created when missing; default: the current directory)")
    .option("--json", "print as JSON")
    .action(async (ref: string, opts: ArtifactsOptions) => {
      if (opts.out !== undefined && opts.get === undefined) throw new PitstopError(ErrorCode.USAGE, "--out goes with --get <name>: say which artifacts to fetch");
      const run = await withStore(ctx, (store) => findRunOrThrow(store, ref));
      const config = loadConfig({ cwd: ctx.io.cwd, env: ctx.io.env, flags: { dataDir: ctx.globals().dataDir } });
      const artifacts = createLocalArtifactStore({ dataDir: config.dataDir });
      const label = `run #${run.number}`;
      try {
        if (opts.get !== undefined) await fetchArtifacts(ctx, artifacts, { id: run.id, label }, opts.get, path.resolve(ctx.io.cwd, opts.out ?? "."), opts.json === true);
        else await listArtifacts(ctx, artifacts, { id: run.id, number: run.number, label }, opts.json === true);
      } catch (e) {
        if (!isArtifactError(e)) throw e;
        ctx.io.stderr.write(`pitstop: ${label}: ${e.message}\n`);
        ctx.setExit(e.reason === "corrupt" ? ExitCode.internal : ExitCode.usage);
      }
    });
}

async function listArtifacts(ctx: CommandContext, artifacts: ArtifactStore, run: { id: string; number: number; label: string }, json: boolean): Promise<void> {
  const manifests = await artifacts.listManifests(run.id);
  if (json) {
    ctx.io.stdout.write(`${JSON.stringify({ run: { id: run.id, number: run.number }, manifests }, null, 2)}\n`);
    return;
  }
  if (manifests.length === 0) {
    ctx.io.stdout.write(`${run.label} has no artifacts: a build stage stores them (see docs/stages/build.md)\n`);
    return;
  }
  ctx.io.stdout.write(manifests.map(describeManifest).join("\n") + "\n\n");
  const rows = manifests.flatMap((m) => m.files.map((f) => [m.jobId, f.path, formatBytes(f.size), f.sha256]));
  ctx.io.stdout.write(table([["JOB", "PATH", "SIZE", "SHA256"], ...rows]));
}

function describeManifest(m: Manifest): string {
  const bytes = m.files.reduce((n, f) => n + f.size, 0);
  return `${m.jobId}: ${m.files.length} file${m.files.length === 1 ? "" : "s"} (${formatBytes(bytes)}), attempt ${m.attempt}, ${m.createdAt}, digest ${m.digest}`;
}

async function fetchArtifacts(ctx: CommandContext, artifacts: ArtifactStore, run: { id: string; label: string }, name: string, outDir: string, json: boolean): Promise<void> {
  const result = await artifacts.fetch(run.id, name, outDir);
  if (json) {
    ctx.io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const bytes = result.files.reduce((n, f) => n + f.size, 0);
  const shown = (dest: string): string => {
    const rel = path.relative(ctx.io.cwd, dest);
    return rel === "" || rel.startsWith("..") ? dest : rel;
  };
  const lines = result.files.map((f) => `  ${shown(f.dest)}  ${formatBytes(f.size)}`);
  ctx.io.stdout.write(`fetched ${result.files.length} file${result.files.length === 1 ? "" : "s"} (${formatBytes(bytes)}) of ${run.label} into ${outDir}, sha256 verified:\n${lines.join("\n")}\n`);
}
