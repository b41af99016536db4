// Exact ROC curve, AUC and TPR at a fixed FPR. Positives are the class that should score higher
// (members, in membership inference).
import { MetricInputError } from '../errors.js';
import { type Numbers, requireNonEmpty, requireNotNaN } from '../internal/validate.js';

/** One operating point: predict positive iff score >= threshold. */
export interface RocPoint {
  fpr: number;
  tpr: number;
  threshold: number;
}

export interface RocCurve {
  /**
   * Starts at (0, 0) with threshold +Infinity (nothing predicted positive), then one point per
   * distinct score in decreasing order, ending at (1, 1). No point is dropped, so collinear points
   * stay in.
   */
  points: RocPoint[];
  positives: number;
  negatives: number;
}

/**
 * Builds the exact ROC curve: sorts all scores and sweeps every distinct value as a threshold. Tied
 * scores move FPR and TPR together in one step (a diagonal segment), never one before the other.
 * Depends on the scores' order only, so any strictly increasing transform gives the same curve
 * (with transformed thresholds). +-Infinity scores are allowed; NaN is rejected.
 */
export function rocCurve(positives: Numbers, negatives: Numbers): RocCurve {
  checkScores('rocCurve', positives, negatives);
  const scored: { score: number; positive: boolean }[] = [];
  for (let i = 0; i < positives.length; i++) scored.push({ score: positives[i], positive: true });
  for (let i = 0; i < negatives.length; i++) scored.push({ score: negatives[i], positive: false });
  scored.sort((a, b) => compareScores(b.score, a.score)); // descending

  const points: RocPoint[] = [{ fpr: 0, tpr: 0, threshold: Number.POSITIVE_INFINITY }];
  let tp = 0;
  let fp = 0;
  let i = 0;
  while (i < scored.length) {
    const threshold = scored[i].score;
    // Take every example tied at this score before emitting the point.
    while (i < scored.length && scored[i].score === threshold) {
      if (scored[i].positive) tp++;
      else fp++;
      i++;
    }
    points.push({ fpr: fp / negatives.length, tpr: tp / positives.length, threshold });
  }
  return { points, positives: positives.length, negatives: negatives.length };
}

/**
 * Area under the ROC curve as the Mann-Whitney statistic: the probability that a random positive
 * scores higher than a random negative, ties counting one half.
 *
 *   AUC = (1 / (n_pos * n_neg)) * sum_{p, n} ( [s_p > s_n] + 0.5 * [s_p == s_n] )
 *
 * Computed from mid-ranks in O(n log n): AUC = (R_pos - n_pos (n_pos + 1) / 2) / (n_pos n_neg), with
 * R_pos the sum of the positives' ranks in ascending order, tied values sharing their mean rank.
 * All-tied scores give 0.5; perfectly separated ones give 1.
 */
export function auc(positives: Numbers, negatives: Numbers): number {
  checkScores('auc', positives, negatives);
  const nPos = positives.length;
  const all: { score: number; positive: boolean }[] = [];
  for (let i = 0; i < nPos; i++) all.push({ score: positives[i], positive: true });
  for (let i = 0; i < negatives.length; i++) all.push({ score: negatives[i], positive: false });
  all.sort((a, b) => compareScores(a.score, b.score));

  let positiveRankSum = 0;
  let i = 0;
  while (i < all.length) {
    let j = i;
    let tiedPositives = 0;
    while (j < all.length && all[j].score === all[i].score) {
      if (all[j].positive) tiedPositives++;
      j++;
    }
    // Ranks i+1 .. j (1-based) share their mean.
    const midRank = (i + 1 + j) / 2;
    positiveRankSum += tiedPositives * midRank;
    i = j;
  }
  return (positiveRankSum - (nPos * (nPos + 1)) / 2) / (nPos * negatives.length);
}

export interface TprAtFprResult {
  /** The highest TPR among operating points that satisfy the FPR condition. */
  tpr: number;
  /** The FPR of that operating point. */
  fpr: number;
  /** Its threshold (predict positive iff score >= threshold). */
  threshold: number;
  maxFpr: number;
  strict: boolean;
  /** The condition applied, in words, e.g. `"FPR < 0.001"` or `"FPR <= 0"`. */
  condition: string;
}

/**
 * TPR at a fixed false-positive rate, read off the exact ROC curve.
 *
 * `strict: true` keeps operating points with FPR < maxFpr, the rule of the LiRA reference code
 * (`tpr[where(fpr < eta)[-1]]`); `strict: false` keeps FPR <= maxFpr. They differ when an operating
 * point lands exactly on maxFpr, which is common with few negatives. There is no interpolation
 * between points. Strict mode needs maxFpr > 0 (no point has FPR < 0).
 */
export function tprAtFpr(curve: RocCurve, maxFpr: number, options: { strict: boolean }): TprAtFprResult {
  const { strict } = options;
  if (typeof strict !== 'boolean') {
    throw new MetricInputError(
      'tprAtFpr',
      'options.strict',
      strict,
      'say true (FPR < maxFpr) or false (FPR <= maxFpr)',
    );
  }
  const lowest = strict ? 0 : -1;
  if (!(maxFpr > lowest && maxFpr <= 1)) {
    throw new MetricInputError(
      'tprAtFpr',
      'maxFpr',
      maxFpr,
      strict
        ? 'with strict: true it must lie in (0, 1]; for FPR = 0 use strict: false'
        : 'it must lie in [0, 1]',
    );
  }
  let best: RocPoint | undefined;
  for (const point of curve.points) {
    const ok = strict ? point.fpr < maxFpr : point.fpr <= maxFpr;
    if (ok && (best === undefined || point.tpr > best.tpr)) best = point;
  }
  // The origin (FPR 0) always qualifies once maxFpr > 0 or the condition is non-strict.
  const chosen = best ?? curve.points[0];
  return {
    tpr: chosen.tpr,
    fpr: chosen.fpr,
    threshold: chosen.threshold,
    maxFpr,
    strict,
    condition: `FPR ${strict ? '<' : '<='} ${maxFpr}`,
  };
}

/** max over thresholds of 1 - (FPR + FNR) / 2 = (1 + TPR - FPR) / 2, as in the LiRA reference code. */
export function balancedAccuracy(curve: RocCurve): number {
  let best = 0;
  for (const p of curve.points) best = Math.max(best, (1 + p.tpr - p.fpr) / 2);
  return best;
}

/**
 * Splits scores by a label array (true or 1 = positive, false or 0 = negative) into the two lists
 * the ROC functions take.
 */
export function splitByLabel(
  scores: Numbers,
  labels: ArrayLike<boolean | number>,
): { positives: number[]; negatives: number[] } {
  if (scores.length !== labels.length) {
    throw new MetricInputError(
      'splitByLabel',
      'labels.length',
      labels.length,
      `it must equal scores.length = ${scores.length}`,
    );
  }
  const positives: number[] = [];
  const negatives: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    const label = labels[i];
    if (label === true || label === 1) positives.push(scores[i]);
    else if (label === false || label === 0) negatives.push(scores[i]);
    else throw new MetricInputError('splitByLabel', `labels[${i}]`, label, 'labels are true/false or 1/0');
  }
  return { positives, negatives };
}

// Ascending order that also places -Infinity and +Infinity (a - b is NaN for two equal infinities).
function compareScores(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}

function checkScores(metric: string, positives: Numbers, negatives: Numbers): void {
  requireNonEmpty(metric, 'positives', positives);
  requireNonEmpty(metric, 'negatives', negatives);
  requireNotNaN(metric, 'positives', positives);
  requireNotNaN(metric, 'negatives', negatives);
}
