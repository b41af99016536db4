import { contiguousStridesOf, elementCount, type GpuView, moveAxesLast } from './kernel.js';
import { collapse, indexFn, isDense, Meta } from './wgsl.js';

export interface Scalar {
  value: number;
  type: 'u32' | 'i32' | 'f32';
}

/**
 * Uniforms of a kernel that works row by row along one axis: words 0 rows, 1 row length, 2 and 3
 * scalars, then for each input and for the output its offset, shape and strides with the axis moved
 * last. Element j of row r is row-major index r * length + j in those moved views, whatever the
 * axis and the input's strides.
 */
export interface RowLayout {
  meta: Meta;
  rows: number;
  length: number;
  /** WGSL index function for input `input` under `name`. */
  inAt: (input: number, name: string) => string;
  outAt: (name: string) => string;
  key: string;
}

export function rowLayout(
  inputs: readonly GpuView[],
  outShape: readonly number[],
  axis: number,
  scalars: readonly Scalar[] = [],
): RowLayout {
  const length = inputs[0].shape[axis];
  const rows = length === 0 ? 0 : elementCount(outShape) / length;
  const meta = new Meta();
  meta.u32(rows, length);
  for (let s = 0; s < 2; s++) {
    const scalar = scalars[s] ?? { value: 0, type: 'u32' };
    if (scalar.type === 'f32') meta.f32(scalar.value);
    else if (scalar.type === 'i32') meta.i32(scalar.value);
    else meta.u32(scalar.value);
  }
  const outView = { ...inputs[0], shape: outShape, strides: contiguousStridesOf(outShape), offset: 0 };
  const fns = [...inputs, outView].map((view) => {
    const moved = moveAxesLast(view, [axis]);
    const layout = collapse(moved.shape, [moved.strides]);
    const offsetAt = meta.u32(moved.offset);
    const shapeAt = meta.u32(...layout.shape);
    const stridesAt = meta.u32(...layout.strides[0]);
    const dense = isDense(layout.shape, layout.strides[0]);
    return {
      make: (name: string) => indexFn(name, layout.shape.length, shapeAt, stridesAt, offsetAt, dense),
      key: `${layout.shape.length}${Number(dense)}`,
    };
  });
  return {
    meta,
    rows,
    length,
    inAt: (input, name) => fns[input].make(name),
    outAt: (name) => fns[fns.length - 1].make(name),
    key: fns.map((f) => f.key).join('.'),
  };
}
