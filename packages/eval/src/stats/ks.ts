// Two-sample Kolmogorov-Smirnov test with an exact p-value for moderate sizes.
import { MetricInputError } from '../errors.js';
import { type Numbers, requireNonEmpty, requireNotNaN } from '../internal/validate.js';

export type KsMethod = 'auto' | 'exact' | 'asymptotic';

export interface KsResult {
  /** D = sup_t |F_x(t) - F_y(t)|, the largest gap between the two empirical CDFs. */
  statistic: number;
  /** P(D_{m,n} >= observed D) under H0 (both samples from one continuous distribution). */
  pValue: number;
  method: 'exact' | 'asymptotic';
  m: number;
  n: number;
}

/** `'auto'` uses the exact distribution up to this many observations in the larger sample. */
export const KS_EXACT_MAX_SIZE = 10_000;

/**
 * Two-sided two-sample Kolmogorov-Smirnov test.
 *
 * exact: the p-value is the probability that a uniformly random lattice path from (0, 0) to (m, n)
 * (each path is one interleaving of the pooled sorted sample, all C(m+n, m) equally likely under
 * H0) touches the region |i/m - j/n| >= D. It is computed by dynamic programming over the
 * (m + 1) x (n + 1) lattice in O(m n) time, summing the probability of first touching the region, so
 * small p-values keep their relative accuracy.
 *
 * asymptotic: Kolmogorov's limit, P(D >= d) ~ Q(sqrt(m n / (m + n)) d) with
 * Q(lambda) = 2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 lambda^2).
 *
 * Ties between the samples are handled in D, because the empirical CDFs jump together there. The
 * null distribution assumes continuous data, so with ties the p-value is conservative.
 */
export function ksTwoSample(x: Numbers, y: Numbers, options: { method?: KsMethod } = {}): KsResult {
  requireNonEmpty('ksTwoSample', 'x', x);
  requireNonEmpty('ksTwoSample', 'y', y);
  requireNotNaN('ksTwoSample', 'x', x);
  requireNotNaN('ksTwoSample', 'y', y);
  const m = x.length;
  const n = y.length;
  const gap = maxCdfGap(x, y); // D * m * n, an integer
  const statistic = gap / (m * n);
  const requested = options.method ?? 'auto';
  const method =
    requested === 'auto' ? (Math.max(m, n) <= KS_EXACT_MAX_SIZE ? 'exact' : 'asymptotic') : requested;
  if (method !== 'exact' && method !== 'asymptotic') {
    throw new MetricInputError(
      'ksTwoSample',
      'options.method',
      requested,
      "use 'auto', 'exact' or 'asymptotic'",
    );
  }
  const pValue =
    method === 'exact'
      ? exactTailProbability(m, n, gap)
      : kolmogorovSurvival(Math.sqrt((m * n) / (m + n)) * statistic);
  return { statistic, pValue: Math.min(1, Math.max(0, pValue)), method, m, n };
}

// max over the pooled sample of |i n - j m|, where i, j count x and y values <= t. Integers, so
// the statistic and the lattice test below compare exactly.
function maxCdfGap(x: Numbers, y: Numbers): number {
  const xs = Float64Array.from(x).sort();
  const ys = Float64Array.from(y).sort();
  const m = xs.length;
  const n = ys.length;
  let i = 0;
  let j = 0;
  let gap = 0;
  while (i < m || j < n) {
    const t = j >= n || (i < m && xs[i] <= ys[j]) ? xs[i] : ys[j];
    while (i < m && xs[i] === t) i++;
    while (j < n && ys[j] === t) j++;
    gap = Math.max(gap, Math.abs(i * n - j * m));
  }
  return gap;
}

// P(a random path touches |i n - j m| >= gap). current[j] is, for the current row i, the probability
// of arriving at (i, j) with every earlier point strictly inside the band.
function exactTailProbability(m: number, n: number, gap: number): number {
  if (gap === 0) return 1;
  const total = m + n;
  let previous = new Float64Array(n + 1);
  let current = new Float64Array(n + 1);
  let outside = 0;
  for (let i = 0; i <= m; i++) {
    for (let j = 0; j <= n; j++) {
      let q: number;
      if (i === 0 && j === 0) q = 1;
      else {
        const left = total - i - j + 1; // steps remaining at the predecessor
        // An x-step from (i-1, j) has probability (m - i + 1) / left, and a y-step from (i, j-1) has (n - j + 1) / left.
        const fromBelow = i > 0 ? (previous[j] * (m - i + 1)) / left : 0;
        const fromLeft = j > 0 ? (current[j - 1] * (n - j + 1)) / left : 0;
        q = fromBelow + fromLeft;
      }
      if (Math.abs(i * n - j * m) >= gap) {
        outside += q;
        q = 0; // the path has touched; stop following it
      }
      current[j] = q;
    }
    [previous, current] = [current, previous];
  }
  return outside;
}

/**
 * Survival function of the Kolmogorov distribution, Q(lambda) = P(K > lambda). Uses the
 * alternating series for lambda >= 1 and the theta-function form
 * 1 - (sqrt(2 pi) / lambda) sum_{k>=1} exp(-(2k - 1)^2 pi^2 / (8 lambda^2)) below it, where the
 * alternating series converges slowly.
 */
export function kolmogorovSurvival(lambda: number): number {
  if (Number.isNaN(lambda)) return Number.NaN;
  if (lambda <= 0) return 1;
  if (lambda < 1) {
    const c = (Math.PI * Math.PI) / (8 * lambda * lambda);
    let sum = 0;
    for (let k = 1; k < 50; k++) {
      const term = Math.exp(-((2 * k - 1) ** 2) * c);
      sum += term;
      if (term < 1e-17 * sum) break;
    }
    return 1 - (Math.sqrt(2 * Math.PI) / lambda) * sum;
  }
  let sum = 0;
  for (let k = 1; k < 100; k++) {
    const term = Math.exp(-2 * k * k * lambda * lambda);
    sum += k % 2 === 1 ? term : -term;
    if (term < 1e-17 * Math.abs(sum)) break;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}
