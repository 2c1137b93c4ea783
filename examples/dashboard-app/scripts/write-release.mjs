// Writes dist/release.json after `tsc` so a deployed dist/ says which version it is and when it was built.
import { mkdir, readFile, writeFile } from "node:fs/promises";

const root = new URL("../", import.meta.url);
const pkg = JSON.parse(await readFile(new URL("package.json", root), "utf8"));
const release = {
  name: pkg.name,
  version: pkg.version,
  builtAt: new Date().toISOString(),
  node: process.version,
};
await mkdir(new URL("dist/", root), { recursive: true });
await writeFile(new URL("dist/release.json", root), `${JSON.stringify(release, null, 2)}\n`);
console.log(`wrote dist/release.json (${release.name} ${release.version})`);
