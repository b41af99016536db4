import { allocateArray } from '../../dtype.js';
import type { ReduceAttrs, ReduceOp } from '../../ops/defs.js';
import { sizeOf } from '../../shape.js';
import type { CpuKernel, CpuKernelTable } from './kernel.js';
import { dense, moveAxesLast } from './strided.js';

type Fold = (row: ArrayLike<number>, start: number, length: number) => number;

const FOLDS: { [K in ReduceOp]: Fold } = {
  sum: (row, start, length) => {
    let total = 0;
    for (let i = start; i < start + length; i++) total += row[i];
    return total;
  },
  prod: (row, start, length) => {
    let total = 1;
    for (let i = start; i < start + length; i++) total *= row[i];
    return total;
  },
  // NaN wins, as in PyTorch
  max: (row, start, length) => {
    let best = Number.NEGATIVE_INFINITY;
    for (let i = start; i < start + length; i++) {
      const v = row[i];
      if (v > best || Number.isNaN(v)) best = v;
      if (Number.isNaN(v)) break;
    }
    return best;
  },
  min: (row, start, length) => {
    let best = Number.POSITIVE_INFINITY;
    for (let i = start; i < start + length; i++) {
      const v = row[i];
      if (v < best || Number.isNaN(v)) best = v;
      if (Number.isNaN(v)) break;
    }
    return best;
  },
  logsumexp: (row, start, length) => {
    const m = FOLDS.max(row, start, length);
    if (!Number.isFinite(m)) return m;
    let total = 0;
    for (let i = start; i < start + length; i++) total += Math.exp(row[i] - m);
    return m + Math.log(total);
  },
};

function reduceKernel(fold: Fold): CpuKernel<ReduceOp> {
  return ([x], attrs: ReduceAttrs, out) => {
    const moved = dense(moveAxesLast(x, attrs.axes));
    const length = sizeOf(attrs.axes.map((a) => x.shape[a]));
    const result = allocateArray(out.dtype, sizeOf(out.shape));
    for (let r = 0; r < result.length; r++) result[r] = fold(moved, r * length, length);
    return result;
  };
}

/** Index of the first extreme element along one axis; NaN counts as the extreme, as in PyTorch. */
function argKernel(better: (v: number, best: number) => boolean): CpuKernel<'argmax' | 'argmin'> {
  return ([x], { axis }, out) => {
    const moved = dense(moveAxesLast(x, [axis]));
    const length = x.shape[axis];
    const result = new Int32Array(sizeOf(out.shape));
    for (let r = 0; r < result.length; r++) {
      const start = r * length;
      let best = moved[start];
      let index = 0;
      for (let i = 1; i < length && !Number.isNaN(best); i++) {
        const v = moved[start + i];
        if (Number.isNaN(v) || better(v, best)) {
          best = v;
          index = i;
        }
      }
      result[r] = index;
    }
    return result;
  };
}

export const REDUCE_KERNELS: CpuKernelTable<ReduceOp | 'argmax' | 'argmin'> = {
  sum: reduceKernel(FOLDS.sum),
  prod: reduceKernel(FOLDS.prod),
  max: reduceKernel(FOLDS.max),
  min: reduceKernel(FOLDS.min),
  logsumexp: reduceKernel(FOLDS.logsumexp),
  argmax: argKernel((v, best) => v > best),
  argmin: argKernel((v, best) => v < best),
};
