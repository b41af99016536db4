import { isFloat } from '../dtype.js';
import { ArgumentError } from '../errors.js';
import { apply } from '../runtime.js';
import { normalizeAxes, normalizeAxis, reducedShape, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import type { ReduceOp } from './defs.js';
import { castTo, div, mul, sqrt, sub } from './elementwise.js';
import { reshape } from './movement.js';

type Axes = number | readonly number[] | undefined;

function reduce(op: ReduceOp, x: Tensor, axis: Axes, keepDims: boolean): Tensor {
  const axes = normalizeAxes(op, axis, x.rank);
  const input = op === 'logsumexp' && !isFloat(x.dtype) ? castTo(x, 'f32') : x;
  return apply(op, [input], { axes, keepDims });
}

export const sum = (x: Tensor, axis?: Axes, keepDims = false) => reduce('sum', x, axis, keepDims);
export const prod = (x: Tensor, axis?: Axes, keepDims = false) => reduce('prod', x, axis, keepDims);
export const max = (x: Tensor, axis?: Axes, keepDims = false) => reduce('max', x, axis, keepDims);
export const min = (x: Tensor, axis?: Axes, keepDims = false) => reduce('min', x, axis, keepDims);
/** log(sum(exp(x))) over the axes, shifted by the maximum so it never overflows. */
export const logsumexp = (x: Tensor, axis?: Axes, keepDims = false) => reduce('logsumexp', x, axis, keepDims);

function countOver(x: Tensor, axis: Axes): number {
  const axes = normalizeAxes('mean', axis, x.rank);
  return sizeOf(axes.map((a) => x.shape[a]));
}

export function mean(x: Tensor, axis?: Axes, keepDims = false): Tensor {
  const total = sum(isFloat(x.dtype) ? x : castTo(x, 'f32'), axis, keepDims);
  return div(total, countOver(x, axis));
}

/** Variance with Bessel's correction by default (`correction = 1`), as PyTorch's `var`. */
export function variance(x: Tensor, axis?: Axes, keepDims = false, correction = 1): Tensor {
  const centered = sub(x, mean(x, axis, true));
  const squares = sum(mul(centered, centered), axis, keepDims);
  return div(squares, Math.max(0, countOver(x, axis) - correction));
}

export function std(x: Tensor, axis?: Axes, keepDims = false, correction = 1): Tensor {
  return sqrt(variance(x, axis, keepDims, correction));
}

function argReduce(op: 'argmax' | 'argmin', x: Tensor, axis: number | undefined, keepDims: boolean): Tensor {
  if (x.size === 0) throw new ArgumentError(op, 'cannot take the index of an extreme value of an empty tensor');
  if (axis === undefined) {
    const flat = reshape(x, [x.size]);
    const index = apply(op, [flat], { axis: 0, keepDims: false });
    return keepDims ? reshape(index, x.shape.map(() => 1)) : index;
  }
  return apply(op, [x], { axis: normalizeAxis(op, axis, x.rank), keepDims });
}

/** Index of the largest element along `axis` (of the flattened tensor when omitted); ties give the first. */
export const argmax = (x: Tensor, axis?: number, keepDims = false) => argReduce('argmax', x, axis, keepDims);
/** Index of the smallest element along `axis`; ties give the first. */
export const argmin = (x: Tensor, axis?: number, keepDims = false) => argReduce('argmin', x, axis, keepDims);

export { reducedShape };
