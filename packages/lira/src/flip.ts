/**
 * Per-sample decision stability (the flip rate of Hayes et al.). With B target replicas of which m
 * flag an example as member at a fixed FPR, the unbiased pairwise disagreement is
 *   flip = 2 m (B − m) / (B (B − 1)),
 * and the decision is a coin flip when an exact two-sided binomial test of P(member) = 1/2 does not
 * reject at level α (default 0.05).
 */
import { LiraInputError } from './errors.js';

function checkCounts(fn: string, m: number, replicas: number): void {
  if (!Number.isInteger(replicas) || replicas < 2)
    throw new LiraInputError(fn, 'replicas', replicas, 'must be an integer of at least 2');
  if (!Number.isInteger(m) || m < 0 || m > replicas)
    throw new LiraInputError(fn, 'm', m, `must be an integer in 0..${replicas}`);
}

export function flipRate(m: number, replicas: number): number {
  checkCounts('flipRate', m, replicas);
  return (2 * m * (replicas - m)) / (replicas * (replicas - 1));
}

function logChoose(n: number, k: number): number {
  let total = 0;
  for (let i = 1; i <= k; i++) total += Math.log(n - k + i) - Math.log(i);
  return total;
}

/** Exact two-sided binomial p-value of m successes in n trials at p = 1/2 (sum of outcomes no likelier than m). */
export function binomialTwoSidedP(m: number, n: number): number {
  checkCounts('binomialTwoSidedP', m, n);
  const logHalf = n * Math.log(0.5);
  const logPm = logChoose(n, m) + logHalf;
  let total = 0;
  for (let k = 0; k <= n; k++) {
    const logPk = logChoose(n, k) + logHalf;
    // Relative tolerance as in common implementations, so the symmetric outcome counts despite rounding.
    if (logPk <= logPm + 1e-7) total += Math.exp(logPk);
  }
  return Math.min(1, total);
}

export function isCoinFlip(m: number, replicas: number, alpha = 0.05): boolean {
  return binomialTwoSidedP(m, replicas) >= alpha;
}
