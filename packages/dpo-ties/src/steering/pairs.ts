/**
 * Pairs from scored samples, as Chen et al. (arXiv 2409.17431) built them for translation: among the
 * samples of one prompt, the highest- against the lowest-scoring sample is the clear pair, and the two
 * distinct samples with the closest scores are the tied pair (the higher-scoring one listed first).
 * No score threshold is involved.
 */

export interface PromptPairs {
  /** [best, worst] sample indices; null when every score is equal, so nothing is preferred. */
  clear: [number, number] | null;
  /** The closest-scoring pair of distinct samples, higher score first; null when no two samples differ. */
  tie: [number, number] | null;
}

/**
 * Picks the clear and the tied pair of one prompt's samples. `same(i, j)` returns true when two samples
 * are identical (the same tokens), and such a pair never becomes the tie because it teaches nothing. Equal
 * scores resolve to the lower index, so the choice is deterministic.
 */
export function promptPairs(
  scores: readonly number[],
  same: (i: number, j: number) => boolean = () => false,
): PromptPairs {
  if (scores.length < 2) return { clear: null, tie: null };
  let best = 0;
  let worst = 0;
  for (let i = 1; i < scores.length; i++) {
    if (scores[i] > scores[best]) best = i;
    if (scores[i] < scores[worst]) worst = i;
  }
  const clear: [number, number] | null = scores[best] > scores[worst] ? [best, worst] : null;
  let tie: [number, number] | null = null;
  let gap = Number.POSITIVE_INFINITY;
  for (let i = 0; i < scores.length; i++) {
    for (let j = i + 1; j < scores.length; j++) {
      const d = Math.abs(scores[i] - scores[j]);
      if (d < gap && !same(i, j)) {
        gap = d;
        tie = scores[j] > scores[i] ? [j, i] : [i, j];
      }
    }
  }
  return { clear, tie };
}

/** Share of distinct tokens among a sequence's tokens (1 = no token repeats); 0 for no tokens. */
export function distinctRatio(tokens: readonly number[]): number {
  return tokens.length === 0 ? 0 : new Set(tokens).size / tokens.length;
}

export function sameTokens(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}
