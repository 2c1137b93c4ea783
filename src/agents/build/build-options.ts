import { z } from "zod";
import { didYouMean } from "../../core/pipeline/did-you-mean.js";

/** Docker image repository names (optionally with a registry host[:port]), without a tag. */
const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
export const IMAGE_NAME = new RegExp(`^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?${COMPONENT}(?:/${COMPONENT})*$`);

export const DockerMode = { auto: "auto", required: "required", off: "off" } as const;
export type DockerMode = (typeof DockerMode)[keyof typeof DockerMode];

const nonEmpty = z.string().trim().min(1, "must not be empty");

const BuildOptionsSchema = z.strictObject({
  command: nonEmpty.optional(),
  artifacts: z.union([nonEmpty, z.array(nonEmpty)]).optional(),
  // `true` asks for an image (an engine is required); `false` skips Docker altogether.
  docker: z.union([z.enum(["auto", "required", "off"]), z.boolean()]).optional(),
  image: nonEmpty.optional(),
  dockerfile: nonEmpty.optional(),
  // The short form puts these on every job; they are the report and deploy stages' business.
  notify_on_success: z.boolean().optional(),
  deploy_environment: z.string().optional(),
});

export interface BuildOptions {
  command: string | null;
  /** Globs relative to the workspace; null when not given (then `dist/**` when a dist/ exists). */
  artifacts: string[] | null;
  docker: DockerMode;
  image: string | null;
  /** Relative to the job's working directory. */
  dockerfile: string | null;
}

const KEYS = Object.keys(BuildOptionsSchema.shape);
const USER_KEYS = ["command", "artifacts", "docker", "image", "dockerfile"];

/** Validates a build job's `with` map; the error names the field and says what to do. */
export function parseBuildOptions(input: Record<string, unknown>): { ok: true; options: BuildOptions } | { ok: false; error: string } {
  const unknown = Object.keys(input).filter((k) => !KEYS.includes(k));
  if (unknown.length > 0) {
    const k = unknown[0] as string;
    const close = didYouMean(k, USER_KEYS);
    const hint = close === null ? `build knows ${USER_KEYS.map((x) => `with.${x}`).join(", ")}` : `did you mean with.${close}?`;
    return { ok: false, error: `with.${k}: unknown option: ${hint}` };
  }
  const parsed = BuildOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path[0] === undefined ? "" : String(issue.path[0]);
    return { ok: false, error: `with.${field}: ${describeIssue(field, issue?.message ?? "invalid")}` };
  }
  const d = parsed.data;
  if (d.image !== undefined && !IMAGE_NAME.test(d.image)) {
    const tagged = /:[^/]*$/.test(d.image) && IMAGE_NAME.test(d.image.replace(/:[^/]*$/, ""));
    return {
      ok: false,
      error: tagged
        ? `with.image: ${JSON.stringify(d.image)} has a tag: give the name only; pitstop tags images <run number>-<short commit>`
        : `with.image: ${JSON.stringify(d.image)} is not a Docker image name: use lowercase letters, digits and . _ - /, like "registry.local:5000/team/app"`,
    };
  }
  return {
    ok: true,
    options: {
      command: d.command ?? null,
      artifacts: d.artifacts === undefined ? null : typeof d.artifacts === "string" ? [d.artifacts] : d.artifacts,
      docker: d.docker === true ? "required" : d.docker === false ? "off" : (d.docker ?? "auto"),
      image: d.image ?? null,
      dockerfile: d.dockerfile ?? null,
    },
  };
}

function describeIssue(field: string, message: string): string {
  switch (field) {
    case "command":
      return `${message}: give the build command as a string, e.g. "npm run build"`;
    case "artifacts":
      return `${message}: give a glob or a list of globs relative to the project, e.g. ["dist/**"]`;
    case "docker":
      return `${message}: use auto (build an image when an engine answers), required (fail without one) or off`;
    case "image":
      return `${message}: give the image name, e.g. "my-app"`;
    case "dockerfile":
      return `${message}: give the Dockerfile's path relative to the project, e.g. "Dockerfile"`;
    default:
      return message;
  }
}
