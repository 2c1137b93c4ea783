import { randomBytes, generateKeyPairSync } from "node:crypto";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * Fixture projects for the security stage, generated per test in a temp dir. Secrets are made up
 * at run time (random bytes, a fresh RSA key) so no credential-looking string is committed.
 */

export async function tempProject(prefix: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), `pitstop-security-${prefix}-`));
}

export async function write(dir: string, rel: string, text: string): Promise<void> {
  await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
  await writeFile(path.join(dir, rel), text);
}

/** 40 characters from the AWS secret-key alphabet, different on every run. */
export function fakeAwsSecret(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return [...randomBytes(40)].map((b) => alphabet[b % alphabet.length]).join("");
}

export function fakePrivateKey(): string {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 1024, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
  return privateKey;
}

/**
 * package.json + package-lock.json (lockfileVersion 3) that pin `deps` under node_modules without
 * installing anything: npm audit reads only the lockfile. package.json asks for `^version`, or for
 * exactly `version` with `exact` (as `save-exact` writes it).
 */
export async function npmProject(dir: string, deps: Record<string, string>, opts: { exact?: boolean } = {}): Promise<void> {
  const registry = "https://registry.npmjs.org/";
  const ranges = Object.fromEntries(Object.entries(deps).map(([n, v]) => [n, opts.exact ? v : `^${v}`]));
  await write(dir, "package.json", `${JSON.stringify({ name: "fixture-app", version: "1.0.0", private: true, dependencies: ranges }, null, 2)}\n`);
  const packages: Record<string, unknown> = { "": { name: "fixture-app", version: "1.0.0", dependencies: ranges } };
  for (const [name, version] of Object.entries(deps)) {
    packages[`node_modules/${name}`] = { version, resolved: `${registry}${name}/-/${name.split("/").at(-1)}-${version}.tgz`, license: "MIT" };
  }
  const lock = { name: "fixture-app", version: "1.0.0", lockfileVersion: 3, requires: true, packages };
  await write(dir, "package-lock.json", `${JSON.stringify(lock, null, 2)}\n`);
}
