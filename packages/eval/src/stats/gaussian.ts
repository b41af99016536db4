// Gaussian log-density and (log) CDF, accurate far into the tails.
import { MetricInputError } from '../errors.js';

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const SQRT_PI = Math.sqrt(Math.PI);

// Below this argument erf comes from its power series and erfc = 1 - erf loses under 1e-13
// relative accuracy; above it the continued fraction converges in well under 100 terms.
const SERIES_LIMIT = 2;

/**
 * Scaled complementary error function erfcx(x) = exp(x^2) erfc(x), for x >= 0. It stays near
 * 1 / (x sqrt(pi)) for large x, where erfc itself underflows (erfc(27) < 1e-300).
 */
export function erfcx(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < 0)
    throw new MetricInputError('erfcx', 'x', x, 'this implementation covers x >= 0; use erfc for x < 0');
  if (x === Number.POSITIVE_INFINITY) return 0;
  if (x < SERIES_LIMIT) return Math.exp(x * x) * (1 - erfSeries(x));
  return continuedFraction(x) / SQRT_PI;
}

/** erfc(x) = 1 - erf(x) = (2 / sqrt(pi)) * integral_x^inf exp(-t^2) dt, with full relative accuracy for x > 0. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < SERIES_LIMIT) return 1 - erfSeries(x);
  if (x > 27.3) return 0; // erfc underflows double precision here
  return Math.exp(-x * x) * erfcx(x);
}

/** erf(x) = (2 / sqrt(pi)) * integral_0^x exp(-t^2) dt. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < 0) return -erf(-x);
  return x < SERIES_LIMIT ? erfSeries(x) : 1 - erfc(x);
}

// erf(x) = (2/sqrt(pi)) exp(-x^2) sum_{n>=0} 2^n x^(2n+1) / (1*3*...*(2n+1)): every term is positive,
// so there is no cancellation, unlike the alternating Taylor series of erf.
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return (2 / SQRT_PI) * Math.exp(-x2) * sum;
}

// sqrt(pi) erfcx(x) = 1 / (x + (1/2) / (x + 1 / (x + (3/2) / (x + 2 / (x + ...))))), partial
// numerators k/2, evaluated by the modified Lentz method.
function continuedFraction(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    d = x + a * d;
    d = d === 0 ? tiny : d;
    c = x + a / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return 1 / f;
}

/** Standard normal CDF Phi(z). */
export function normalCdf(z: number): number {
  const t = z / Math.SQRT2;
  return z < 0 ? 0.5 * erfc(-t) : 1 - 0.5 * erfc(t);
}

/**
 * log Phi(z), finite for every finite z. For z < 0 it uses
 * log Phi(z) = log(erfcx(t) / 2) - t^2 with t = -z / sqrt(2), so it never forms the underflowing
 * Phi(z) itself (log Phi(-40) = -804.608...). For z >= 0 it uses log1p(-Phi(-z)).
 */
export function normalLogCdf(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  if (z === Number.NEGATIVE_INFINITY) return Number.NEGATIVE_INFINITY;
  if (z < 0) {
    const t = -z / Math.SQRT2;
    return Math.log(0.5 * erfcx(t)) - t * t;
  }
  return Math.log1p(-0.5 * erfc(z / Math.SQRT2));
}

/** log of the N(mean, std^2) density at x: -((x - mean) / std)^2 / 2 - log(std) - log(sqrt(2 pi)). */
export function gaussianLogPdf(x: number, mean: number, std: number): number {
  requirePositiveStd('gaussianLogPdf', std);
  const z = (x - mean) / std;
  return -0.5 * z * z - Math.log(std) - LOG_SQRT_2PI;
}

/** log P(X <= x) for X ~ N(mean, std^2), stable in the far left tail (see {@link normalLogCdf}). */
export function gaussianLogCdf(x: number, mean: number, std: number): number {
  requirePositiveStd('gaussianLogCdf', std);
  return normalLogCdf((x - mean) / std);
}

function requirePositiveStd(metric: string, std: number): void {
  if (!(std > 0) || !Number.isFinite(std)) {
    throw new MetricInputError(
      metric,
      'std',
      std,
      'the standard deviation must be finite and > 0; with identical reference statistics, use a global (fixed) std',
    );
  }
}
