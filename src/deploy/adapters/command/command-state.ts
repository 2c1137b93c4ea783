import { chmod, mkdir, open, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { ErrorCode, PitstopError } from "../../../core/errors.js";
import { DEPLOY_ENVIRONMENTS } from "../../port.js";

export const CommandsSchema = z.object({
  deploy: z.string().min(1),
  health: z.string().min(1),
  rollback: z.string().min(1).optional(),
  restart: z.string().min(1).optional(),
  /** May contain `{replicas}`; PITSTOP_REPLICAS is set too. */
  scale: z.string().min(1).optional(),
  stop: z.string().min(1).optional(),
});
export type Commands = z.infer<typeof CommandsSchema>;

export const CommandStateSchema = z.object({
  version: z.literal(1),
  environment: z.enum(DEPLOY_ENVIRONMENTS),
  lifecycle: z.enum(["empty", "running", "stopped"]),
  /** The commands of the last deploy, so `pitstop deploy rollback` works without the pipeline file. */
  commands: CommandsSchema.nullable(),
  /** Where the commands run when no deploy says otherwise (the last deploy's source directory). */
  cwd: z.string().nullable(),
  url: z.string().nullable(),
  replicas: z.number().int().nullable(),
  history: z.object({
    releases: z.array(z.object({ id: z.string(), createdAt: z.number(), healthy: z.boolean(), error: z.string().nullable() })),
    served: z.array(z.string()),
  }),
  updatedAt: z.number(),
});
export type CommandState = z.infer<typeof CommandStateSchema>;

/** The environment a command of a release ran with (secrets included): mode 0600. */
export const CommandReleaseSchema = z.object({ id: z.string(), sourceDir: z.string(), env: z.record(z.string(), z.string()) });
export type CommandRelease = z.infer<typeof CommandReleaseSchema>;

export interface CommandPaths {
  root: string;
  state: string;
  lock: string;
  release(id: string): string;
}

export function commandPaths(dataDir: string, environment: string): CommandPaths {
  const root = path.join(path.resolve(dataDir), "deploy", environment, "command");
  return { root, state: path.join(root, "state.json"), lock: path.join(root, "lock"), release: (id) => path.join(root, "releases", `${id}.json`) };
}

export async function readJson<T>(file: string, schema: z.ZodType<T>): Promise<T | null> {
  const text = await readFile(file, "utf8").catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return null;
    throw e;
  });
  if (text === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = null;
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new PitstopError(ErrorCode.INTERNAL, `deploy state ${file} is unreadable: remove it (the command target's history is lost, the deployment itself is not)`);
  return parsed.data;
}

export async function writeJson(file: string, value: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}

/**
 * Serialises the command target's operations across processes (an agent and the CLI): a lock
 * file naming its holder, taken over when the holder is dead.
 */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, isAlive: (pid: number) => boolean): Promise<T> {
  await mkdir(path.dirname(file), { recursive: true });
  for (;;) {
    try {
      const fh = await open(file, "wx", 0o600);
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const holder = Number(await readFile(file, "utf8").catch(() => ""));
      if (!Number.isInteger(holder) || holder <= 0 || (holder !== process.pid && !isAlive(holder))) await rm(file, { force: true });
      else await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(file, { force: true });
  }
}
