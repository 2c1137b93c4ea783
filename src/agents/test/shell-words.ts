/**
 * Just enough POSIX shell to tell a plain command (`vitest run --project unit`) from a script
 * (`tsc && node --test dist/`), and to add arguments to the plain one. Words keep their quotes,
 * so joining them again gives back what the user wrote.
 */

export interface ShellWords {
  /** Words as written (quotes kept). */
  raw: string[];
  /** The same words with quotes and backslashes removed, for recognising them. */
  plain: string[];
}

const OPERATOR_CHARS = new Set([";", "&", "|", "<", ">", "`", "\n", "(", ")"]);

/**
 * Splits a command into words; null when it is more than one simple command (operators,
 * redirections, subshells, command substitution) or has an unterminated quote.
 */
export function splitSimpleCommand(command: string): ShellWords | null {
  const raw: string[] = [];
  const plain: string[] = [];
  let word = "";
  let value = "";
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < command.length; i++) {
    const c = command[i] as string;
    if (quote !== null) {
      word += c;
      if (c === quote) quote = null;
      else if (quote === '"' && c === "\\" && i + 1 < command.length) {
        word += command[++i];
        value += command[i];
      } else if (quote === '"' && c === "$" && command[i + 1] === "(") return null;
      else value += c;
      continue;
    }
    if (c === " " || c === "\t") {
      if (inWord) {
        raw.push(word);
        plain.push(value);
      }
      word = "";
      value = "";
      inWord = false;
      continue;
    }
    if (OPERATOR_CHARS.has(c) || (c === "$" && command[i + 1] === "(")) return null;
    inWord = true;
    word += c;
    if (c === "'" || c === '"') quote = c;
    else if (c === "\\" && i + 1 < command.length) {
      word += command[++i];
      value += command[i];
    } else value += c;
  }
  if (quote !== null) return null;
  if (inWord) {
    raw.push(word);
    plain.push(value);
  }
  return { raw, plain };
}

/** Quotes one argument for /bin/sh (single quotes; an embedded `'` becomes `'\''`). */
export function quoteArg(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A `NAME=value` word in front of a command. */
export function isAssignment(word: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*=/.test(word);
}
