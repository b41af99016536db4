import type { BufferView } from '../../backend.js';
import { allocateArray, type TypedArray } from '../../dtype.js';
import { contiguousStrides, isContiguous, sizeOf } from '../../shape.js';

/** A strided window, with the buffer known to be a typed array on the cpu backend. */
export interface CpuView extends BufferView {
  readonly buffer: TypedArray;
}

/** Buffer offsets of every element of a view, in row-major order of its shape. */
export function offsetsOf(shape: readonly number[], strides: readonly number[], offset: number): Int32Array | Float64Array {
  const size = sizeOf(shape);
  const out = size < 2 ** 31 ? new Int32Array(size) : new Float64Array(size);
  const rank = shape.length;
  if (size === 0) return out;
  const index = new Array<number>(rank).fill(0);
  let position = offset;
  for (let i = 0; i < size; i++) {
    out[i] = position;
    for (let axis = rank - 1; axis >= 0; axis--) {
      index[axis] += 1;
      position += strides[axis];
      if (index[axis] < shape[axis]) break;
      position -= strides[axis] * shape[axis];
      index[axis] = 0;
    }
  }
  return out;
}

/** Returns the view's elements as a contiguous typed array, without a copy when the view already is one. */
export function dense(view: CpuView): TypedArray {
  const size = sizeOf(view.shape);
  if (isContiguous(view.shape, view.strides)) {
    if (view.offset === 0 && view.buffer.length === size) return view.buffer;
    return view.buffer.subarray(view.offset, view.offset + size) as TypedArray;
  }
  const out = allocateArray(view.dtype, size);
  const offsets = offsetsOf(view.shape, view.strides, view.offset);
  const source = view.buffer;
  for (let i = 0; i < size; i++) out[i] = source[offsets[i]];
  return out;
}

/** A view whose axes are reordered so that `axes` come last, in that order. */
export function moveAxesLast(view: CpuView, axes: readonly number[]): CpuView {
  const rest = view.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const order = [...rest, ...axes];
  return {
    ...view,
    shape: order.map((i) => view.shape[i]),
    strides: order.map((i) => view.strides[i]),
  };
}

/**
 * Computes offsets into a contiguous output of `shape` for elements enumerated with `axes` moved last.
 * Kernels use them to write results computed in moved order back to their places.
 */
export function movedOutputOffsets(shape: readonly number[], axes: readonly number[]): Int32Array | Float64Array {
  const strides = contiguousStrides(shape);
  const moved = moveAxesLast({ buffer: new Float32Array(0), dtype: 'f32', shape, strides, offset: 0 }, axes);
  return offsetsOf(moved.shape, moved.strides, 0);
}
