import type { Command } from "commander";

/** Exit codes (DESIGN.md §7.12). */
export const ExitCode = { ok: 0, pipelineFailed: 1, usage: 2, internal: 3 } as const;

export interface CliIO {
  stdout: NodeJS.WritableStream & { columns?: number };
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  isTTY: boolean;
}

export interface CommandContext {
  io: CliIO;
  setExit: (code: number) => void;
  globals: () => { dataDir?: string };
}

export type RegisterCommand = (program: Command, ctx: CommandContext) => void;
