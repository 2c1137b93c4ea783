/** A path into the YAML document: map keys and list indexes. */
export type PathSegment = string | number;

/**
 * A problem found before it has a position: the validators speak in document paths, and the
 * loader turns paths into file:line:column once, against the parsed YAML.
 */
export interface IssueDraft {
  path: PathSegment[];
  message: string;
  hint?: string;
  /** Point at the key of the last path segment (unknown key, duplicate name) rather than its value. */
  target?: "key" | "value";
  /** 0-based offset inside a scalar value (an `if:` expression), for a column inside the string. */
  offset?: number;
}

/** Dotted path for messages: `jobs.test.steps[0].run`; keys that are not plain names are quoted. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}
