import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { link, mkdir, readdir, readFile, rm, stat, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { coerceError, ErrorCode, PitstopError } from "../core/errors.js";
import { AppSpecSchema, nameProblem, type AppSpec } from "../core/healing/onboarding.js";

const run = promisify(execFile);

/** A clone is given this long before it is killed (a big repository over a slow link). */
const CLONE_TIMEOUT_MS = 10 * 60_000;

/**
 * The registry of onboarded apps: one JSON file per app under `<dataDir>/apps/<name>.json`, and
 * the clone of a remote repository under `<dataDir>/apps/<name>/checkout`. Files, not the store,
 * so an app spec can be read, reviewed and removed by hand, as the duplicate message suggests.
 */
export interface AppRegistry {
  readonly dir: string;
  /** `<dir>/<name>.json`. Throws USAGE for a name that is not a valid app name. */
  specPath(name: string): string;
  /** `<dir>/<name>/checkout`: where `checkout` clones a remote repository. */
  checkoutPath(name: string): string;
  /** The app's spec, or null when none is registered; INTERNAL naming the file when it is malformed. */
  get(name: string): Promise<AppSpec | null>;
  /** Every registered app, by name. */
  list(): Promise<AppSpec[]>;
  /**
   * Writes the spec atomically and exclusively: readers see the whole file or none, and of two
   * concurrent creates of one name exactly one wins; the other gets USAGE (already onboarded).
   */
  create(spec: AppSpec): Promise<void>;
  /**
   * `git clone --depth 1 -- <url> <checkoutPath(name)>` without a shell and without prompts.
   * A leftover checkout from an onboarding that failed half way is removed first; a failed clone
   * leaves nothing behind and throws USAGE with git's own words.
   */
  checkout(name: string, url: string): Promise<string>;
}

function assertName(name: string): void {
  const problem = nameProblem(name);
  // The name becomes a path: checked here too so no caller can write outside the registry.
  if (problem) throw new PitstopError(ErrorCode.USAGE, problem);
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    (e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") return false;
      throw e;
    },
  );
}

export function createAppRegistry(dataDir: string): AppRegistry {
  const dir = path.join(path.resolve(dataDir), "apps");
  const specPath = (name: string): string => {
    assertName(name);
    return path.join(dir, `${name}.json`);
  };
  const checkoutPath = (name: string): string => {
    assertName(name);
    return path.join(dir, name, "checkout");
  };

  async function get(name: string): Promise<AppSpec | null> {
    const file = specPath(name);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw coerceError(e);
    }
    let parsed: ReturnType<typeof AppSpecSchema.safeParse>;
    try {
      parsed = AppSpecSchema.safeParse(JSON.parse(text));
    } catch (e) {
      throw new PitstopError(ErrorCode.INTERNAL, `${file}: not JSON (${(e as Error).message}): fix it or remove the file and onboard again`, { cause: e });
    }
    if (!parsed.success) {
      const i = parsed.error.issues[0]!;
      throw new PitstopError(ErrorCode.INTERNAL, `${file}: ${i.path.join(".") || "(root)"}: ${i.message}: fix it or remove the file and onboard again`);
    }
    return parsed.data;
  }

  async function create(spec: AppSpec): Promise<void> {
    const file = specPath(spec.name);
    await mkdir(dir, { recursive: true });
    const tmp = path.join(dir, `.${spec.name}.json.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
    await writeFile(tmp, `${JSON.stringify(AppSpecSchema.parse(spec), null, 2)}\n`, { flag: "wx" });
    try {
      // link(2) fails with EEXIST instead of replacing, so the complete file appears under its
      // name in one step and an existing app is never overwritten (rename would replace it).
      await link(tmp, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") {
        throw new PitstopError(ErrorCode.USAGE, `app ${spec.name} is already onboarded: pick another name or remove ${file}`, { details: { file } });
      }
      throw coerceError(e);
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }

  async function list(): Promise<AppSpec[]> {
    const names = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") return [] as string[];
      throw e;
    });
    const apps = names.filter((n) => n.endsWith(".json") && !n.startsWith(".") && nameProblem(n.slice(0, -5)) === null).sort();
    const specs = await Promise.all(apps.map((n) => get(n.slice(0, -5))));
    return specs.filter((s): s is AppSpec => s !== null);
  }

  async function checkout(name: string, url: string): Promise<string> {
    const target = checkoutPath(name);
    if (url.startsWith("-")) throw new PitstopError(ErrorCode.USAGE, `repository ${JSON.stringify(url)} starts with \`-\`: refused`);
    if (await exists(target)) await rm(target, { recursive: true, force: true });
    await mkdir(path.dirname(target), { recursive: true });
    // No shell (execFile), `--` before the URL so it can never be read as an option, remote
    // helpers that run commands switched off, and no terminal prompt that would hang a CLI.
    const args = ["-c", "protocol.ext.allow=never", "-c", "protocol.fd.allow=never", "clone", "--quiet", "--depth", "1", "--", url, target];
    try {
      await run("git", args, { timeout: CLONE_TIMEOUT_MS, env: { ...process.env, GIT_TERMINAL_PROMPT: "0", GIT_ASKPASS: "", SSH_ASKPASS: "" } });
    } catch (e) {
      await rm(path.dirname(target), { recursive: true, force: true });
      const stderr = String((e as { stderr?: unknown }).stderr ?? "").trim();
      throw new PitstopError(ErrorCode.USAGE, `--repo: git could not clone ${url}: ${stderr || (e as Error).message}: check the URL and your access (ssh key or credential helper)`, { cause: e });
    }
    return target;
  }

  return { dir, specPath, checkoutPath, get, list, create, checkout };
}
