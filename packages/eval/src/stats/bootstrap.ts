// Seeded percentile bootstrap, and the quantile and random generator it rests on.
import { MetricInputError } from '../errors.js';
import {
  mean,
  type Numbers,
  requireInRange,
  requireNonEmpty,
  requirePositiveInteger,
} from '../internal/validate.js';

/**
 * Quantile with linear interpolation between order statistics (NumPy's default `'linear'` method,
 * and `torch.quantile`'s): sort ascending into x_0..x_{n-1}, pos = q (n - 1),
 * value = x_floor(pos) + (pos - floor(pos)) (x_floor(pos)+1 - x_floor(pos)).
 */
export function quantile(values: Numbers, q: number): number {
  requireNonEmpty('quantile', 'values', values);
  requireInRange('quantile', 'q', q, 0, 1);
  const sorted = Float64Array.from(values).sort();
  return quantileOfSorted(sorted, q);
}

function quantileOfSorted(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * A small seeded generator (xoshiro128**, state seeded through splitmix32), so a bootstrap gives
 * the same interval for the same seed on every platform. Returns uniforms in [0, 1).
 */
export function seededUniform(seed: number): () => number {
  let s = seed >>> 0;
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  return () => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result / 4294967296;
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

export interface BootstrapOptions {
  /** Statistic of one (re)sample. Default: the mean. */
  statistic?: (sample: Float64Array) => number;
  /** Number of resamples. Default 1000. */
  resamples?: number;
  /** Coverage of the interval, in (0, 1). Default 0.95. */
  confidence?: number;
  /** Seed of the resampling generator. Default 0. */
  seed?: number;
}

export interface BootstrapResult {
  /** The statistic on the original values. */
  estimate: number;
  lower: number;
  upper: number;
  confidence: number;
  resamples: number;
  seed: number;
  /** Resamples whose statistic was NaN or infinite; they are left out of the percentiles. */
  invalidResamples: number;
}

/**
 * Percentile bootstrap confidence interval for any statistic of per-example values (accuracy from
 * 0/1 correctness, a mean reward, a win rate from 1/0.5/0 outcomes, ...). Draws `resamples` samples
 * of size n with replacement and returns the (1 - c)/2 and (1 + c)/2 quantiles of the statistic
 * (linear interpolation, see {@link quantile}).
 */
export function bootstrapCi(values: Numbers, options: BootstrapOptions = {}): BootstrapResult {
  const statistic = options.statistic ?? mean;
  const resamples = options.resamples ?? 1000;
  const confidence = options.confidence ?? 0.95;
  const seed = options.seed ?? 0;
  requireNonEmpty('bootstrapCi', 'values', values);
  requirePositiveInteger('bootstrapCi', 'options.resamples', resamples);
  requireInRange('bootstrapCi', 'options.confidence', confidence, 0, 1, 'neither');

  const data = Float64Array.from(values);
  const n = data.length;
  const uniform = seededUniform(seed);
  const sample = new Float64Array(n);
  const stats: number[] = [];
  let invalidResamples = 0;
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) sample[i] = data[Math.floor(uniform() * n)];
    const s = statistic(sample);
    if (Number.isFinite(s)) stats.push(s);
    else invalidResamples++;
  }
  if (stats.length === 0) {
    throw new MetricInputError(
      'bootstrapCi',
      'statistic',
      'non-finite on every resample',
      'check the statistic on your values',
    );
  }
  const sorted = Float64Array.from(stats).sort();
  const alpha = (1 - confidence) / 2;
  return {
    estimate: statistic(Float64Array.from(data)),
    lower: quantileOfSorted(sorted, alpha),
    upper: quantileOfSorted(sorted, 1 - alpha),
    confidence,
    resamples,
    seed,
    invalidResamples,
  };
}
