import type { BufferView } from '../../backend.js';
import { bytesPerElement } from '../../dtype.js';
import { contiguousStrides, isContiguous, sizeOf } from '../../shape.js';
import type { WasmBuffer, WasmRuntime } from './runtime.js';

/** Byte address of a view's first element. */
export function addressOf(view: BufferView): number {
  return (view.buffer as WasmBuffer).ptr + view.offset * bytesPerElement(view.dtype);
}

/**
 * Drops size-1 axes and merges neighbouring axes that every operand walks contiguously, so a
 * broadcast or sliced operation runs as few, long loops. Strides are per operand, in any unit.
 */
export function collapse(shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let axis = 0; axis < shape.length; axis++) {
    const size = shape[axis];
    if (size === 1) continue;
    const last = outShape.length - 1;
    const mergeable = last >= 0 && strides.every((s, i) => outStrides[i][last] === s[axis] * size);
    if (mergeable) {
      outShape[last] *= size;
      strides.forEach((s, i) => {
        outStrides[i][last] = s[axis];
      });
    } else {
      outShape.push(size);
      for (let i = 0; i < strides.length; i++) outStrides[i].push(strides[i][axis]);
    }
  }
  return { shape: outShape, strides: outStrides };
}

/**
 * Calls `fn` with each operand's element offset for every index of the leading `shape.length - inner`
 * axes, in row-major order.
 */
export function forEachOuter(shape: readonly number[], strides: readonly (readonly number[])[], inner: number, fn: (offsets: number[]) => void): void {
  const outer = shape.length - inner;
  const count = sizeOf(shape.slice(0, outer));
  const index = new Array<number>(outer).fill(0);
  const offsets = strides.map(() => 0);
  for (let n = 0; n < count; n++) {
    fn(offsets);
    for (let axis = outer - 1; axis >= 0; axis--) {
      index[axis] += 1;
      strides.forEach((s, i) => {
        offsets[i] += s[axis];
      });
      if (index[axis] < shape[axis]) break;
      strides.forEach((s, i) => {
        offsets[i] -= s[axis] * shape[axis];
      });
      index[axis] = 0;
    }
  }
}

/** Copies a strided view into contiguous memory at `dst` (byte address), row by row in the kernel. */
export function copyToDense(rt: WasmRuntime, view: BufferView, dst: number): void {
  const bytes = bytesPerElement(view.dtype);
  const copy = bytes === 4 ? rt.kernels.copy32 : bytes === 8 ? rt.kernels.copy64 : rt.kernels.copy8;
  const { shape, strides } = collapse(view.shape, [view.strides.map((s) => s * bytes)]);
  const src = addressOf(view);
  if (sizeOf(view.shape) === 0) return;
  if (shape.length === 0) {
    copy(dst, src, 1, 1, 0, bytes);
    return;
  }
  if (shape.length === 1) {
    copy(dst, src, 1, shape[0], 0, strides[0][0]);
    return;
  }
  const rank = shape.length;
  const [rows, cols] = [shape[rank - 2], shape[rank - 1]];
  const [rowStride, colStride] = [strides[0][rank - 2], strides[0][rank - 1]];
  let at = dst;
  forEachOuter(shape, strides, 2, ([offset]) => {
    copy(at, src + offset, rows, cols, rowStride, colStride);
    at += rows * cols * bytes;
  });
}

/** Contiguous data of a view: the view itself, or a copy that `release` frees. */
export interface Dense {
  readonly ptr: number;
  release(): void;
}

export function dense(rt: WasmRuntime, view: BufferView): Dense {
  if (isContiguous(view.shape, view.strides)) return { ptr: addressOf(view), release: () => {} };
  const copy = rt.allocate(view.dtype, sizeOf(view.shape));
  copyToDense(rt, view, copy.ptr);
  return { ptr: copy.ptr, release: () => rt.free(copy) };
}

/** The view with `axes` moved last (in that order), as the cpu kernels order reduced elements. */
export function moveAxesLast(view: BufferView, axes: readonly number[]): BufferView {
  const rest = view.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const order = [...rest, ...axes];
  return { ...view, shape: order.map((i) => view.shape[i]), strides: order.map((i) => view.strides[i]) };
}

/** A view over a contiguous buffer laid out in `moved` axis order, seen in the original order. */
export function unmoveView(buffer: WasmBuffer, shape: readonly number[], axes: readonly number[]): BufferView {
  const rest = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const order = [...rest, ...axes];
  const movedStrides = contiguousStrides(order.map((i) => shape[i]));
  const strides = new Array<number>(shape.length);
  order.forEach((axis, position) => {
    strides[axis] = movedStrides[position];
  });
  return { buffer, dtype: buffer.dtype, shape, strides, offset: 0 };
}
