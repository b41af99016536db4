// Monte-Carlo estimates of KL(policy || reference) from completions sampled from the policy.
import { MetricInputError } from '../errors.js';
import { type Numbers, requireNonEmpty, requireSameLength } from '../internal/validate.js';

/**
 * `'k1'`: the plain log-ratio, unbiased, can be negative on one sample.
 * `'k3'`: exp(r) - 1 - r with r = log pi_ref - log pi, unbiased and never negative, lower variance
 * when the two models are close.
 */
export type KlEstimator = 'k1' | 'k3';

export interface KlEstimate {
  /** Mean over sequences of the per-sequence sum: the sequence-level KL in nats. */
  sequence: number;
  /** Sum over all tokens / number of tokens: the KL per token in nats. */
  token: number;
  /** The per-sequence sums (e.g. for `bootstrapCi`). */
  perSequence: number[];
  sequences: number;
  tokens: number;
  estimator: KlEstimator;
}

/**
 * Estimates KL(pi || pi_ref) from per-token log-probabilities of both models on completions y drawn
 * from the policy pi (the completion tokens only: no prompt, no padding; the EOS included when the
 * model emitted it).
 *
 * k1 (default), the standard unbiased Monte-Carlo estimator of the sequence KL:
 *
 *   KL(pi || pi_ref) = E_{y ~ pi} [ sum_t (log pi(y_t | x, y_<t) - log pi_ref(y_t | x, y_<t)) ]
 *   sequence = (1/N) sum_i sum_t (logp_pol[i][t] - logp_ref[i][t])
 *   token    = sum_i sum_t (logp_pol[i][t] - logp_ref[i][t]) / sum_i T_i
 *
 * k3, per token with r = logp_ref - logp_pol:  k3 = exp(r) - 1 - r  (>= 0).
 * Since E_{y_t ~ pi}[exp(r)] = 1, each term has expectation KL(pi(.|prefix) || pi_ref(.|prefix)),
 * and the per-sequence sum of those conditional KLs has the sequence KL as its expectation (chain
 * rule), so the k3 sum is also unbiased. Both estimators are only valid on samples from the policy.
 *
 * @param policyLogProbs one array per sequence of log pi(y_t | ...), in nats.
 * @param referenceLogProbs same shape, log pi_ref of the same tokens.
 */
export function klEstimate(
  policyLogProbs: readonly Numbers[],
  referenceLogProbs: readonly Numbers[],
  options: { estimator?: KlEstimator } = {},
): KlEstimate {
  const estimator = options.estimator ?? 'k1';
  requireNonEmpty('klEstimate', 'policyLogProbs', policyLogProbs);
  requireSameLength(
    'klEstimate',
    ['policyLogProbs', policyLogProbs],
    ['referenceLogProbs', referenceLogProbs],
  );
  const perSequence: number[] = [];
  let total = 0;
  let tokens = 0;
  for (let i = 0; i < policyLogProbs.length; i++) {
    const pol = policyLogProbs[i];
    const ref = referenceLogProbs[i];
    requireSameLength('klEstimate', [`policyLogProbs[${i}]`, pol], [`referenceLogProbs[${i}]`, ref]);
    let sum = 0;
    for (let t = 0; t < pol.length; t++) {
      const r = ref[t] - pol[t];
      if (!Number.isFinite(r)) {
        throw new MetricInputError(
          'klEstimate',
          `referenceLogProbs[${i}][${t}] - policyLogProbs[${i}][${t}]`,
          r,
          'log-probs of sampled tokens must be finite; a -Infinity reference log-prob means the reference ' +
            'gives the sample zero probability and the KL is infinite',
        );
      }
      sum += estimator === 'k3' ? expMinusOneMinus(r) : -r;
    }
    perSequence.push(sum);
    total += sum;
    tokens += pol.length;
  }
  return {
    sequence: total / perSequence.length,
    token: tokens === 0 ? Number.NaN : total / tokens,
    perSequence,
    sequences: perSequence.length,
    tokens,
    estimator,
  };
}

// exp(r) - 1 - r without cancellation: near r = 0 (the models nearly agree) both expm1(r) - r and
// the naive form lose most digits, so sum the series r^2/2! + r^3/3! + ... there.
function expMinusOneMinus(r: number): number {
  if (Math.abs(r) >= 1) return Math.expm1(r) - r;
  let term = (r * r) / 2;
  let sum = term;
  for (let k = 3; k < 30 && Math.abs(term) > 1e-17 * Math.abs(sum); k++) {
    term *= r / k;
    sum += term;
  }
  return sum;
}
