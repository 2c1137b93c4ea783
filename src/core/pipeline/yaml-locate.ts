import { isAlias, isMap, isScalar, isSeq, Scalar } from "yaml";
import type { Document, LineCounter, Node } from "yaml";
import type { PathSegment } from "./issue-draft.js";

export interface Position {
  line: number;
  column: number;
}

export interface Locator {
  /** Position of the value at `path` (or of its key), falling back to the nearest existing ancestor. */
  at(path: readonly PathSegment[], target?: "key" | "value", offset?: number): Position;
  /** Position of a character offset in the source. */
  atOffset(offset: number): Position;
  /** Document path of the innermost key or value covering `offset` (for YAML syntax errors). */
  pathAt(offset: number): PathSegment[];
}

function childOf(doc: Document, node: unknown, seg: PathSegment): { key: Node | null; value: Node | null } | null {
  const n = isAlias(node) ? node.resolve(doc) : node;
  if (isMap(n)) {
    // The last matching pair: duplicate keys are reported separately, and toJS keeps the last one.
    const pair = n.items.findLast((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(seg));
    return pair ? { key: (pair.key as Node | null) ?? null, value: (pair.value as Node | null) ?? null } : null;
  }
  if (isSeq(n) && typeof seg === "number") {
    const item = n.items[seg] as Node | undefined;
    return item === undefined ? null : { key: item, value: item };
  }
  return null;
}

function startOf(node: Node | null | undefined): number | null {
  return node?.range?.[0] ?? null;
}

/** Offset of character `offset` inside a single-line plain or quoted scalar, else the scalar's start. */
function offsetInside(node: Node, offset: number, text: string): number {
  const range = node.range;
  if (!range || !isScalar(node)) return startOf(node) ?? 0;
  const source = text.slice(range[0], range[1]);
  if (source.includes("\n")) return range[0];
  const quoted = node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE;
  if (!quoted && node.type !== Scalar.PLAIN) return range[0];
  return Math.min(range[0] + (quoted ? 1 : 0) + offset, range[1]);
}

export function createLocator(doc: Document, lineCounter: LineCounter, text: string): Locator {
  const atOffset = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const rootStart = startOf(doc.contents as Node | null) ?? 0;

  function at(path: readonly PathSegment[], target: "key" | "value" = "value", offset?: number): Position {
    let node: unknown = doc.contents;
    let best = rootStart;
    for (let i = 0; i < path.length; i++) {
      const child = childOf(doc, node, path[i] as PathSegment);
      if (child === null) return atOffset(best);
      const last = i === path.length - 1;
      const pick = last && target === "key" ? child.key : (child.value ?? child.key);
      if (last && target === "value" && offset !== undefined && pick) return atOffset(offsetInside(pick, offset, text));
      // A key with no value (`needs:`) has no range: point at the key.
      best = startOf(pick) ?? startOf(child.key) ?? best;
      node = child.value;
    }
    return atOffset(best);
  }

  function pathAt(offset: number): PathSegment[] {
    const path: PathSegment[] = [];
    let node: unknown = doc.contents;
    for (;;) {
      const n = isAlias(node) ? null : node;
      const covers = (x: unknown) => {
        const r = (x as Node | null)?.range;
        return !!r && offset >= r[0] && offset < r[2];
      };
      if (isMap(n)) {
        const pair = n.items.findLast((p) => covers(p.key) || covers(p.value));
        if (!pair) return path;
        path.push(String(isScalar(pair.key) ? pair.key.value : pair.key));
        if (covers(pair.key)) return path;
        node = pair.value;
      } else if (isSeq(n)) {
        const idx = n.items.findIndex((item) => covers(item));
        if (idx < 0) return path;
        path.push(idx);
        node = n.items[idx];
      } else {
        return path;
      }
    }
  }

  return { at, atOffset, pathAt };
}
