import { ArgumentError, ShapeError } from '../errors.js';
import { apply } from '../runtime.js';
import { broadcastShapes, isContiguous, normalizeAxes, normalizeAxis, shapesEqual, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { castTo } from './elementwise.js';

/** Copies a strided view into a new contiguous buffer. */
export function contiguous(x: Tensor): Tensor {
  return apply('contiguous', [x], {});
}

/** A new handle on the same storage, same shape. */
export function view(x: Tensor): Tensor {
  return apply('reshape', [x], { shape: [...x.shape] });
}

/** Reshapes without copying when the layout allows; one dimension may be -1. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const target = [...shape];
  const unknown = target.indexOf(-1);
  if (unknown !== -1) {
    const known = sizeOf(target.filter((_, i) => i !== unknown));
    if (target.lastIndexOf(-1) !== unknown || known === 0 || x.size % known !== 0) {
      throw new ShapeError('reshape', [x.shape], `cannot infer the -1 dimension of [${target.join(', ')}]`);
    }
    target[unknown] = x.size / known;
  }
  const source = isContiguous(x.shape, x.strides) || shapesEqual(x.shape, target) ? x : contiguous(x);
  return apply('reshape', [source], { shape: target });
}

export function flatten(x: Tensor, startAxis = 0, endAxis = -1): Tensor {
  if (x.rank === 0) return reshape(x, [1]);
  const start = normalizeAxis('flatten', startAxis, x.rank);
  const end = normalizeAxis('flatten', endAxis, x.rank);
  const middle = sizeOf(x.shape.slice(start, end + 1));
  return reshape(x, [...x.shape.slice(0, start), middle, ...x.shape.slice(end + 1)]);
}

export function squeeze(x: Tensor, axis?: number | readonly number[]): Tensor {
  const axes = axis === undefined ? x.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : normalizeAxes('squeeze', axis, x.rank);
  for (const a of axes) {
    if (x.shape[a] !== 1) throw new ShapeError('squeeze', [x.shape], `axis ${a} has size ${x.shape[a]}, not 1`);
  }
  return reshape(x, x.shape.filter((_, i) => !axes.includes(i)));
}

export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normalizeAxis('unsqueeze', axis, x.rank + 1);
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

export function permute(x: Tensor, axes: readonly number[]): Tensor {
  const normalized = axes.map((a) => normalizeAxis('permute', a, x.rank));
  const valid = normalized.length === x.rank && new Set(normalized).size === x.rank;
  if (!valid) throw new ArgumentError('permute', `axes [${axes.join(', ')}] are not a permutation of ${x.rank} axes`);
  return apply('permute', [x], { axes: normalized });
}

export function transpose(x: Tensor, axis0 = -2, axis1 = -1): Tensor {
  const axes = Array.from({ length: x.rank }, (_, i) => i);
  const a = normalizeAxis('transpose', axis0, x.rank);
  const b = normalizeAxis('transpose', axis1, x.rank);
  [axes[a], axes[b]] = [axes[b], axes[a]];
  return apply('permute', [x], { axes });
}

export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  const target = broadcastShapes('broadcastTo', x.shape, shape);
  if (!shapesEqual(target, shape)) {
    throw new ShapeError('broadcastTo', [x.shape, shape], `cannot broadcast to [${shape.join(', ')}]`);
  }
  return shapesEqual(x.shape, target) ? view(x) : apply('expand', [x], { shape: target });
}

/**
 * Strided slice, one entry per leading axis: `starts` and `ends` may be negative (counted from the end)
 * and `ends` entries may be null (to the end); steps must be positive. Returns a view.
 */
export function slice(x: Tensor, starts: readonly number[], ends?: readonly (number | null)[], steps?: readonly number[]): Tensor {
  if (starts.length > x.rank) throw new ShapeError('slice', [x.shape], `${starts.length} starts for a rank-${x.rank} tensor`);
  const s: number[] = [];
  const e: number[] = [];
  const st: number[] = [];
  for (let i = 0; i < x.rank; i++) {
    const d = x.shape[i];
    const step = steps?.[i] ?? 1;
    if (!Number.isInteger(step) || step <= 0) throw new ArgumentError('slice', `step ${step} at axis ${i} must be a positive integer`);
    const clampIndex = (v: number) => Math.min(d, Math.max(0, v < 0 ? v + d : v));
    const start = clampIndex(starts[i] ?? 0);
    const endValue = ends?.[i];
    const end = Math.max(start, endValue === null || endValue === undefined ? d : clampIndex(endValue));
    s.push(start);
    e.push(end);
    st.push(step);
  }
  return apply('slice', [x], { starts: s, ends: e, steps: st });
}

export function narrow(x: Tensor, axis: number, start: number, length: number): Tensor {
  const a = normalizeAxis('narrow', axis, x.rank);
  if (start < 0 || length < 0 || start + length > x.shape[a]) {
    throw new ArgumentError('narrow', `range [${start}, ${start + length}) is outside axis ${a} of size ${x.shape[a]}`);
  }
  const starts = x.shape.map((_, i) => (i === a ? start : 0));
  const ends = x.shape.map((d, i) => (i === a ? start + length : d));
  return slice(x, starts, ends);
}

export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new ArgumentError('concat', 'needs at least one tensor');
  const a = normalizeAxis('concat', axis, tensors[0].rank);
  const dtype = tensors[0].dtype;
  return apply('concat', tensors.map((t) => castTo(t, dtype)), { axis: a });
}

export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new ArgumentError('stack', 'needs at least one tensor');
  const a = normalizeAxis('stack', axis, tensors[0].rank + 1);
  return concat(tensors.map((t) => unsqueeze(t, a)), a);
}

/** Splits along `axis` into pieces of `sizes` (a list) or of equal size `sizes` (the last may be smaller). */
export function split(x: Tensor, sizes: number | readonly number[], axis = 0): Tensor[] {
  const a = normalizeAxis('split', axis, x.rank);
  const d = x.shape[a];
  let list: number[];
  if (typeof sizes === 'number') {
    if (!Number.isInteger(sizes) || sizes <= 0) throw new ArgumentError('split', `piece size ${sizes} must be a positive integer`);
    list = [];
    for (let start = 0; start < d; start += sizes) list.push(Math.min(sizes, d - start));
  } else list = [...sizes];
  if (list.reduce((p, q) => p + q, 0) !== d) {
    throw new ArgumentError('split', `sizes [${list.join(', ')}] do not add up to ${d}, the size of axis ${a}`);
  }
  let start = 0;
  return list.map((size) => {
    const piece = narrow(x, a, start, size);
    start += size;
    return piece;
  });
}

/** Pads with a constant; `pads[i] = [before, after]` for axis i (missing trailing axes get no padding). */
export function pad(x: Tensor, pads: readonly (readonly [number, number])[], value = 0): Tensor {
  if (pads.length > x.rank) throw new ArgumentError('pad', `${pads.length} pad pairs for a rank-${x.rank} tensor`);
  const full: [number, number][] = x.shape.map((_, i) => [pads[i]?.[0] ?? 0, pads[i]?.[1] ?? 0]);
  for (const [before, after] of full) {
    if (!Number.isInteger(before) || !Number.isInteger(after) || before < 0 || after < 0) {
      throw new ArgumentError('pad', `pads ${JSON.stringify(pads)} must be non-negative integers`);
    }
  }
  return apply('pad', [x], { pads: full, value });
}

/** out[..., i, ...] = x[..., indices[..., i, ...], ...] along `axis`; indices has x's rank. */
export function gather(x: Tensor, axis: number, indices: Tensor): Tensor {
  return apply('gather', [x, castTo(indices, 'i32')], { axis: normalizeAxis('gather', axis, x.rank) });
}

/** Selects whole slices of `x` along `axis` by a 1-D index tensor. */
export function indexSelect(x: Tensor, axis: number, indices: Tensor): Tensor {
  return apply('indexSelect', [x, castTo(indices, 'i32')], { axis: normalizeAxis('indexSelect', axis, x.rank) });
}

/** Adds `source` into a copy of `x` at positions given by `indices` along `axis` (duplicates add up). */
export function scatterAdd(x: Tensor, axis: number, indices: Tensor, source: Tensor): Tensor {
  const a = normalizeAxis('scatterAdd', axis, x.rank);
  return apply('scatterAdd', [x, castTo(indices, 'i32'), castTo(source, x.dtype)], { axis: a });
}

/** Adds slices of `source` into a copy of `x` at the 1-D `indices` along `axis`. */
export function indexAdd(x: Tensor, axis: number, indices: Tensor, source: Tensor): Tensor {
  const a = normalizeAxis('indexAdd', axis, x.rank);
  return apply('indexAdd', [x, castTo(indices, 'i32'), castTo(source, x.dtype)], { axis: a });
}

export function oneHot(indices: Tensor, numClasses: number, dtype: 'f32' | 'f64' | 'i32' = 'f32'): Tensor {
  return apply('oneHot', [castTo(indices, 'i32')], { numClasses, dtype });
}

/** Keeps the lower triangle (j <= i + k) of the last two axes, zeroing the rest. */
export const tril = (x: Tensor, k = 0) => apply('triangle', [x], { k, upper: false });
/** Keeps the upper triangle (j >= i + k) of the last two axes, zeroing the rest. */
export const triu = (x: Tensor, k = 0) => apply('triangle', [x], { k, upper: true });
