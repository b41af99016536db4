/**
 * LiRA's per-example Gaussian tests. Every score is "higher means member".
 *
 *   online   Λ = log N(o; μ_in, σ_in²) − log N(o; μ_out, σ_out²)
 *   offline  Λ_off = log Φ((o − μ_out) / σ_out)        (one-sided test against the OUT Gaussian)
 *   loss     o itself (the global-threshold baseline)
 *
 * o is the target model's statistic on the example; μ and σ come from reference models that did
 * (IN) or did not (OUT) train on it. The offline score is pinned to the log CDF: it orders examples
 * exactly as Φ, the one-sided test of Carlini et al. (2022), does, but never saturates at 1 (log Φ stays finite and ordered far into
 * both tails). The reference code's two-sided −log N(o; μ_out, σ_out²) is exported only for
 * comparison, as `referenceCodeOfflineScore`; no attack uses it.
 */
import { gaussianLogCdf, gaussianLogPdf } from '@lab/eval';
import { LiraInputError } from './errors.js';

/** Smallest standard deviation used; the reference code adds 1e-30 for the same reason (all references agree). */
export const STD_FLOOR = 1e-30;

/** log N(o; μ_in, σ_in²) − log N(o; μ_out, σ_out²). */
export function onlineLogRatio(
  observed: number,
  muIn: number,
  stdIn: number,
  muOut: number,
  stdOut: number,
): number {
  return (
    gaussianLogPdf(observed, muIn, Math.max(stdIn, STD_FLOOR)) -
    gaussianLogPdf(observed, muOut, Math.max(stdOut, STD_FLOOR))
  );
}

/** log Φ((o − μ_out) / σ_out): the pinned offline statistic. */
export function offlineLogCdf(observed: number, muOut: number, stdOut: number): number {
  return gaussianLogCdf(observed, muOut, Math.max(stdOut, STD_FLOOR));
}

/**
 * −log N(o; μ_out, σ_out²), the LiRA reference code's offline score. It is two-sided: an example far
 * *below* the OUT mean (clearly a non-member) scores as high as one far above. Kept for comparison only.
 */
export function referenceCodeOfflineScore(observed: number, muOut: number, stdOut: number): number {
  return -gaussianLogPdf(observed, muOut, Math.max(stdOut, STD_FLOOR));
}

/**
 * Computes the logit-scaled confidence φ = log(p_y / (1 − p_y)) = z_y − logsumexp_{v≠y} z_v, computed from
 * logits in double precision with a max shift, never from a rounded p. Logits [40, 0, 0], y = 0 give
 * 40 − log 2, where log(p / (1 − p)) of the rounded p is +inf.
 */
export function logitScaledConfidence(
  logits: ArrayLike<number>,
  label: number,
  offset = 0,
  size = logits.length - offset,
): number {
  if (!(label >= 0 && label < size) || !Number.isInteger(label)) {
    throw new LiraInputError(
      'logitScaledConfidence',
      'label',
      label,
      `must be an integer index into the ${size} logits`,
    );
  }
  if (size < 2)
    throw new LiraInputError(
      'logitScaledConfidence',
      'logits.length',
      size,
      'must be at least 2: φ compares the label with the other classes',
    );
  let max = Number.NEGATIVE_INFINITY;
  for (let v = 0; v < size; v++) if (v !== label && logits[offset + v] > max) max = logits[offset + v];
  let total = 0;
  for (let v = 0; v < size; v++) if (v !== label) total += Math.exp(logits[offset + v] - max);
  return logits[offset + label] - (max + Math.log(total));
}

/** Mean of the values. */
export function mean(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total / values.length;
}

/** Median (mean of the two middle values for an even count), the reference code's location. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Population standard deviation (ddof = 0), as numpy's default. */
export function populationStd(values: readonly number[]): number {
  const m = mean(values);
  let total = 0;
  for (const v of values) total += (v - m) * (v - m);
  return Math.sqrt(total / values.length);
}
