/**
 * The job graph: `needsOf(x)` lists what x waits for. Nodes are given in declaration order, which
 * breaks ties so that the same file always gives the same plan. Self-edges and edges to unknown
 * nodes are ignored here (the loader reports them separately).
 */

export type NeedsOf = (node: string) => readonly string[];

function edges(nodes: readonly string[], needsOf: NeedsOf): Map<string, string[]> {
  const known = new Set(nodes);
  return new Map(nodes.map((n) => [n, [...new Set(needsOf(n))].filter((d) => d !== n && known.has(d))]));
}

/** Strongly connected components (Tarjan), iteratively so deep chains cannot overflow the stack. */
function components(nodes: readonly string[], graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const result: string[][] = [];
  let counter = 0;
  for (const root of nodes) {
    if (index.has(root)) continue;
    const work: { node: string; next: number }[] = [{ node: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1] as { node: string; next: number };
      const deps = graph.get(frame.node) ?? [];
      if (frame.next < deps.length) {
        const d = deps[frame.next++] as string;
        if (!index.has(d)) {
          index.set(d, counter);
          low.set(d, counter++);
          stack.push(d);
          onStack.add(d);
          work.push({ node: d, next: 0 });
        } else if (onStack.has(d)) {
          low.set(frame.node, Math.min(low.get(frame.node) ?? 0, index.get(d) ?? 0));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node) ?? 0, low.get(frame.node) ?? 0));
      if (low.get(frame.node) === index.get(frame.node)) {
        const comp: string[] = [];
        let x: string | undefined;
        do {
          x = stack.pop();
          if (x === undefined) break;
          onStack.delete(x);
          comp.push(x);
        } while (x !== frame.node);
        result.push(comp);
      }
    }
  }
  return result;
}

/** Shortest path start → … → start inside one component (breadth-first over declared needs order). */
function cycleThrough(start: string, members: Set<string>, graph: Map<string, string[]>): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const cur = queue[i] as string;
    for (const d of graph.get(cur) ?? []) {
      if (!members.has(d)) continue;
      if (d === start) {
        const path = [start];
        for (let x: string | undefined = cur; x !== undefined && x !== start; x = previous.get(x)) path.splice(1, 0, x);
        return [...path, start];
      }
      if (!previous.has(d)) {
        previous.set(d, cur);
        queue.push(d);
      }
    }
  }
  return [start, start];
}

/**
 * One cycle per group of jobs that wait on each other, each as `[a, b, …, a]` starting at the
 * earliest-declared member; groups in declaration order.
 */
export function findCycles(nodes: readonly string[], needsOf: NeedsOf): string[][] {
  const graph = edges(nodes, needsOf);
  const order = new Map(nodes.map((n, i) => [n, i]));
  const byOrder = (a: string, b: string) => (order.get(a) ?? 0) - (order.get(b) ?? 0);
  return components(nodes, graph)
    .filter((c) => c.length > 1)
    .map((c) => c.sort(byOrder))
    .sort((a, b) => byOrder(a[0] as string, b[0] as string))
    .map((c) => cycleThrough(c[0] as string, new Set(c), graph));
}

/**
 * Dependencies first; among jobs that are ready at the same time, declaration order. Nodes caught
 * in a cycle are appended in declaration order (callers report the cycle and build no plan).
 */
export function topoSort(nodes: readonly string[], needsOf: NeedsOf): string[] {
  const graph = edges(nodes, needsOf);
  const remaining = new Map(nodes.map((n) => [n, graph.get(n)?.length ?? 0]));
  const dependents = new Map<string, string[]>(nodes.map((n) => [n, []]));
  for (const n of nodes) for (const d of graph.get(n) ?? []) dependents.get(d)?.push(n);
  const done = new Set<string>();
  const out: string[] = [];
  // Quadratic in the number of jobs, which stays in the tens: clarity over a heap.
  for (;;) {
    const next = nodes.find((n) => !done.has(n) && remaining.get(n) === 0);
    if (next === undefined) break;
    done.add(next);
    out.push(next);
    for (const dep of dependents.get(next) ?? []) remaining.set(dep, (remaining.get(dep) ?? 0) - 1);
  }
  return [...out, ...nodes.filter((n) => !done.has(n))];
}
