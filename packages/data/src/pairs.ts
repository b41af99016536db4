/**
 * Preference pairs from rated comparisons. Scores are "higher is better"; two candidates whose
 * scores differ by at most `tieThreshold` form a tie.
 */
import { CollateError } from './errors.js';
import type { Candidate, PreferencePair, RatedComparison } from './schema.js';

export interface PairOptions {
  /** Largest score gap still counted as a tie (default 0: only equal scores tie). */
  tieThreshold?: number;
  /**
   * 'all': every pair of candidates of a prompt. 'extremes': per prompt, the best against the worst
   * candidate as a preference (when their gap exceeds the threshold) and the closest pair as the tie.
   */
  strategy?: 'all' | 'extremes';
}

// Scores are sums of decimal weights; a gap this small is rounding noise, not a preference.
const EPSILON = 1e-9;

export function derivePairs(
  comparisons: readonly RatedComparison[],
  options: PairOptions = {},
): PreferencePair[] {
  const threshold = options.tieThreshold ?? 0;
  if (!(threshold >= 0)) throw new CollateError(-1, `tieThreshold must be a number >= 0, got ${threshold}`);
  const pairs: PreferencePair[] = [];
  for (const comparison of comparisons) {
    if ((options.strategy ?? 'all') === 'all') allPairs(comparison, threshold, pairs);
    else extremePairs(comparison, threshold, pairs);
  }
  return pairs;
}

function isTie(a: Candidate, b: Candidate, threshold: number): boolean {
  return Math.abs(a.score - b.score) <= threshold + EPSILON;
}

function makePair(comparison: RatedComparison, a: Candidate, b: Candidate, tie: boolean): PreferencePair {
  // On a tie the earlier candidate is listed as chosen; the order carries no preference.
  const [chosen, rejected] = !tie && b.score > a.score ? [b, a] : [a, b];
  const id =
    comparison.id !== undefined ? `${comparison.id}:${chosen.id ?? ''}/${rejected.id ?? ''}` : undefined;
  return {
    prompt: comparison.prompt,
    chosen: chosen.text,
    rejected: rejected.text,
    tie,
    ...(id !== undefined ? { id } : {}),
  };
}

function allPairs(comparison: RatedComparison, threshold: number, out: PreferencePair[]): void {
  const c = comparison.candidates;
  for (let i = 0; i < c.length; i++) {
    for (let j = i + 1; j < c.length; j++)
      out.push(makePair(comparison, c[i], c[j], isTie(c[i], c[j], threshold)));
  }
}

function extremePairs(comparison: RatedComparison, threshold: number, out: PreferencePair[]): void {
  const c = comparison.candidates;
  let best = 0;
  let worst = 0;
  for (let i = 1; i < c.length; i++) {
    if (c[i].score > c[best].score) best = i;
    if (c[i].score < c[worst].score) worst = i;
  }
  let closest: [number, number] = [0, 1];
  for (let i = 0; i < c.length; i++) {
    for (let j = i + 1; j < c.length; j++) {
      if (Math.abs(c[i].score - c[j].score) < Math.abs(c[closest[0]].score - c[closest[1]].score))
        closest = [i, j];
    }
  }
  const clear = !isTie(c[best], c[worst], threshold);
  if (clear) out.push(makePair(comparison, c[best], c[worst], false));
  const same = (closest[0] === best && closest[1] === worst) || (closest[0] === worst && closest[1] === best);
  if (!(clear && same)) out.push(makePair(comparison, c[closest[0]], c[closest[1]], true));
}
