/**
 * ` (did you mean "x"?)` for an unknown key, naming the nearest known one; empty when none is
 * close. Close means at most two edits (insert, delete, substitute, or swap two neighbours),
 * ignoring case, and fewer edits than half the word: `provider` → `providers`, `tokne` → `token`.
 */
export function didYouMean(word: string, known: Iterable<string>): string {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.min(2, Math.floor((word.length - 1) / 2)) + 1;
  for (const k of new Set(known)) {
    const d = editDistance(w, k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best === undefined ? '' : ` (did you mean "${best}"?)`;
}

/** Optimal string alignment distance (Levenshtein with adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}
