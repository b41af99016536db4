import type { BufferView, OutputSpec } from '../../backend.js';
import type { DType } from '../../dtype.js';
import type { KernelOp, OpAttrs } from '../../ops/defs.js';
import { sizeOf } from '../../shape.js';
import type { Dispatcher, GpuBuffer } from './dispatch.js';
import type { KernelLimits } from './limits.js';

/** A strided view whose buffer is known to live on the GPU. */
export interface GpuView extends BufferView {
  readonly buffer: GpuBuffer;
}

export interface KernelContext {
  readonly gpu: Dispatcher;
  readonly limits: KernelLimits;
  /** A new buffer for an output of this shape and dtype (4 bytes per element, bool as u32). */
  alloc(op: string, out: OutputSpec): GpuBuffer;
  /** Runs another kernel of this backend (kernels composed from kernels). */
  execute<P extends KernelOp>(
    op: P,
    inputs: readonly GpuView[],
    attrs: OpAttrs[P],
    out: OutputSpec,
  ): GpuBuffer;
}

/** A WebGPU kernel records its dispatches and returns the new contiguous output buffer. */
export type GpuKernel<P extends KernelOp> = (
  ctx: KernelContext,
  inputs: readonly GpuView[],
  attrs: OpAttrs[P],
  out: OutputSpec,
) => GpuBuffer;

export type GpuKernelTable<K extends KernelOp> = { [P in K]: GpuKernel<P> };

/** Every element takes 4 bytes on the GPU: f32, i32, and bool stored as u32. */
export const ELEMENT_BYTES = 4;

export function contiguousStridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

/** A dense view over a whole output buffer. */
export function viewOfOutput(buffer: GpuBuffer, shape: readonly number[], dtype: DType): GpuView {
  return { buffer, dtype, shape, strides: contiguousStridesOf(shape), offset: 0 };
}

export function isContiguousView(v: BufferView): boolean {
  const dense = contiguousStridesOf(v.shape);
  return v.shape.every((d, i) => d === 1 || v.strides[i] === dense[i]);
}

/** The view as a dense buffer: itself when it already is one (any offset), else a copy the caller frees. */
export function denseView(ctx: KernelContext, v: GpuView): { view: GpuView; temporary: GpuBuffer | null } {
  if (isContiguousView(v)) return { view: v, temporary: null };
  const copy = ctx.execute('contiguous', [v], {}, { shape: v.shape, dtype: v.dtype });
  return { view: viewOfOutput(copy, v.shape, v.dtype), temporary: copy };
}

/** A view with its axes reordered so that `axes` come last (no copy). */
export function moveAxesLast(v: GpuView, axes: readonly number[]): GpuView {
  const rest = v.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const order = [...rest, ...axes];
  return { ...v, shape: order.map((i) => v.shape[i]), strides: order.map((i) => v.strides[i]) };
}

export function elementCount(shape: readonly number[]): number {
  return sizeOf(shape);
}
