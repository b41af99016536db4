import { allocateArray, castScalar } from '../../dtype.js';
import type { ScanAttrs } from '../../ops/defs.js';
import { philoxUniform } from '../../random/philox.js';
import { sizeOf } from '../../shape.js';
import type { CpuKernel, CpuKernelTable } from './kernel.js';
import { dense, moveAxesLast, movedOutputOffsets } from './strided.js';

/** Ascending order with NaN last; equal keys keep their original order (the sort is stable). */
function compareAscending(a: number, b: number): number {
  const aNaN = Number.isNaN(a);
  const bNaN = Number.isNaN(b);
  if (aNaN || bNaN) return aNaN === bNaN ? 0 : aNaN ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

const argsortKernel: CpuKernel<'argsort'> = ([x], { axis, descending }, out) => {
  const moved = dense(moveAxesLast(x, [axis]));
  const length = x.shape[axis];
  const targets = movedOutputOffsets(out.shape, [axis]);
  const result = new Int32Array(moved.length);
  const order = Array.from({ length }, (_, i) => i);
  for (let start = 0; start < moved.length; start += length) {
    for (let i = 0; i < length; i++) order[i] = i;
    const sign = descending ? -1 : 1;
    order.sort((i, j) => sign * compareAscending(moved[start + i], moved[start + j]) || i - j);
    for (let i = 0; i < length; i++) result[targets[start + i]] = order[i];
  }
  return result;
};

/** Position `i` of a scan row in the order the scan visits it. */
function visit(length: number, reverse: boolean, i: number): number {
  return reverse ? length - 1 - i : i;
}

function scanKernel(identity: number, combine: (a: number, b: number) => number): CpuKernel<'cumsum' | 'cumprod'> {
  return ([x], { axis, reverse, exclusive }: ScanAttrs, out) => {
    const moved = dense(moveAxesLast(x, [axis]));
    const length = x.shape[axis];
    const targets = movedOutputOffsets(out.shape, [axis]);
    const result = allocateArray(out.dtype, moved.length);
    for (let start = 0; start < moved.length; start += length) {
      let running = identity;
      for (let i = 0; i < length; i++) {
        const p = start + visit(length, reverse, i);
        const value = moved[p];
        if (exclusive) {
          result[targets[p]] = running;
          running = combine(running, value);
        } else {
          running = combine(running, value);
          result[targets[p]] = running;
        }
      }
    }
    return result;
  };
}

/**
 * Gradient of cumprod without division, so zeros in the input are handled: in visiting order,
 * dx_j = sum over outputs i that include x_j of g_i * prod(x_k for k in output i's window, k != j).
 * O(n^2) per row.
 */
const cumprodGradKernel: CpuKernel<'cumprodGrad'> = ([x, g], { axis, reverse, exclusive }, out) => {
  const values = dense(moveAxesLast(x, [axis]));
  const grads = dense(moveAxesLast(g, [axis]));
  const length = x.shape[axis];
  const targets = movedOutputOffsets(out.shape, [axis]);
  const result = allocateArray(out.dtype, values.length);
  for (let start = 0; start < values.length; start += length) {
    const at = (i: number) => start + visit(length, reverse, i);
    let before = 1;
    for (let j = 0; j < length; j++) {
      // inclusive: dx_j = before_j * sum_{i >= j} g_i * prod_{j < k <= i} v_k
      // exclusive: dx_j = before_j * sum_{i > j} g_i * prod_{j < k < i} v_k
      let total = 0;
      let window = before;
      const first = exclusive ? j + 1 : j;
      for (let i = first; i < length; i++) {
        if (i > first) window *= values[at(exclusive ? i - 1 : i)];
        total += grads[at(i)] * window;
      }
      result[targets[at(j)]] = total;
      before *= values[at(j)];
    }
  }
  return result;
};

export const ORDER_KERNELS: CpuKernelTable<'argsort' | 'cumsum' | 'cumprod' | 'cumprodGrad' | 'uniform' | 'full'> = {
  argsort: argsortKernel,
  cumsum: scanKernel(0, (a, b) => a + b),
  cumprod: scanKernel(1, (a, b) => a * b),
  cumprodGrad: cumprodGradKernel,
  uniform: (_inputs, { key, counter }, out) => {
    const result = allocateArray(out.dtype, sizeOf(out.shape)) as Float32Array | Float64Array;
    philoxUniform(key, counter, result);
    return result;
  },
  full: (_inputs, { value }, out) => allocateArray(out.dtype, sizeOf(out.shape)).fill(castScalar(value, out.dtype)),
};
