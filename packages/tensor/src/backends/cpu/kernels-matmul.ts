import { allocateArray, type TypedArray } from '../../dtype.js';
import type { CpuKernel } from './kernel.js';
import { type CpuView, offsetsOf } from './strided.js';

/** How the last two axes of an operand sit in memory. */
type Layout = 'rows' | 'columns' | 'strided';

function layoutOf(view: CpuView): Layout {
  const rank = view.shape.length;
  const [rows, cols] = [view.shape[rank - 2], view.shape[rank - 1]];
  const [rowStride, colStride] = [view.strides[rank - 2], view.strides[rank - 1]];
  if ((colStride === 1 || cols === 1) && (rowStride === cols || rows === 1)) return 'rows';
  if ((rowStride === 1 || rows === 1) && (colStride === rows || cols === 1)) return 'columns';
  return 'strided';
}

/** Offset of each batch's (rows, cols) block; batch axes may be broadcast (stride 0). */
function batchOffsets(view: CpuView): ArrayLike<number> {
  const rank = view.shape.length;
  return offsetsOf(view.shape.slice(0, rank - 2), view.strides.slice(0, rank - 2), view.offset);
}

/** Copies a strided operand into row-major blocks so that its batches start at multiples of rows * cols. */
function packRows(view: CpuView): { data: TypedArray; bases: number[] } {
  const rank = view.shape.length;
  const block = view.shape[rank - 2] * view.shape[rank - 1];
  const offsets = offsetsOf(view.shape, view.strides, view.offset);
  const data = allocateArray(view.dtype, offsets.length);
  for (let i = 0; i < offsets.length; i++) data[i] = view.buffer[offsets[i]];
  const batches = offsets.length / Math.max(block, 1);
  return { data, bases: Array.from({ length: block === 0 ? batchOffsets(view).length : batches }, (_, p) => p * block) };
}

/**
 * Batched (..., m, k) x (..., k, n), accumulating in double precision. Operands stored row-major or
 * transposed (as the backward pass produces them) are read in place; other layouts are packed first.
 */
export const matmulKernel: CpuKernel<'matmul'> = ([a, b], _attrs, out) => {
  const rank = a.shape.length;
  const [m, k] = [a.shape[rank - 2], a.shape[rank - 1]];
  const n = b.shape[rank - 1];
  const left = layoutOf(a) === 'rows' ? { data: a.buffer, bases: Array.from(batchOffsets(a)) } : packRows(a);
  const bLayout = layoutOf(b);
  const right = bLayout === 'strided' ? packRows(b) : { data: b.buffer, bases: Array.from(batchOffsets(b)) };
  const result = allocateArray(out.dtype, left.bases.length * m * n);
  const row = new Float64Array(n);
  for (let p = 0; p < left.bases.length; p++) {
    const aBase = left.bases[p];
    const bBase = right.bases[p];
    for (let i = 0; i < m; i++) {
      const aRow = aBase + i * k;
      if (bLayout === 'columns') {
        // b[l, j] sits at bBase + j * k + l: each output is a dot product of two contiguous runs
        for (let j = 0; j < n; j++) {
          let total = 0;
          const bColumn = bBase + j * k;
          for (let l = 0; l < k; l++) total += left.data[aRow + l] * right.data[bColumn + l];
          row[j] = total;
        }
      } else {
        row.fill(0);
        for (let l = 0; l < k; l++) {
          const scalar = left.data[aRow + l];
          const bRow = bBase + l * n;
          for (let j = 0; j < n; j++) row[j] += scalar * right.data[bRow + j];
        }
      }
      result.set(row, (p * m + i) * n);
    }
  }
  return result;
};
