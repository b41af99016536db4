/**
 * The implicit reward margin shared by DPO and its tie-aware variants:
 *
 *   r(x, y) = beta * (log pi(y|x) - log pi_ref(y|x))
 *   d       = r(x, y_w) - r(x, y_l)
 *           = beta * [(log pi(y_w|x) - log pi_ref(y_w|x)) - (log pi(y_l|x) - log pi_ref(y_l|x))]
 *
 * Sequence log-probs are sums over completion tokens (EOS included), as in the DPO-ties paper and TRL's
 * sigmoid loss. Length normalisation (each log-prob divided by its completion length) is opt-in.
 */
import { div, sub, type Tensor } from '@lab/tensor';
import { PreferenceInputError, TieParameterError } from './errors.js';

/** Sequence log-probs of each pair's two completions under the policy and the frozen reference. */
export interface PreferenceLogProbs {
  /** log pi(y_w|x). (B) */
  policyChosen: Tensor;
  /** log pi(y_l|x). (B) */
  policyRejected: Tensor;
  /** log pi_ref(y_w|x). (B) */
  referenceChosen: Tensor;
  /** log pi_ref(y_l|x). (B) */
  referenceRejected: Tensor;
}

/** Completion token counts (EOS included), for length normalisation. */
export interface CompletionLengths {
  /** |y_w|. (B) */
  chosen: Tensor;
  /** |y_l|. (B) */
  rejected: Tensor;
}

export interface MarginOptions {
  /** Scale of the implicit reward (DPO's beta), > 0. */
  beta: number;
  /**
   * When given, every log-prob is divided by its completion length first (mean per-token log-prob).
   * Omitted, summed log-probs are used, as the DPO-ties paper does.
   */
  lengths?: CompletionLengths;
}

const NAMES = ['policyChosen', 'policyRejected', 'referenceChosen', 'referenceRejected'] as const;

/** Throws unless all four log-prob tensors (and the lengths, when given) are (B) vectors of one size. */
export function checkPreferenceInputs(
  fn: string,
  logProbs: PreferenceLogProbs,
  lengths?: CompletionLengths,
): number {
  const rows = logProbs.policyChosen.shape[0];
  const inputs: [string, Tensor][] = NAMES.map((name) => [name, logProbs[name]]);
  if (lengths) inputs.push(['lengths.chosen', lengths.chosen], ['lengths.rejected', lengths.rejected]);
  for (const [name, t] of inputs) {
    if (t.rank !== 1 || t.shape[0] !== rows) {
      throw new PreferenceInputError(
        fn,
        name,
        t.shape,
        `every input must be a (B) vector with B = ${rows} (from policyChosen); reduce token log-probs to one value per sequence first`,
      );
    }
  }
  return rows;
}

export function checkBeta(fn: string, beta: number): void {
  if (!(beta > 0) || !Number.isFinite(beta)) {
    throw new TieParameterError(
      fn,
      'beta',
      beta,
      'beta must be a finite number > 0 (the DPO-ties paper sweeps 0.025 to 1.55)',
    );
  }
}

/** log pi(y_w) - log pi(y_l) for one model, optionally per token. (B) */
function logRatio(chosen: Tensor, rejected: Tensor, lengths: CompletionLengths | undefined): Tensor {
  if (!lengths) return sub(chosen, rejected);
  return sub(div(chosen, lengths.chosen), div(rejected, lengths.rejected));
}

/**
 * Computes the unscaled margin h = (log pi(y_w) - log pi_ref(y_w)) - (log pi(y_l) - log pi_ref(y_l)),
 * written as policy ratio minus reference ratio so that equal models give exactly 0. (B)
 */
export function logRatioMargin(logProbs: PreferenceLogProbs, lengths?: CompletionLengths): Tensor {
  checkPreferenceInputs('logRatioMargin', logProbs, lengths);
  const policy = logRatio(logProbs.policyChosen, logProbs.policyRejected, lengths); // (B)
  const reference = logRatio(logProbs.referenceChosen, logProbs.referenceRejected, lengths); // (B)
  return sub(policy, reference);
}

/** Computes the implicit reward margin d = beta * h of every pair. (B) */
export function rewardMargin(logProbs: PreferenceLogProbs, options: MarginOptions): Tensor {
  checkBeta('rewardMargin', options.beta);
  return logRatioMargin(logProbs, options.lengths).mul(options.beta);
}
