import { isFloat } from '../dtype.js';
import { ArgumentError } from '../errors.js';
import { apply } from '../runtime.js';
import { normalizeAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { add, castTo, mul, ne, sub, where } from './elementwise.js';
import { gather, narrow, reshape, squeeze, stack } from './movement.js';

/** Indices that sort `x` along `axis`; stable, with NaN placed after every number (before, if descending). */
export function argsort(x: Tensor, axis = -1, descending = false): Tensor {
  return apply('argsort', [x], { axis: normalizeAxis('argsort', axis, x.rank), descending });
}

export function sort(x: Tensor, axis = -1, descending = false): { values: Tensor; indices: Tensor } {
  const indices = argsort(x, axis, descending);
  return { values: gather(x, axis, indices), indices };
}

/** The k largest (or smallest) entries along `axis`, in sorted order; ties keep the lower index first. */
export function topk(x: Tensor, k: number, axis = -1, largest = true): { values: Tensor; indices: Tensor } {
  const a = normalizeAxis('topk', axis, x.rank);
  if (!Number.isInteger(k) || k < 0 || k > x.shape[a]) {
    throw new ArgumentError('topk', `k = ${k} must be an integer in [0, ${x.shape[a]}] (the size of axis ${a})`);
  }
  const indices = narrow(argsort(x, a, largest), a, 0, k);
  return { values: gather(x, a, indices), indices };
}

export interface ScanOptions {
  /** Accumulate from the end of the axis towards the start. */
  reverse?: boolean;
  /** Leave out the current element: out[i] combines x[0..i-1] (the identity at i = 0). */
  exclusive?: boolean;
}

export function cumsum(x: Tensor, axis = -1, options: ScanOptions = {}): Tensor {
  const a = normalizeAxis('cumsum', axis, x.rank);
  return apply('cumsum', [x], { axis: a, reverse: options.reverse ?? false, exclusive: options.exclusive ?? false });
}

export function cumprod(x: Tensor, axis = -1, options: ScanOptions = {}): Tensor {
  const a = normalizeAxis('cumprod', axis, x.rank);
  return apply('cumprod', [x], { axis: a, reverse: options.reverse ?? false, exclusive: options.exclusive ?? false });
}

/**
 * Quantiles with linear interpolation between order statistics (NumPy's default "linear" method):
 * position q * (n - 1) in the sorted values. With a list of q the result gains a leading axis.
 */
export function quantile(x: Tensor, q: number | readonly number[], axis?: number, keepDims = false): Tensor {
  const qs = typeof q === 'number' ? [q] : [...q];
  for (const v of qs) if (!(v >= 0 && v <= 1)) throw new ArgumentError('quantile', `q = ${v} must be in [0, 1]`);
  const input = isFloat(x.dtype) ? x : castTo(x, 'f32');
  const source = axis === undefined ? reshape(input, [input.size]) : input;
  const a = axis === undefined ? 0 : normalizeAxis('quantile', axis, x.rank);
  const n = source.shape[a];
  if (n === 0) throw new ArgumentError('quantile', `axis ${a} is empty`);
  const sorted = gather(source, a, argsort(source, a));
  // NaN sorts last, so the last sorted value is NaN exactly when the row holds one; NumPy then returns NaN.
  const last = narrow(sorted, a, n - 1, 1);
  const rowHasNaN = ne(last, last);
  const results = qs.map((value) => {
    const position = value * (n - 1);
    const lo = Math.floor(position);
    const hi = Math.min(lo + 1, n - 1);
    const lower = narrow(sorted, a, lo, 1);
    const upper = narrow(sorted, a, hi, 1);
    const interpolated = where(rowHasNaN, last, add(lower, mul(sub(upper, lower), position - lo)));
    if (keepDims) return axis === undefined ? reshape(interpolated, x.shape.map(() => 1)) : interpolated;
    return squeeze(interpolated, a);
  });
  return typeof q === 'number' ? results[0] : stack(results, 0);
}

