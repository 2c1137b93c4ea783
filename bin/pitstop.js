#!/usr/bin/env node
// Thin launcher so the bin exists before the first build; the CLI itself lives in src/cli.
import { main } from "../dist/cli/main.js";
main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error("pitstop: internal error:", err?.stack ?? err); process.exitCode = 3; },
);
