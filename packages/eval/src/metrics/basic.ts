// Accuracy, exact match, perplexity and win rate.
import { MetricInputError } from '../errors.js';
import { type Numbers, requireNonEmpty, requireSameLength } from '../internal/validate.js';

/**
 * Fraction of positions where `predicted[i] === expected[i]`.
 *
 *   accuracy = (1/n) * sum_i [predicted_i == expected_i]
 *
 * @example accuracy([1, 0, 2], [1, 1, 2]) // 2/3
 */
export function accuracy<T>(predicted: ArrayLike<T>, expected: ArrayLike<T>): number {
  requireNonEmpty('accuracy', 'expected', expected);
  requireSameLength('accuracy', ['expected', expected], ['predicted', predicted]);
  let correct = 0;
  for (let i = 0; i < expected.length; i++) if (predicted[i] === expected[i]) correct++;
  return correct / expected.length;
}

/**
 * SQuAD-style answer normalizer: lower case, drop punctuation and the articles a/an/the, collapse
 * whitespace. Pass it as `exactMatch(..., { normalize: normalizeAnswer })`.
 */
export function normalizeAnswer(text: string): string {
  return text
    .toLowerCase()
    .replace(/[\p{P}\p{S}]/gu, ' ')
    .replace(/\b(a|an|the)\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export interface ExactMatchOptions {
  /** Applied to both prediction and reference before comparing. Default: identity (raw strings). */
  normalize?: (text: string) => string;
}

export interface ExactMatchResult {
  accuracy: number;
  correct: number;
  total: number;
  /** 1 where the prediction matched, else 0; feed it to `bootstrapCi` for an interval. */
  perExample: number[];
}

/**
 * Exact-match accuracy. A reference may list several acceptable answers; a prediction is correct when
 * it equals any of them after `normalize`.
 *
 *   EM = (1/n) * sum_i [ exists r in refs_i : normalize(pred_i) == normalize(r) ]
 */
export function exactMatch(
  predictions: readonly string[],
  references: readonly (string | readonly string[])[],
  options: ExactMatchOptions = {},
): ExactMatchResult {
  requireNonEmpty('exactMatch', 'references', references);
  requireSameLength('exactMatch', ['references', references], ['predictions', predictions]);
  const normalize = options.normalize ?? ((text: string) => text);
  const perExample = predictions.map((prediction, i): number => {
    const accepted = references[i];
    const candidates = typeof accepted === 'string' ? [accepted] : accepted;
    const p = normalize(prediction);
    return candidates.some((r) => normalize(r) === p) ? 1 : 0;
  });
  const correct = perExample.reduce((a, b) => a + b, 0);
  return { accuracy: correct / perExample.length, correct, total: perExample.length, perExample };
}

/**
 * Token-pooled perplexity from per-sequence summed negative log-likelihoods (nats) and token counts:
 *
 *   ppl = exp( sum_i nll_i / sum_i tokens_i )
 *
 * This is the corpus perplexity (each token weighs the same), not the mean of per-sequence
 * perplexities. Pass a single number for each argument when already summed.
 */
export function perplexity(nllSum: Numbers | number, tokenCount: Numbers | number): number {
  const nll = typeof nllSum === 'number' ? [nllSum] : nllSum;
  const counts = typeof tokenCount === 'number' ? [tokenCount] : tokenCount;
  requireNonEmpty('perplexity', 'tokenCount', counts);
  requireSameLength('perplexity', ['tokenCount', counts], ['nllSum', nll]);
  let totalNll = 0;
  let totalTokens = 0;
  for (let i = 0; i < counts.length; i++) {
    if (!(counts[i] >= 0) || !Number.isInteger(counts[i])) {
      throw new MetricInputError(
        'perplexity',
        `tokenCount[${i}]`,
        counts[i],
        'token counts are integers >= 0',
      );
    }
    totalNll += nll[i];
    totalTokens += counts[i];
  }
  if (totalTokens === 0) {
    throw new MetricInputError('perplexity', 'sum(tokenCount)', 0, 'perplexity needs at least one token');
  }
  return Math.exp(totalNll / totalTokens);
}

/** The outcome of one pairwise comparison, from the evaluated system's side. */
export type Outcome = 'win' | 'loss' | 'draw';

export interface WinRateOptions {
  /** `'half'` (default): a draw counts 1/2 of a win. `'exclude'`: draws leave the denominator. */
  draws?: 'half' | 'exclude';
}

export interface WinRateResult {
  winRate: number;
  wins: number;
  losses: number;
  draws: number;
  /** Comparisons in the denominator (wins + losses, plus draws unless excluded). */
  counted: number;
  drawHandling: 'half' | 'exclude';
}

/**
 * Win rate with draws counted half (default) or excluded:
 *
 *   half:    (wins + draws/2) / (wins + losses + draws)
 *   exclude: wins / (wins + losses)        (NaN when every comparison is a draw)
 */
export function winRate(outcomes: readonly Outcome[], options: WinRateOptions = {}): WinRateResult {
  requireNonEmpty('winRate', 'outcomes', outcomes);
  const drawHandling = options.draws ?? 'half';
  let wins = 0;
  let losses = 0;
  let draws = 0;
  outcomes.forEach((o, i) => {
    if (o === 'win') wins++;
    else if (o === 'loss') losses++;
    else if (o === 'draw') draws++;
    else
      throw new MetricInputError('winRate', `outcomes[${i}]`, o, "each outcome is 'win', 'loss' or 'draw'");
  });
  if (drawHandling === 'exclude') {
    const counted = wins + losses;
    return {
      winRate: counted === 0 ? Number.NaN : wins / counted,
      wins,
      losses,
      draws,
      counted,
      drawHandling,
    };
  }
  const counted = wins + losses + draws;
  return { winRate: (wins + draws / 2) / counted, wins, losses, draws, counted, drawHandling };
}

/**
 * Outcomes of pairwise comparisons from two score lists (e.g. judge or reward-model scores of the
 * policy's and the baseline's answers): a win when `policy - baseline > tolerance`, a loss when it is
 * `< -tolerance`, otherwise a draw. Default tolerance 0 (only equal scores draw).
 */
export function outcomesFromScores(policy: Numbers, baseline: Numbers, tolerance = 0): Outcome[] {
  requireSameLength('outcomesFromScores', ['policy', policy], ['baseline', baseline]);
  const outcomes: Outcome[] = [];
  for (let i = 0; i < policy.length; i++) {
    const d = policy[i] - baseline[i];
    if (Number.isNaN(d)) {
      throw new MetricInputError(
        'outcomesFromScores',
        `policy[${i}] - baseline[${i}]`,
        d,
        'scores must be numbers',
      );
    }
    if (d > tolerance) outcomes.push('win');
    else if (d < -tolerance) outcomes.push('loss');
    else outcomes.push('draw');
  }
  return outcomes;
}
