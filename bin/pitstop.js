#!/usr/bin/env node
// Thin launcher so the bin exists before the first build; the CLI itself lives in src/cli.
import { main } from "../dist/cli/main.js";

// `pitstop logs 1 | head` closes our stdout early: that is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error("pitstop: internal error:", err?.stack ?? err);
    process.exitCode = 3;
  },
);
