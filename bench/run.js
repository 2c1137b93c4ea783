#!/usr/bin/env node
// `npm run bench -- <name> [args]`: runs bench/<name>.js against the built dist/ (npm install builds it).
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here).filter((f) => f.endsWith(".js") && f !== "run.js" && !f.startsWith("_")).map((f) => f.slice(0, -3));
const [name, ...args] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <${available.join("|")}> [options]`);
  process.exit(2);
}
if (!existsSync(path.join(here, "..", "dist", "cli", "main.js"))) {
  console.error("dist/ is missing: run `npm run build` first");
  process.exit(2);
}
const mod = await import(pathToFileURL(path.join(here, `${name}.js`)).href);
process.exitCode = (await mod.default(args)) ?? 0;
