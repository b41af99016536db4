// Counters of speculative decoding: how many drafted tokens the target accepted, and how many tokens
// each target call produced.
import { MetricInputError } from '../errors.js';
import { requireNonEmpty } from '../internal/validate.js';

/** One draft-then-verify iteration (one target forward pass). */
export interface SpeculativeStep {
  /** Draft tokens proposed in this iteration (gamma, or fewer near the length limit). */
  proposed: number;
  /** Length of the accepted prefix of the draft, 0..proposed. The bonus token is not counted here. */
  accepted: number;
  /**
   * Tokens this iteration appended to the output. Default accepted + 1: the accepted prefix plus the
   * correction token (after a rejection) or the bonus token (after a full acceptance). Pass a
   * smaller number when generation stopped inside the iteration (EOS or length limit).
   */
  emitted?: number;
}

export interface AcceptanceStats {
  /** A: accepted draft tokens, summed over iterations. */
  accepted: number;
  /** Draft tokens proposed, summed over iterations. */
  proposed: number;
  /** R: iterations that ended in a rejection (at most one per iteration). */
  rejections: number;
  /** Target calls (iterations). */
  iterations: number;
  emitted: number;
  /**
   * A / proposed, pooled over tokens (not a mean of per-iteration rates). It falls mechanically as
   * the draft length grows, so compare it only at equal draft lengths.
   */
  acceptanceRate: number;
  /** A / (A + R): accepted over tested draft tokens (tokens after the first rejection are never tested). */
  blockAcceptanceRate: number;
  /** emitted / iterations: tokens per target call, the block efficiency. */
  tokensPerTargetCall: number;
}

/**
 * Pools the counters of many speculative iterations.
 *
 *   acceptanceRate      = sum accepted / sum proposed
 *   blockAcceptanceRate = sum accepted / (sum accepted + #iterations with accepted < proposed)
 *   tokensPerTargetCall = sum emitted / #iterations
 *
 * @example gamma = 4, accepted 4, 2, 0 -> acceptanceRate 6/12 = 0.5, block 6/8 = 0.75, tokens per call 9/3 = 3.
 */
export function acceptanceStats(steps: readonly SpeculativeStep[]): AcceptanceStats {
  requireNonEmpty('acceptanceStats', 'steps', steps);
  let accepted = 0;
  let proposed = 0;
  let rejections = 0;
  let emitted = 0;
  steps.forEach((step, i) => {
    const { proposed: p, accepted: a } = step;
    const e = step.emitted ?? a + 1;
    if (!Number.isInteger(p) || p < 0) {
      throw new MetricInputError('acceptanceStats', `steps[${i}].proposed`, p, 'it must be an integer >= 0');
    }
    if (!Number.isInteger(a) || a < 0 || a > p) {
      throw new MetricInputError(
        'acceptanceStats',
        `steps[${i}].accepted`,
        a,
        `it must be an integer in [0, proposed = ${p}]`,
      );
    }
    if (!Number.isInteger(e) || e < 0 || e > a + 1) {
      throw new MetricInputError(
        'acceptanceStats',
        `steps[${i}].emitted`,
        e,
        `it must be an integer in [0, accepted + 1 = ${a + 1}]`,
      );
    }
    accepted += a;
    proposed += p;
    emitted += e;
    if (a < p) rejections++;
  });
  const tested = accepted + rejections;
  return {
    accepted,
    proposed,
    rejections,
    iterations: steps.length,
    emitted,
    acceptanceRate: proposed === 0 ? Number.NaN : accepted / proposed,
    blockAcceptanceRate: tested === 0 ? Number.NaN : accepted / tested,
    tokensPerTargetCall: emitted / steps.length,
  };
}

/**
 * Expected tokens per target call when each draft token is accepted independently with probability
 * alpha and gamma tokens are drafted: (1 - alpha^(gamma + 1)) / (1 - alpha), and gamma + 1 at alpha = 1.
 */
export function expectedTokensPerCall(alpha: number, gamma: number): number {
  if (!(alpha >= 0 && alpha <= 1)) {
    throw new MetricInputError('expectedTokensPerCall', 'alpha', alpha, 'it is a probability in [0, 1]');
  }
  if (!Number.isInteger(gamma) || gamma < 0) {
    throw new MetricInputError('expectedTokensPerCall', 'gamma', gamma, 'it must be an integer >= 0');
  }
  if (alpha === 1) return gamma + 1;
  return (1 - alpha ** (gamma + 1)) / (1 - alpha);
}
