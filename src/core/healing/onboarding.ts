/**
 * Onboarding an app (issue 4 §8, the seed design's `onboard`): the pure checks on what a user
 * typed before pitstop clones anything, writes a registry entry or runs a pipeline. Every input
 * here ends up as an argument to git or as a file name, so the rules are allow-lists: a value
 * that does not match a known-good shape is refused, with the field and what to do.
 */
import { z } from "zod";
import { suggestionHint } from "../pipeline/did-you-mean.js";
import { ENVIRONMENTS, type Environment } from "./environment.js";

export const RUNTIMES = ["node", "python", "static"] as const;
export type Runtime = (typeof RUNTIMES)[number];

export const RepoKind = { https: "https", ssh: "ssh", scp: "scp", local: "local" } as const;
export type RepoKind = (typeof RepoKind)[keyof typeof RepoKind];

export interface RepoRef {
  kind: RepoKind;
  /** As given; the shell resolves a local path against its working directory. */
  url: string;
}

export type OnboardingField = "name" | "repo" | "runtime" | "env" | "pipeline";

export interface OnboardingProblem {
  field: OnboardingField;
  message: string;
}

export interface OnboardingInput {
  name: string;
  repo: string;
  runtime: string;
  env: string;
  /** Pipeline file inside the app's workspace; default `pipeline.yml`. */
  pipeline?: string | undefined;
}

export interface OnboardingRequest {
  name: string;
  repo: RepoRef;
  runtime: Runtime;
  environment: Environment;
  pipeline: string;
}

export type OnboardingResult = { ok: true; request: OnboardingRequest } | { ok: false; problems: OnboardingProblem[] };

/** The registry entry written for an onboarded app (`<dataDir>/apps/<name>.json`). */
export const AppSpecSchema = z.strictObject({
  name: z.string(),
  repo: z.string(),
  runtime: z.enum(RUNTIMES),
  environment: z.enum(ENVIRONMENTS),
  pipeline: z.string(),
  /** ISO 8601. */
  createdAt: z.string(),
  /** Absolute path of the working tree pitstop runs the pipeline in. */
  workspace: z.string(),
});
export type AppSpec = z.infer<typeof AppSpecSchema>;

export const DEFAULT_PIPELINE_FILE = "pipeline.yml";

// 2–40 characters, so it fits a file name, a DNS label and a log column; no dash at either end.
const NAME = /^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$/;
// Characters a shell would act on, quotes, whitespace and control characters: never part of a
// repository reference we accept, even though git runs without a shell, because the value is
// echoed into logs, commands shown to users and hooks that might not be as careful.
const HOSTILE = /[;|&$`<>(){}!*?'"\\\s\p{Cc}]/u;
const SEGMENT = /^[A-Za-z0-9._~+-]+$/;
const HOST = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?$/;
const USER = /^[A-Za-z0-9._-]+$/;

export const CREDENTIALS_MESSAGE = "don't put credentials in the URL: use a credential helper or a secret";

/** Checks an app name; null when it is fine, else what is wrong and what to do. */
export function nameProblem(name: string): string | null {
  if (NAME.test(name)) return null;
  const lower = name.toLowerCase();
  const hint = lower !== name && NAME.test(lower) ? `; did you mean \`${lower}\`?` : "";
  return `${JSON.stringify(name)} is not a valid app name: use 2–40 lowercase letters, digits and dashes, not starting or ending with a dash (e.g. \`shop-api\`)${hint}`;
}

function pathProblem(path: string, what: string): string | null {
  const segments = path.split("/").filter((s) => s !== "");
  if (segments.length === 0) return `${what} is missing`;
  for (const s of segments) {
    if (s === ".." || s === ".") return `${what} must not contain \`${s}\` segments (they can point outside the repository host's path): write the path without them`;
    if (!SEGMENT.test(s)) return `${what} segment ${JSON.stringify(s)} has characters a repository path does not need: use letters, digits and . _ ~ + -`;
  }
  return null;
}

function authorityProblem(authority: string, allowUser: boolean): string | null {
  const at = authority.lastIndexOf("@");
  const user = at >= 0 ? authority.slice(0, at) : null;
  const host = at >= 0 ? authority.slice(at + 1) : authority;
  if (user !== null && (!allowUser || user.includes(":"))) return CREDENTIALS_MESSAGE;
  if (user !== null && !USER.test(user)) return `user ${JSON.stringify(user)} is not a plain user name: write it like \`git@host\``;
  if (!HOST.test(host)) return `host ${JSON.stringify(host)} is not a host name: write it like \`github.com\` or \`git.example.com:2222\``;
  return null;
}

function urlProblem(repo: string, scheme: "https" | "ssh"): string | null {
  const rest = repo.slice(scheme.length + 3);
  const slash = rest.indexOf("/");
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  // Any user part of an https URL is a credential (a token as the user name counts too); ssh
  // names a login (`git@`), but a password after it is a credential.
  const a = authorityProblem(authority, scheme === "ssh");
  if (a) return a;
  return pathProblem(slash < 0 ? "" : rest.slice(slash), "the repository path");
}

function localProblem(repo: string): string | null {
  if (repo.startsWith("~")) return "`~` is not expanded here: write the full path of the repository (e.g. /home/me/shop)";
  if (repo.includes(":")) return "a local path must not contain `:` (git would read it as host:path): rename the directory or use a path without it";
  if (repo.split("/").includes("..")) return "`..` segments are refused (they climb out of the directory you are in): give the absolute path of the repository instead";
  return null;
}

/**
 * Classifies a repository reference, or says why it is refused: https, ssh, scp-like
 * (`git@host:org/repo.git`) or a local path. Refused: `file://` and other schemes, git's
 * `transport::address` remote helpers (`ext::sh -c …` runs a command), shell metacharacters,
 * `..` segments, a leading `-` (git would read it as an option) and credentials in the URL.
 */
export function parseRepo(repo: string): { ok: true; repo: RepoRef } | { ok: false; message: string } {
  const refuse = (message: string) => ({ ok: false as const, message });
  if (repo === "") return refuse("give the repository: an https or ssh URL, git@host:org/repo.git, or the path of a local git repository");
  if (repo.startsWith("-")) return refuse(`${JSON.stringify(repo)} starts with \`-\`, which git would read as an option: give a URL or a path`);
  if (/^[A-Za-z][A-Za-z0-9+.-]*::/.test(repo)) return refuse(`${JSON.stringify(repo)} uses git's \`transport::address\` syntax (ext::, fd::…), which can run commands: give an https or ssh URL`);
  if (HOSTILE.test(repo)) return refuse(`${JSON.stringify(repo)} contains spaces, quotes or shell metacharacters: a repository URL or path never needs them`);
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(repo)?.[1]?.toLowerCase();
  if (scheme === "file") return refuse("file:// URLs are refused: give the plain path of the local repository instead");
  if (scheme === "https" || scheme === "ssh") {
    if (!repo.startsWith(`${scheme}://`)) return refuse(`write the scheme in lowercase: ${scheme}://…`);
    const p = urlProblem(repo, scheme);
    return p ? refuse(p) : { ok: true, repo: { kind: scheme, url: repo } };
  }
  if (scheme !== undefined) return refuse(`${scheme}:// URLs are not accepted: use https://… or ssh://… (or git@host:org/repo.git)`);
  const scp = /^([^/:]+@[^/:]+):(.*)$/.exec(repo);
  if (scp) {
    const p = authorityProblem(scp[1]!, true) ?? pathProblem(scp[2]!, "the repository path");
    return p ? refuse(p) : { ok: true, repo: { kind: RepoKind.scp, url: repo } };
  }
  const p = localProblem(repo);
  return p ? refuse(p) : { ok: true, repo: { kind: RepoKind.local, url: repo } };
}

// Common long forms people type for the environments, mapped to ours.
const ENV_ALIASES: Readonly<Record<string, Environment>> = { development: "dev", staging: "stage", production: "prod", live: "prod" };

function choiceProblem(flag: string, value: string, choices: readonly string[], aliases: Readonly<Record<string, string>> = {}): string | null {
  if (choices.includes(value)) return null;
  const alias = aliases[value.toLowerCase()];
  const hint = alias ? `did you mean \`${alias}\`?` : suggestionHint(value, choices);
  return `${flag} ${JSON.stringify(value)} is not one of ${choices.join(", ")}${hint ? `: ${hint}` : ""}`;
}

function pipelineProblem(file: string): string | null {
  if (file.startsWith("/")) return `--pipeline ${JSON.stringify(file)} must be a path inside the repository, relative to its root (e.g. ci/pipeline.yml)`;
  if (file.startsWith("-") || HOSTILE.test(file)) return `--pipeline ${JSON.stringify(file)} has characters a file name does not need: use letters, digits and . _ - /`;
  return pathProblem(file, "--pipeline");
}

/** Checks everything `pitstop onboard` was given; all problems at once, each naming its field. */
export function validateOnboarding(input: OnboardingInput): OnboardingResult {
  const problems: OnboardingProblem[] = [];
  const add = (field: OnboardingField, message: string | null) => message !== null && problems.push({ field, message });
  add("name", nameProblem(input.name));
  const repo = parseRepo(input.repo);
  add("repo", repo.ok ? null : `--repo: ${repo.message}`);
  add("runtime", choiceProblem("--runtime", input.runtime, RUNTIMES));
  add("env", choiceProblem("--env", input.env, ENVIRONMENTS, ENV_ALIASES));
  const pipeline = input.pipeline ?? DEFAULT_PIPELINE_FILE;
  add("pipeline", pipelineProblem(pipeline));
  if (problems.length > 0 || !repo.ok) return { ok: false, problems };
  return { ok: true, request: { name: input.name, repo: repo.repo, runtime: input.runtime as Runtime, environment: input.env as Environment, pipeline } };
}

export const PROD_ONBOARDING_REFUSAL = "prod onboarding is refused by the safety policy: onboard to stage, let it pass, then promote";

/**
 * The safety policy for onboarding: a new app never goes straight to prod, because nothing about
 * it has been seen to pass yet. Returns the reason to show and audit, or null when allowed.
 */
export function onboardingRefusal(environment: Environment): string | null {
  return environment === "prod" ? PROD_ONBOARDING_REFUSAL : null;
}
