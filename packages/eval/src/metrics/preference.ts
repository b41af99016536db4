// Preference metrics from implicit rewards: pairwise accuracy, margins, and three-way win/loss/tie
// classification.
import { MetricInputError } from '../errors.js';
import {
  mean,
  type Numbers,
  requireFinite,
  requireNonEmpty,
  requireSameLength,
  sampleStd,
} from '../internal/validate.js';

/**
 * Sequence log-probabilities (summed over completion tokens) of each pair's chosen and rejected
 * completion under the policy and the frozen reference. All four arrays have one entry per pair.
 */
export interface PreferenceLogProbs {
  policyChosen: Numbers;
  policyRejected: Numbers;
  referenceChosen: Numbers;
  referenceRejected: Numbers;
}

export interface ImplicitRewards {
  /** beta * (log pi(y_w|x) - log pi_ref(y_w|x)) per pair. */
  chosen: number[];
  /** beta * (log pi(y_l|x) - log pi_ref(y_l|x)) per pair. */
  rejected: number[];
  /** chosen - rejected per pair: the DPO margin d. */
  margins: number[];
}

/**
 * DPO implicit rewards r(x, y) = beta * (log pi(y|x) - log pi_ref(y|x)) and margins
 * d = r(x, y_w) - r(x, y_l).
 */
export function implicitRewards(logProbs: PreferenceLogProbs, beta: number): ImplicitRewards {
  const { policyChosen, policyRejected, referenceChosen, referenceRejected } = logProbs;
  requireNonEmpty('implicitRewards', 'policyChosen', policyChosen);
  for (const [name, values] of [
    ['policyRejected', policyRejected],
    ['referenceChosen', referenceChosen],
    ['referenceRejected', referenceRejected],
  ] as const) {
    requireSameLength('implicitRewards', ['policyChosen', policyChosen], [name, values]);
  }
  if (!(beta > 0) || !Number.isFinite(beta)) {
    throw new MetricInputError('implicitRewards', 'beta', beta, 'beta must be a finite number > 0');
  }
  const chosen: number[] = [];
  const rejected: number[] = [];
  const margins: number[] = [];
  for (let i = 0; i < policyChosen.length; i++) {
    const rw = beta * (policyChosen[i] - referenceChosen[i]);
    const rl = beta * (policyRejected[i] - referenceRejected[i]);
    chosen.push(rw);
    rejected.push(rl);
    margins.push(rw - rl);
  }
  return { chosen, rejected, margins };
}

/**
 * Preference accuracy: the fraction of pairs whose margin is strictly positive (the chosen
 * completion gets the higher implicit reward). A margin of exactly 0 counts as wrong, as in TRL's
 * `rewards/accuracies`.
 */
export function preferenceAccuracy(margins: Numbers): number {
  requireNonEmpty('preferenceAccuracy', 'margins', margins);
  requireFinite('preferenceAccuracy', 'margins', margins);
  let correct = 0;
  for (let i = 0; i < margins.length; i++) if (margins[i] > 0) correct++;
  return correct / margins.length;
}

export interface PreferenceMetrics {
  count: number;
  /** Fraction of pairs with margin > 0. */
  accuracy: number;
  marginMean: number;
  /** Sample standard deviation of the margins (n - 1 in the denominator). */
  marginStd: number;
  chosenRewardMean: number;
  rejectedRewardMean: number;
}

/** Accuracy and reward statistics of a set of preference pairs in one call. */
export function preferenceMetrics(logProbs: PreferenceLogProbs, beta: number): PreferenceMetrics {
  const rewards = implicitRewards(logProbs, beta);
  return {
    count: rewards.margins.length,
    accuracy: preferenceAccuracy(rewards.margins),
    marginMean: mean(rewards.margins),
    marginStd: sampleStd(rewards.margins),
    chosenRewardMean: mean(rewards.chosen),
    rejectedRewardMean: mean(rewards.rejected),
  };
}

/** The three classes of a pair (y1, y2): y1 preferred, y2 preferred, or a tie. */
export type PairLabel = 'win' | 'loss' | 'tie';

/**
 * Three-way decision from a margin d = r(y1) - r(y2) and a tie threshold t > 0:
 * tie when |d| < t (strict), win when d >= t, loss when d <= -t.
 * Argmax of the tie models' three probabilities gives t = ln(7/3) for Rao-Kupper at nu = 3 and
 * t = 2 ln 2 for Davidson at nu = 1.
 */
export function predictPairLabel(margin: number, tieThreshold: number): PairLabel {
  if (Math.abs(margin) < tieThreshold) return 'tie';
  return margin > 0 ? 'win' : 'loss';
}

export interface ThreeWayResult {
  /** Fraction of pairs whose predicted class equals the label (win, loss and tie distinct). */
  accuracy: number;
  /**
   * Clear-pair accuracy: among pairs labelled win or loss, the fraction predicted as either
   * (a clear preference, whichever direction). This is the "CP accuracy" of the ties literature.
   */
  clearAccuracy: number;
  /** Tie accuracy: among pairs labelled tie, the fraction predicted tie ("TP accuracy"). */
  tieAccuracy: number;
  /** confusion[label][predicted] counts. */
  confusion: Record<PairLabel, Record<PairLabel, number>>;
  count: number;
  tieThreshold: number;
}

/**
 * Classifies each pair from its margin with {@link predictPairLabel} and scores it against labels.
 * `clearAccuracy` or `tieAccuracy` is NaN when no pair has that kind of label.
 */
export function threeWayClassification(
  margins: Numbers,
  labels: readonly PairLabel[],
  options: { tieThreshold: number },
): ThreeWayResult {
  const { tieThreshold } = options;
  requireNonEmpty('threeWayClassification', 'margins', margins);
  requireSameLength('threeWayClassification', ['margins', margins], ['labels', labels]);
  requireFinite('threeWayClassification', 'margins', margins);
  if (!(tieThreshold > 0) || !Number.isFinite(tieThreshold)) {
    throw new MetricInputError(
      'threeWayClassification',
      'tieThreshold',
      tieThreshold,
      'it must be a finite number > 0 (pairs with |margin| < tieThreshold are predicted ties)',
    );
  }

  const zero = (): Record<PairLabel, number> => ({ win: 0, loss: 0, tie: 0 });
  const confusion: Record<PairLabel, Record<PairLabel, number>> = { win: zero(), loss: zero(), tie: zero() };
  labels.forEach((label, i) => {
    if (label !== 'win' && label !== 'loss' && label !== 'tie') {
      throw new MetricInputError(
        'threeWayClassification',
        `labels[${i}]`,
        label,
        "labels are 'win', 'loss' or 'tie'",
      );
    }
    confusion[label][predictPairLabel(margins[i], tieThreshold)]++;
  });

  const c = confusion;
  const clearTotal = c.win.win + c.win.loss + c.win.tie + c.loss.win + c.loss.loss + c.loss.tie;
  const clearHit = c.win.win + c.win.loss + c.loss.win + c.loss.loss;
  const tieTotal = c.tie.win + c.tie.loss + c.tie.tie;
  return {
    accuracy: (c.win.win + c.loss.loss + c.tie.tie) / labels.length,
    clearAccuracy: clearTotal === 0 ? Number.NaN : clearHit / clearTotal,
    tieAccuracy: tieTotal === 0 ? Number.NaN : c.tie.tie / tieTotal,
    confusion,
    count: labels.length,
    tieThreshold,
  };
}
