import { allocateArray, castScalar, type DType, type TypedArray } from '../../dtype.js';
import { ArgumentError } from '../../errors.js';
import { contiguousStrides, sizeOf } from '../../shape.js';
import type { CpuKernelTable } from './kernel.js';
import { dense, offsetsOf } from './strided.js';

/** Writes `values` (row-major over `shape`) into `target` at a strided window. */
function writeWindow(target: TypedArray, values: ArrayLike<number>, shape: readonly number[], strides: readonly number[], offset: number): void {
  const offsets = offsetsOf(shape, strides, offset);
  for (let i = 0; i < offsets.length; i++) target[offsets[i]] = values[i];
}

function checkIndex(op: string, value: number, size: number, axis: number): number {
  if (!Number.isInteger(value) || value < 0 || value >= size) {
    throw new ArgumentError(op, `index ${value} is out of range for axis ${axis} of size ${size}`);
  }
  return value;
}

/** Splits a shape around `axis` into (outer, size, inner) element counts. */
function around(shape: readonly number[], axis: number): [number, number, number] {
  return [sizeOf(shape.slice(0, axis)), shape[axis], sizeOf(shape.slice(axis + 1))];
}

/** For each element of `shape`, the offset into a contiguous tensor of `targetShape` with `axis` replaced. */
function indexedOffsets(op: string, shape: readonly number[], targetShape: readonly number[], axis: number, index: ArrayLike<number>): Int32Array {
  const targetStrides = contiguousStrides(targetShape);
  const base = offsetsOf(shape, targetStrides.map((s, i) => (i === axis ? 0 : s)), 0);
  const result = new Int32Array(base.length);
  for (let i = 0; i < base.length; i++) {
    result[i] = base[i] + checkIndex(op, index[i], targetShape[axis], axis) * targetStrides[axis];
  }
  return result;
}

/** Rounds sums accumulated in double (repeated indices add up) once, into the output dtype. */
function storeAs(dtype: DType, sums: Float64Array): TypedArray {
  if (dtype === 'f64') return sums;
  const result = allocateArray(dtype, sums.length);
  for (let i = 0; i < sums.length; i++) result[i] = castScalar(sums[i], dtype);
  return result;
}

type MovementKernelOp = 'contiguous' | 'unslice' | 'concat' | 'pad' | 'gather' | 'indexSelect' | 'indexAdd' | 'scatterAdd' | 'oneHot' | 'triangle';

export const MOVEMENT_KERNELS: CpuKernelTable<MovementKernelOp> = {
  contiguous: ([x]) => dense(x).slice(),
  unslice: ([g], { shape, starts, steps }, out) => {
    const result = allocateArray(out.dtype, sizeOf(shape));
    const strides = contiguousStrides(shape);
    const offset = starts.reduce((total, s, i) => total + s * strides[i], 0);
    writeWindow(result, dense(g), g.shape, strides.map((s, i) => s * steps[i]), offset);
    return result;
  },
  concat: (inputs, { axis }, out) => {
    const result = allocateArray(out.dtype, sizeOf(out.shape));
    const strides = contiguousStrides(out.shape);
    let position = 0;
    for (const input of inputs) {
      writeWindow(result, dense(input), input.shape, strides, position * strides[axis]);
      position += input.shape[axis];
    }
    return result;
  },
  pad: ([x], { pads, value }, out) => {
    const result = allocateArray(out.dtype, sizeOf(out.shape)).fill(castScalar(value, out.dtype));
    const strides = contiguousStrides(out.shape);
    const offset = pads.reduce((total, [before], i) => total + before * strides[i], 0);
    writeWindow(result, dense(x), x.shape, strides, offset);
    return result;
  },
  gather: ([x, index], { axis }, out) => {
    const source = dense(x);
    const offsets = indexedOffsets('gather', index.shape, x.shape, axis, dense(index));
    const result = allocateArray(out.dtype, offsets.length);
    for (let i = 0; i < offsets.length; i++) result[i] = source[offsets[i]];
    return result;
  },
  indexSelect: ([x, index], { axis }, out) => {
    const source = dense(x);
    const picks = dense(index);
    const [outer, size, inner] = around(x.shape, axis);
    const result = allocateArray(out.dtype, sizeOf(out.shape));
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < picks.length; j++) {
        const from = (o * size + checkIndex('indexSelect', picks[j], size, axis)) * inner;
        result.set(source.subarray(from, from + inner), (o * picks.length + j) * inner);
      }
    }
    return result;
  },
  indexAdd: ([x, index, source], { axis }, out) => {
    const result = Float64Array.from(dense(x));
    const picks = dense(index);
    const values = dense(source);
    const [outer, size, inner] = around(x.shape, axis);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < picks.length; j++) {
        const to = (o * size + checkIndex('indexAdd', picks[j], size, axis)) * inner;
        const from = (o * picks.length + j) * inner;
        for (let i = 0; i < inner; i++) result[to + i] += values[from + i];
      }
    }
    return storeAs(out.dtype, result);
  },
  scatterAdd: ([x, index, source], { axis }, out) => {
    const result = Float64Array.from(dense(x));
    const offsets = indexedOffsets('scatterAdd', index.shape, x.shape, axis, dense(index));
    const sourceOffsets = offsetsOf(index.shape, source.strides, source.offset);
    for (let i = 0; i < offsets.length; i++) result[offsets[i]] += source.buffer[sourceOffsets[i]];
    return storeAs(out.dtype, result);
  },
  oneHot: ([index], { numClasses }, out) => {
    const picks = dense(index);
    const result = allocateArray(out.dtype, picks.length * numClasses);
    for (let i = 0; i < picks.length; i++) result[i * numClasses + checkIndex('oneHot', picks[i], numClasses, -1)] = 1;
    return result;
  },
  triangle: ([x], { k, upper }) => {
    const result = dense(x).slice();
    const rows = x.shape[x.shape.length - 2];
    const cols = x.shape[x.shape.length - 1];
    for (let base = 0; base < result.length; base += rows * cols) {
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) {
          const drop = upper ? j < i + k : j > i + k;
          if (drop) result[base + i * cols + j] = 0;
        }
      }
    }
    return result;
  },
};
