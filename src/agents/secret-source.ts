import { readFile } from "node:fs/promises";
import { parseSecretsEnv } from "../core/secrets/mask.js";
import { ErrorCode, PitstopError } from "../core/errors.js";

/**
 * Where secret values come from: the agent's own environment, then `secrets.env` in the data
 * directory. Values never travel on the bus or land in the store; only names do.
 */
export interface SecretSource {
  resolve(names: readonly string[]): Promise<{ values: Record<string, string>; missing: string[] }>;
}

export function createSecretSource(opts: { env: Readonly<Record<string, string | undefined>>; file: string | null }): SecretSource {
  let fileValues: Promise<Record<string, string>> | null = null;
  async function loadFile(): Promise<Record<string, string>> {
    if (!opts.file) return {};
    let text: string;
    try {
      text = await readFile(opts.file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return {};
      throw e;
    }
    const parsed = parseSecretsEnv(text, opts.file);
    if (parsed.issues.length > 0) {
      const first = parsed.issues[0]!;
      throw new PitstopError(ErrorCode.SECRET_MISSING, `${opts.file}:${first.line}: ${first.message}`, {
        details: { file: opts.file, issues: parsed.issues },
      });
    }
    return parsed.values;
  }
  return {
    async resolve(names) {
      fileValues ??= loadFile();
      const file = await fileValues;
      const values: Record<string, string> = {};
      const missing: string[] = [];
      for (const n of names) {
        const v = opts.env[n] ?? file[n];
        if (v === undefined) missing.push(n);
        else values[n] = v;
      }
      return { values, missing };
    },
  };
}
