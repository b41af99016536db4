import type { GpuView } from './kernel.js';
import { type Meta, WG } from './wgsl.js';

/**
 * Helpers for kernels that work on the coordinates of each output element (gather, scatter, pad,
 * attention): WGSL to split a row-major index into coordinates and to turn coordinates into a buffer
 * index through a view's strides. Rank-0 tensors are treated as shape [1].
 */

export function rankOf(shape: readonly number[]): number {
  return Math.max(1, shape.length);
}

export function padShape(shape: readonly number[]): number[] {
  return shape.length === 0 ? [1] : [...shape];
}

export function padStrides(view: GpuView): number[] {
  return view.strides.length === 0 ? [0] : [...view.strides];
}

/** Appends a view's offset and strides and returns the word index of the offset (the strides follow it). */
export function pushView(meta: Meta, view: GpuView): number {
  return meta.u32(view.offset, ...padStrides(view));
}

/** `fn coords(i) -> array<u32, R>` over the shape at word `shapeAt`. */
export function coordsFn(rank: number, shapeAt: number): string {
  return /* wgsl */ `
fn coords(i: u32) -> array<u32, ${rank}> {
  var c: array<u32, ${rank}>;
  var rest = i;
  for (var d = ${rank - 1}i; d >= 0; d--) {
    let size = m(${shapeAt}u + u32(d));
    c[d] = rest % size;
    rest /= size;
  }
  return c;
}
`;
}

/** `fn name(c) -> u32`: buffer index of coordinates `c` in the view whose offset is at word `viewAt`. */
export function offsetFn(name: string, rank: number, viewAt: number): string {
  return /* wgsl */ `
fn ${name}(c: array<u32, ${rank}>) -> u32 {
  var at = m(${viewAt}u);
  for (var d = 0u; d < ${rank}u; d++) { at += c[d] * m(${viewAt + 1}u + d); }
  return at;
}
`;
}

/** Status flag for bad indices, bound after the kernel's other buffers. */
export function statusDecl(binding: number): string {
  return /* wgsl */ `
@group(0) @binding(${binding}) var<storage, read_write> status: array<atomic<u32>, 4>;
fn flag_bad_index(op: u32, index: i32, size: u32) {
  if (atomicExchange(&status[0], 1u) == 0u) {
    atomicStore(&status[1], op);
    atomicStore(&status[2], bitcast<u32>(index));
    atomicStore(&status[3], size);
  }
}
`;
}

/** Body prologue of a one-thread-per-element kernel whose element count is word 0. */
export const PER_ELEMENT = `  let i = wg * ${WG}u + lid;
  if (i >= m(0u)) { return; }`;
