import { coerceError } from "../errors.js";
import type { Condition, Operand } from "./plan.js";

/**
 * `if:` expressions: a small GitHub-Actions-like language, parsed once when the pipeline is loaded
 * and evaluated by the scheduler when the job becomes ready.
 *
 *   expr    := and ( "||" and )*
 *   and     := unary ( "&&" unary )*
 *   unary   := "!" unary | primary
 *   primary := "(" expr ")" | fn "(" ")" | operand ( ("==" | "!=") operand )?
 *   fn      := success | failure | always | cancelled
 *   operand := env.NAME | branch | 'text' | "text" | number | true | false | null
 *
 * The whole expression may be wrapped in `${{ }}`.
 */

export interface ConditionContext {
  /** How the job's needs ended: all succeeded (or none), any failed, or the run is cancelled. */
  needs: "success" | "failure" | "cancelled";
  env: Record<string, string>;
  branch: string | null;
}

export type ConditionParseResult =
  | { ok: true; condition: Condition }
  /** `offset` is the 0-based position of the problem inside the text given to parseCondition. */
  | { ok: false; message: string; offset: number };

const FUNCTIONS = ["success", "failure", "always", "cancelled"] as const;
type FunctionName = (typeof FUNCTIONS)[number];

type TokenKind = "(" | ")" | "!" | "&&" | "||" | "==" | "!=" | "string" | "number" | "ident" | "end";
interface Token {
  kind: TokenKind;
  text: string;
  offset: number;
}

class ConditionSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

function tokenize(src: string, base: number): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i] ?? "";
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === "&&" || two === "||" || two === "==" || two === "!=") {
      tokens.push({ kind: two, text: two, offset: base + i });
      i += 2;
    } else if (ch === "(" || ch === ")" || ch === "!") {
      tokens.push({ kind: ch, text: ch, offset: base + i });
      i++;
    } else if (ch === "'" || ch === '"') {
      i = readString(src, i, base, tokens);
    } else {
      const m = /^(?:-?\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_.-]*)/.exec(src.slice(i));
      if (m === null) throw new ConditionSyntaxError(`unexpected character \`${ch}\``, base + i);
      tokens.push({ kind: /^[-\d]/.test(m[0]) ? "number" : "ident", text: m[0], offset: base + i });
      i += m[0].length;
    }
  }
  tokens.push({ kind: "end", text: "", offset: base + src.length });
  return tokens;
}

/** Reads a quoted string; a doubled quote inside is a literal quote (as in GitHub Actions). */
function readString(src: string, start: number, base: number, tokens: Token[]): number {
  const quote = src[start];
  let value = "";
  let i = start + 1;
  for (;;) {
    if (i >= src.length) throw new ConditionSyntaxError("unterminated string", base + start);
    if (src[i] === quote) {
      if (src[i + 1] === quote) {
        value += quote;
        i += 2;
        continue;
      }
      break;
    }
    value += src[i];
    i++;
  }
  tokens.push({ kind: "string", text: value, offset: base + start });
  return i + 1;
}

function describe(t: Token): string {
  if (t.kind === "end") return "end of expression";
  if (t.kind === "string") return `'${t.text}'`;
  return `\`${t.text}\``;
}

/** Recursive descent over the grammar above; one method per rule. */
class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): Condition {
    const cond = this.or();
    const rest = this.peek();
    if (rest.kind !== "end") throw new ConditionSyntaxError(`unexpected ${describe(rest)}: expected \`&&\`, \`||\` or end of expression`, rest.offset);
    return cond;
  }

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.pos + ahead, this.tokens.length - 1)] as Token;
  }
  private next(): Token {
    const t = this.peek();
    if (this.pos < this.tokens.length - 1) this.pos++;
    return t;
  }
  private expect(kind: TokenKind, what: string): Token {
    const t = this.peek();
    if (t.kind !== kind) throw new ConditionSyntaxError(`expected ${what}, found ${describe(t)}`, t.offset);
    return this.next();
  }

  private or(): Condition {
    let left = this.and();
    while (this.peek().kind === "||") {
      this.next();
      left = { kind: "or", left, right: this.and() };
    }
    return left;
  }
  private and(): Condition {
    let left = this.unary();
    while (this.peek().kind === "&&") {
      this.next();
      left = { kind: "and", left, right: this.unary() };
    }
    return left;
  }
  private unary(): Condition {
    if (this.peek().kind !== "!") return this.primary();
    this.next();
    return { kind: "not", expr: this.unary() };
  }
  private primary(): Condition {
    const t = this.peek();
    if (t.kind === "(") {
      this.next();
      const inner = this.or();
      this.expect(")", "`)`");
      return inner;
    }
    if (t.kind === "ident" && this.peek(1).kind === "(") return this.call();
    const left = this.operand();
    const op = this.peek();
    if (op.kind !== "==" && op.kind !== "!=") return { kind: "truthy", operand: left };
    this.next();
    return { kind: "compare", op: op.kind, left, right: this.operand() };
  }
  private call(): Condition {
    const name = this.next();
    if (!(FUNCTIONS as readonly string[]).includes(name.text)) {
      throw new ConditionSyntaxError(`unknown function \`${name.text}()\`: use success(), failure(), always() or cancelled()`, name.offset);
    }
    this.next();
    this.expect(")", `\`)\` (${name.text}() takes no arguments)`);
    return { kind: "call", fn: name.text as FunctionName };
  }
  private operand(): Operand {
    const t = this.next();
    if (t.kind === "string") return { kind: "literal", value: t.text };
    if (t.kind === "number") return { kind: "literal", value: Number(t.text) };
    if (t.kind !== "ident") throw new ConditionSyntaxError(`expected a value, found ${describe(t)}`, t.offset);
    if (t.text === "true" || t.text === "false") return { kind: "literal", value: t.text === "true" };
    if (t.text === "null") return { kind: "literal", value: null };
    if (t.text === "branch") return { kind: "branch" };
    const env = /^env\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(t.text);
    if (env?.[1] !== undefined) return { kind: "env", name: env[1] };
    throw new ConditionSyntaxError(
      `unknown name \`${t.text}\`: use env.NAME, branch, a quoted string, a number, true, false, null or success()/failure()/always()/cancelled()`,
      t.offset,
    );
  }
}

/** Parses an `if:` expression. Never throws: a syntax error comes back with its offset in `text`. */
export function parseCondition(text: string): ConditionParseResult {
  let body = text;
  let base = 0;
  const wrapped = /^(\s*\$\{\{)([\s\S]*)\}\}\s*$/.exec(text);
  if (wrapped) {
    base = wrapped[1]?.length ?? 0;
    body = wrapped[2] ?? "";
  }
  if (body.trim() === "") return { ok: false, message: "empty `if:` expression", offset: base };
  try {
    return { ok: true, condition: new Parser(tokenize(body, base)).parse() };
  } catch (e) {
    if (e instanceof ConditionSyntaxError) return { ok: false, message: e.message, offset: e.offset };
    throw coerceError(e);
  }
}

type Value = string | number | boolean | null;

function operandValue(o: Operand, ctx: ConditionContext): Value {
  switch (o.kind) {
    case "env":
      return ctx.env[o.name] ?? null;
    case "branch":
      return ctx.branch;
    case "literal":
      return o.value;
  }
}

/** Loose equality: env values are strings, so `env.LEVEL == 1` and `env.FLAG == true` should hold. */
function looselyEqual(a: Value, b: Value): boolean {
  const x = a ?? "";
  const y = b ?? "";
  if (typeof x === typeof y) return x === y;
  if (typeof x === "string" || typeof y === "string") {
    const [s, other] = typeof x === "string" ? [x, y] : [y as string, x];
    if (typeof other === "boolean") return s === String(other);
    return s.trim() !== "" && Number(s) === other;
  }
  return Number(x) === Number(y);
}

function isTruthy(v: Value): boolean {
  return v !== null && v !== "" && v !== 0 && v !== false;
}

function hasStatusCall(c: Condition): boolean {
  switch (c.kind) {
    case "call":
      return true;
    case "not":
      return hasStatusCall(c.expr);
    case "and":
    case "or":
      return hasStatusCall(c.left) || hasStatusCall(c.right);
    default:
      return false;
  }
}

function evaluate(c: Condition, ctx: ConditionContext): boolean {
  switch (c.kind) {
    case "call":
      if (c.fn === "always") return true;
      return ctx.needs === c.fn;
    case "not":
      return !evaluate(c.expr, ctx);
    case "and":
      return evaluate(c.left, ctx) && evaluate(c.right, ctx);
    case "or":
      return evaluate(c.left, ctx) || evaluate(c.right, ctx);
    case "compare": {
      const eq = looselyEqual(operandValue(c.left, ctx), operandValue(c.right, ctx));
      return c.op === "==" ? eq : !eq;
    }
    case "truthy":
      return isTruthy(operandValue(c.operand, ctx));
  }
}

/**
 * Whether a job runs. No condition means `success()`. As in GitHub Actions, an expression that
 * calls none of the status functions is read as `success() && (expr)`, so `branch == 'main'`
 * does not run after a failed need.
 */
export function evaluateCondition(cond: Condition | null, ctx: ConditionContext): boolean {
  if (cond === null) return ctx.needs === "success";
  if (!hasStatusCall(cond)) return ctx.needs === "success" && evaluate(cond, ctx);
  return evaluate(cond, ctx);
}
