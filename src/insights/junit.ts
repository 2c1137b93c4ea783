import { XMLParser, XMLValidator } from "fast-xml-parser";
import { coerceError } from "../core/errors.js";
import { TestCaseStatus } from "../core/run/test-case.js";
import type { TestCase } from "../core/run/test-case.js";

/**
 * Reads JUnit XML reports as written by node --test (junit reporter), jest-junit, pytest
 * --junitxml, vitest and mocha-junit-reporter: a `<testsuites>` or `<testsuite>` root, suites
 * nested to any depth, test cases directly under `<testsuites>` (node does that for top-level
 * tests). A bad report is the user's problem to fix, not a crash: every problem comes back as a
 * `file: what is wrong` string and the function never throws.
 */

export interface JUnitParseResult {
  cases: TestCase[];
  problems: string[];
}

export interface ParseJUnitOptions {
  /** Applied to names and messages before they are returned (a secrets masker). */
  mask?: (text: string) => string;
}

/** Messages are shown in lists and stored per case: the first ~2000 characters say what failed. */
export const MAX_MESSAGE_CHARS = 2000;

type XmlNode = Record<string, unknown>;

const ARRAY_TAGS = new Set(["testsuite", "testcase", "failure", "error", "skipped", "#cdata"]);

// Entities are NOT expanded by the parser (processEntities: false): a DOCTYPE can then neither
// blow up memory (billion laughs) nor pull in files (XXE). The five predefined entities and
// character references, all a report writer needs, are decoded below in a single pass.
function createParser(): XMLParser {
  return new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "@_",
    textNodeName: "#text",
    cdataPropName: "#cdata",
    processEntities: false,
    htmlEntities: false,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    ignoreDeclaration: true,
    ignorePiTags: true,
    isArray: (name) => ARRAY_TAGS.has(name),
  });
}

const PREDEFINED: Readonly<Record<string, string>> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function fromCodePoint(cp: number, original: string): string {
  const valid = cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
  return valid ? String.fromCodePoint(cp) : original;
}

function decodeXmlEntities(s: string): string {
  if (!s.includes("&")) return s;
  return s.replace(/&(?:#(\d{1,7})|#x([0-9a-fA-F]{1,6})|(lt|gt|amp|quot|apos));/g, (m, dec?: string, hex?: string, name?: string) => {
    if (dec !== undefined) return fromCodePoint(Number.parseInt(dec, 10), m);
    if (hex !== undefined) return fromCodePoint(Number.parseInt(hex, 16), m);
    return PREDEFINED[name ?? ""] ?? m;
  });
}

function isNode(v: unknown): v is XmlNode {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function children(node: XmlNode, tag: string): unknown[] {
  const v = node[tag];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function attr(node: unknown, name: string): string | undefined {
  if (!isNode(node)) return undefined;
  const v = node[`@_${name}`];
  return typeof v === "string" ? decodeXmlEntities(v) : undefined;
}

/** Text of an element: entity-decoded text plus CDATA sections taken verbatim. */
function textOf(el: unknown): string {
  if (typeof el === "string") return decodeXmlEntities(el);
  if (!isNode(el)) return "";
  const text = typeof el["#text"] === "string" ? decodeXmlEntities(el["#text"]) : "";
  const cdata = children(el, "#cdata").filter((c): c is string => typeof c === "string");
  return [text, ...cdata].filter((s) => s !== "").join("\n").trim();
}

function secondsToMs(raw: string | undefined): number {
  // Some writers put thousands separators in (Surefire: "1,234.5"); "NaN" and garbage count as 0.
  const s = Number.parseFloat((raw ?? "").replace(/,/g, ""));
  return Number.isFinite(s) && s > 0 ? Math.round(s * 1000) : 0;
}

function truncate(s: string): string {
  return s.length <= MAX_MESSAGE_CHARS ? s : `${s.slice(0, MAX_MESSAGE_CHARS)}… (truncated)`;
}

/** Message attribute and body of each outcome element; the body alone when it repeats the message. */
function messageOf(elements: readonly unknown[]): string | null {
  const parts = elements.map((el) => {
    const message = (attr(el, "message") ?? "").trim();
    const body = textOf(el);
    return body.includes(message) ? body : [message, body].filter((p) => p !== "").join("\n");
  });
  const joined = parts.filter((p) => p !== "").join("\n\n");
  return joined === "" ? null : joined;
}

interface Walk {
  file: string;
  mask: (text: string) => string;
  cases: TestCase[];
  unnamed: number;
}

function addCase(el: unknown, suite: string, w: Walk): void {
  const node = isNode(el) ? el : {};
  const failures = children(node, "failure");
  const errors = children(node, "error");
  const skipped = children(node, "skipped");
  // A failed assertion outranks an error in teardown (pytest reports both on one case).
  const [status, outcome] =
    failures.length > 0
      ? [TestCaseStatus.failed, failures]
      : errors.length > 0
        ? [TestCaseStatus.errored, errors]
        : skipped.length > 0
          ? [TestCaseStatus.skipped, skipped]
          : [TestCaseStatus.passed, []];
  const name = attr(node, "name");
  if (name === undefined || name === "") w.unnamed++;
  const message = messageOf(outcome);
  w.cases.push({
    suite: w.mask(suite),
    classname: w.mask(attr(node, "classname") ?? ""),
    name: w.mask(name || "(unnamed)"),
    status,
    durationMs: secondsToMs(attr(node, "time")),
    message: message === null ? null : truncate(w.mask(message)),
    file: w.file,
  });
}

function walkSuite(node: XmlNode, path: readonly string[], w: Walk): void {
  const name = attr(node, "name") ?? "";
  const here = name === "" ? path : [...path, name];
  const suite = here.join(" > ");
  for (const tc of children(node, "testcase")) addCase(tc, suite, w);
  for (const child of children(node, "testsuite")) if (isNode(child)) walkSuite(child, here, w);
}

function rootElement(doc: XmlNode): string | undefined {
  return Object.keys(doc).find((k) => !k.startsWith("?") && !k.startsWith("#") && !k.startsWith("!"));
}

function syntaxProblem(xml: string, file: string): string | null {
  if (xml.trim() === "") return `${file}: empty file, expected a JUnit XML report`;
  const result = XMLValidator.validate(xml);
  if (result === true) return null;
  const { msg, line, col } = result.err;
  const where = col === undefined ? `${file}:${line}` : `${file}:${line}:${col}`;
  return `${where}: malformed XML: ${msg}`;
}

export function parseJUnit(xml: string, file: string, options: ParseJUnitOptions = {}): JUnitParseResult {
  const syntax = syntaxProblem(xml, file);
  if (syntax !== null) return { cases: [], problems: [syntax] };
  let doc: XmlNode;
  try {
    doc = createParser().parse(xml) as XmlNode;
  } catch (e) {
    return { cases: [], problems: [`${file}: could not read the report: ${coerceError(e).message}`] };
  }
  const root = rootElement(doc);
  if (root !== "testsuites" && root !== "testsuite") {
    const found = root === undefined ? "no root element" : `root element <${root}>`;
    return { cases: [], problems: [`${file}: not a JUnit report: ${found}, expected <testsuites> or <testsuite>`] };
  }
  const w: Walk = { file, mask: options.mask ?? ((t) => t), cases: [], unnamed: 0 };
  const rootNode = children(doc, root).find(isNode) ?? {};
  if (root === "testsuite") walkSuite(rootNode, [], w);
  else {
    for (const tc of children(rootNode, "testcase")) addCase(tc, "", w);
    for (const s of children(rootNode, "testsuite")) if (isNode(s)) walkSuite(s, [], w);
  }
  const problems = w.unnamed === 0 ? [] : [`${file}: ${w.unnamed} <testcase> element(s) without a name attribute, shown as "(unnamed)"`];
  return { cases: w.cases, problems };
}
