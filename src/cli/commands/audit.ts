import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { coerceError } from "../../core/errors.js";
import type { StoredAuditRecord } from "../../core/healing/audit-record.js";
import { parseAuditJsonl, toAuditJsonLine } from "../../healing/audit/audit-jsonl.js";
import { readAuditRecords } from "../../healing/audit/read-audit-records.js";
import { verifyChain } from "../../healing/audit/verify-chain.js";
import type { ChainVerdict } from "../../healing/audit/verify-chain.js";
import type { AuditHead, AuditStore } from "../../store/port.js";
import { ExitCode, type CommandContext } from "../io.js";
import { withStore } from "./inspect.js";

interface VerifyOptions {
  file?: string;
  anchor?: string;
  json?: boolean;
}

const plural = (n: number): string => `${n} record${n === 1 ? "" : "s"}`;

/** `--anchor 42:<sha256 hex>`: the head printed by an earlier verify or export. */
function parseAnchor(text: string): AuditHead | null {
  const m = /^(\d+):([0-9a-f]{64})$/.exec(text.trim());
  return m ? { seq: Number(m[1]), hash: m[2]! } : null;
}

/** Bad input the user can fix: said on stderr, exit 2, without a stack. */
function usageProblem(ctx: CommandContext, message: string): void {
  ctx.io.stderr.write(`pitstop: ${message}\n`);
  ctx.setExit(ExitCode.usage);
}

function readExport(ctx: CommandContext, file: string): { records: StoredAuditRecord[]; lines: number[] } | null {
  const absolute = path.resolve(ctx.io.cwd, file);
  let text: string;
  try {
    text = fs.readFileSync(absolute, "utf8");
  } catch (e) {
    usageProblem(ctx, `cannot read the audit export ${file}: ${coerceError(e).message}`);
    return null;
  }
  const parsed = parseAuditJsonl(text);
  if (!parsed.ok) {
    const { line, column, message } = parsed.problem;
    usageProblem(ctx, `${file}:${line}${column === null ? "" : `:${column}`}: ${message}. Is this a file written by \`pitstop audit export\`?`);
    return null;
  }
  return parsed;
}

function report(ctx: CommandContext, verdict: ChainVerdict, where: string, json: boolean): void {
  if (json) {
    ctx.io.stdout.write(`${JSON.stringify(verdict)}\n`);
  } else if (verdict.ok) {
    ctx.io.stdout.write(
      `audit chain intact: ${plural(verdict.count)}\n` +
        (verdict.count === 0 ? "" : `head: ${verdict.head.seq}:${verdict.head.hash}\n` + "  (keep this head elsewhere and pass it as --anchor later: without it, records removed from the end go unnoticed)\n"),
    );
  } else {
    ctx.io.stdout.write(`audit chain broken${where}: ${verdict.message}\n`);
  }
  if (!verdict.ok) ctx.setExit(ExitCode.pipelineFailed);
}

async function verifyCommand(ctx: CommandContext, opts: VerifyOptions): Promise<void> {
  const anchor = opts.anchor === undefined ? undefined : parseAnchor(opts.anchor);
  if (anchor === null) {
    usageProblem(ctx, `--anchor ${JSON.stringify(opts.anchor)}: expected <seq>:<64 hex digits>, as printed by \`pitstop audit verify\``);
    return;
  }
  const anchors = anchor === undefined ? [] : [anchor];
  if (opts.file !== undefined) {
    const file = opts.file;
    const parsed = readExport(ctx, file);
    if (!parsed) return;
    const verdict = verifyChain(parsed.records, { anchors });
    const line = !verdict.ok && verdict.index < parsed.lines.length ? ` at ${file}:${parsed.lines[verdict.index]}` : "";
    report(ctx, verdict, line, opts.json === true);
    return;
  }
  await withStore(ctx, async (store) => {
    // The head row first: records appended meanwhile come after it and are checked as well.
    const head = await store.audit.head();
    const records: StoredAuditRecord[] = [];
    for await (const r of readAuditRecords(store.audit)) records.push(r);
    report(ctx, verifyChain(records, { anchors: [head, ...anchors] }), "", opts.json === true);
  });
}

/** Writes JSONL a thousand lines at a time; returns how many records were written. */
async function writeRecords(store: AuditStore, untilSeq: number, write: (text: string) => void): Promise<number> {
  let count = 0;
  let chunk = "";
  for await (const r of readAuditRecords(store, untilSeq)) {
    chunk += `${toAuditJsonLine(r)}\n`;
    if (++count % 1000 === 0) {
      write(chunk);
      chunk = "";
    }
  }
  write(chunk);
  return count;
}

async function exportCommand(ctx: CommandContext, out: string | undefined): Promise<void> {
  await withStore(ctx, async (store) => {
    // Up to the head read now: a consistent snapshot while other processes keep appending.
    const head = await store.audit.head();
    if (out === undefined) {
      await writeRecords(store.audit, head.seq, (text) => ctx.io.stdout.write(text));
      return;
    }
    // Into a temporary file renamed at the end, so a failed export never leaves half a chain
    // under the name (it would verify, minus its tail).
    const target = path.resolve(ctx.io.cwd, out);
    const partial = `${target}.partial-${process.pid}`;
    let fd: number;
    try {
      fd = fs.openSync(partial, "w");
    } catch (e) {
      usageProblem(ctx, `cannot write ${out}: ${coerceError(e).message}; choose another --out path`);
      return;
    }
    let count: number;
    try {
      count = await writeRecords(store.audit, head.seq, (text) => fs.writeSync(fd, text));
    } catch (e) {
      fs.closeSync(fd);
      fs.rmSync(partial, { force: true });
      throw e;
    }
    fs.closeSync(fd);
    fs.renameSync(partial, target);
    ctx.io.stdout.write(`wrote ${plural(count)} to ${out}; head: ${head.seq}:${head.hash}\n`);
  });
}

/** `pitstop audit export|verify`: the tamper-evident audit log (docs/audit.md). */
export function registerAuditCommand(program: Command, ctx: CommandContext): void {
  const audit = program.command("audit").description("export or verify the tamper-evident audit log of healing decisions");
  audit
    .command("export")
    .description("write the audit log as JSON Lines, one record per line (stdout by default)")
    .option("-o, --out <file>", "write to this file instead of stdout")
    .action(async (opts: { out?: string }) => exportCommand(ctx, opts.out));
  audit
    .command("verify")
    .description("check the hash chain of the store's audit log, or of an export: exit 0 intact, 1 broken, 2 unreadable")
    .option("-f, --file <file>", "verify this JSONL export instead of the store")
    .option("--anchor <seq:hash>", "a head recorded earlier: also detects records removed from the end")
    .option("--json", "print the verdict as JSON")
    .action(async (opts: VerifyOptions) => verifyCommand(ctx, opts));
}
