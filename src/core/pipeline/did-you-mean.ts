/**
 * Edit distance where a swap of two neighbouring letters counts as one edit (optimal string
 * alignment), because `lnit` for `lint` is one typo, not two.
 */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => rows[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, at(i - 2, j - 2) + 1);
      row[j] = d;
    }
  }
  return at(a.length, b.length);
}

/**
 * The closest candidate within two edits (or a prefix either way), or null. Words of three
 * letters or fewer get one edit, so `bb` does not suggest `c`. Case is ignored; ties go to the
 * earlier candidate.
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | null {
  const lower = word.toLowerCase();
  const maxDistance = lower.length <= 3 ? 1 : 2;
  let best: string | null = null;
  let bestDistance = maxDistance + 1;
  for (const c of candidates) {
    if (c === word) continue;
    const cl = c.toLowerCase();
    // A cut-off or run-on word (`test_fail` for `test_failure`, `environment` for `env`) is close
    // too, however many letters differ; it ranks after real one-letter typos.
    const prefix = (lower.length >= 4 && cl.startsWith(lower)) || (cl.length >= 3 && lower.startsWith(cl));
    const d = Math.min(editDistance(lower, cl), prefix ? 2 : Infinity);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** A hint for an issue: "did you mean `x`?" or, failing that, the valid choices when there are few. */
export function suggestionHint(word: string, candidates: readonly string[], listLimit = 12): string | undefined {
  const close = didYouMean(word, candidates);
  if (close !== null) return `did you mean \`${close}\`?`;
  if (candidates.length === 0 || candidates.length > listLimit) return undefined;
  return `valid: ${candidates.map((c) => `\`${c}\``).join(", ")}`;
}
