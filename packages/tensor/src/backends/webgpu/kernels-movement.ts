import { castScalar, type DType } from '../../dtype.js';
import type { GpuBuffer } from './dispatch.js';
import { STATUS_OPS } from './dispatch.js';
import { coordsFn, offsetFn, PER_ELEMENT, padShape, pushView, rankOf, statusDecl } from './coords.js';
import {
  contiguousStridesOf,
  elementCount,
  type GpuKernel,
  type GpuKernelTable,
  type GpuView,
  type KernelContext,
} from './kernel.js';
import { checkElementCount } from './limits.js';
import { runMap, SCALAR_AT } from './map.js';
import { entry, Meta, readWord, scalarType, storage, WG } from './wgsl.js';

const opCode = (op: (typeof STATUS_OPS)[number]) => STATUS_OPS.indexOf(op);

/** Converts `value` to a uniform scalar stored as the cpu backend stores an element of `dtype`. */
function scalarOf(dtype: DType, value: number): { value: number; type: 'f32' | 'i32' | 'u32' } {
  return { value: castScalar(value, dtype), type: scalarType(dtype) };
}

/**
 * out[c] = src[(c - start) / step] where c lies on the window, else `fill`: the kernel of pad and of
 * the slice gradient (unslice). Words: 0 count, 1 rank, 2 fill, then out shape, starts, steps, src shape, src view.
 */
function windowRead(
  ctx: KernelContext,
  op: string,
  src: GpuView,
  outShape: readonly number[],
  starts: readonly number[],
  steps: readonly number[],
  fill: number,
): GpuBuffer {
  const total = elementCount(outShape);
  checkElementCount(op, total);
  const out = ctx.alloc(op, { shape: outShape, dtype: src.dtype });
  if (total === 0) return out;

  const rank = rankOf(outShape);
  const meta = new Meta();
  meta.u32(total, rank);
  const fillScalar = scalarOf(src.dtype, fill);
  const fillAt =
    fillScalar.type === 'f32'
      ? meta.f32(fillScalar.value)
      : fillScalar.type === 'i32'
        ? meta.i32(fillScalar.value)
        : meta.u32(fillScalar.value);
  const shapeAt = meta.u32(...padShape(outShape));
  const startsAt = meta.u32(...(starts.length ? starts : [0]));
  const stepsAt = meta.u32(...(steps.length ? steps : [1]));
  const srcShapeAt = meta.u32(...padShape(src.shape));
  const viewAt = pushView(meta, src);

  const t = scalarType(src.dtype);
  const source = () =>
    storage(1, 'src', t, 'read') +
    storage(2, 'out', t, 'read_write') +
    coordsFn(rank, shapeAt) +
    entry(
      WG,
      `${PER_ELEMENT}
  let c = coords(i);
  var at = m(${viewAt}u);
  var inside = true;
  for (var d = 0u; d < ${rank}u; d++) {
    let rel = i32(c[d]) - i32(m(${startsAt}u + d));
    let step = i32(m(${stepsAt}u + d));
    if (rel < 0 || rel % step != 0 || u32(rel / step) >= m(${srcShapeAt}u + d)) { inside = false; }
    else { at += u32(rel / step) * m(${viewAt + 1}u + d); }
  }
  if (inside) { out[i] = src[at]; } else { out[i] = ${readWord(src.dtype, fillAt)}; }`,
    );
  ctx.gpu.run({
    op,
    key: `window:${src.dtype}:r${rank}`,
    source,
    meta,
    bindings: [{ buffer: src.buffer }, { buffer: out, write: true }],
    workgroups: Math.ceil(total / WG),
  });
  return out;
}

/** Writes every element of `src` into `out` at `offset + sum(c[d] * outStrides[d])` (concat). */
function windowWrite(
  ctx: KernelContext,
  src: GpuView,
  out: GpuBuffer,
  outStrides: readonly number[],
  offset: number,
): void {
  const total = elementCount(src.shape);
  if (total === 0) return;
  const rank = rankOf(src.shape);
  const meta = new Meta();
  meta.u32(total, offset);
  const shapeAt = meta.u32(...padShape(src.shape));
  const stridesAt = meta.u32(...(outStrides.length ? outStrides : [0]));
  const viewAt = pushView(meta, src);
  const t = scalarType(src.dtype);
  const source = () =>
    storage(1, 'src', t, 'read') +
    storage(2, 'out', t, 'read_write') +
    coordsFn(rank, shapeAt) +
    offsetFn('src_at', rank, viewAt) +
    entry(
      WG,
      `${PER_ELEMENT}
  let c = coords(i);
  var to = m(1u);
  for (var d = 0u; d < ${rank}u; d++) { to += c[d] * m(${stridesAt}u + d); }
  out[to] = src[src_at(c)];`,
    );
  ctx.gpu.run({
    op: 'concat',
    key: `windowWrite:${src.dtype}:r${rank}`,
    source,
    meta,
    bindings: [{ buffer: src.buffer }, { buffer: out, write: true }],
    workgroups: Math.ceil(total / WG),
  });
}

/** Words: 0 count, 1 axis, 2 axis size of x, 3 op code, 4.. out shape, x view, index view, source view. */
function indexedKernel(
  op: 'gather' | 'indexSelect' | 'indexAdd' | 'scatterAdd',
  ctx: KernelContext,
  views: readonly GpuView[],
  outShape: readonly number[],
  axis: number,
  body: string,
): GpuBuffer {
  const x = views[0];
  const total = elementCount(outShape);
  checkElementCount(op, total);
  const out = ctx.alloc(op, { shape: outShape, dtype: x.dtype });
  if (total === 0) return out;
  const rank = rankOf(outShape);
  const meta = new Meta();
  meta.u32(total, axis, x.shape[axis], opCode(op));
  const shapeAt = meta.u32(...padShape(outShape));
  const viewAts = views.map((v) => pushView(meta, v));
  const extraAt = meta.u32(...padShape(views[1].shape));
  const t = scalarType(x.dtype);
  const names = ['x', 'index', 'source'];
  const source = () =>
    views.map((v, i) => storage(i + 1, names[i], scalarType(v.dtype), 'read')).join('') +
    storage(views.length + 1, 'out', t, 'read_write') +
    statusDecl(views.length + 2) +
    coordsFn(rank, shapeAt) +
    views.map((_, i) => offsetFn(`${names[i]}_at`, rank, viewAts[i])).join('') +
    `fn index_size(d: u32) -> u32 { return m(${extraAt}u + d); }\n` +
    entry(WG, `${PER_ELEMENT}\n${body.replaceAll('T(0)', `${t}(0)`)}`);
  const bindings = [...views.map((v) => ({ buffer: v.buffer })), { buffer: out, write: true }];
  ctx.gpu.run({
    op,
    key: `${op}:${views.map((v) => v.dtype).join(',')}:r${rank}`,
    source,
    meta,
    bindings,
    status: true,
    workgroups: Math.ceil(total / WG),
  });
  return out;
}

const GATHER = `  var c = coords(i);
  let k = index[index_at(c)];
  if (k < 0 || u32(k) >= m(2u)) { flag_bad_index(m(3u), k, m(2u)); out[i] = T(0); return; }
  c[m(1u)] = u32(k);
  out[i] = x[x_at(c)];`;

/**
 * index is 1-D: its element for output coordinate c[axis] sits at index coordinate 0. Coordinates
 * past 0 stay zero, so the words `index_at` reads beyond the index's one stride do not matter.
 */
const INDEX_SELECT = `  var c = coords(i);
  var ic: array<u32, RANK>;
  ic[0] = c[m(1u)];
  let k = index[index_at(ic)];
  if (k < 0 || u32(k) >= m(2u)) { flag_bad_index(m(3u), k, m(2u)); out[i] = T(0); return; }
  c[m(1u)] = u32(k);
  out[i] = x[x_at(c)];`;

/**
 * Adds every source slice j whose index[j] is this output's coordinate, in order of j, so the sum is
 * deterministic without float atomics. NOTE: every output element scans the whole index, which is
 * O(outputs x index length): fine for small tables, slow for an embedding gradient of a large vocabulary.
 */
const INDEX_ADD = `  var c = coords(i);
  let dest = c[m(1u)];
  var total = x[x_at(c)];
  var ic: array<u32, RANK>;
  for (var j = 0u; j < index_size(0u); j++) {
    ic[0] = j;
    let k = index[index_at(ic)];
    if (k < 0 || u32(k) >= m(2u)) { flag_bad_index(m(3u), k, m(2u)); continue; }
    if (u32(k) == dest) {
      c[m(1u)] = j;
      total += source[source_at(c)];
    }
  }
  out[i] = total;`;

/** Adds source[c'] for every c' of the index with c' = c off the axis and index[c'] = c[axis]. */
const SCATTER_ADD = `  var c = coords(i);
  let dest = c[m(1u)];
  var total = x[x_at(c)];
  var covered = true;
  for (var d = 0u; d < RANKu; d++) { if (d != m(1u) && c[d] >= index_size(d)) { covered = false; } }
  if (covered) {
    for (var j = 0u; j < index_size(m(1u)); j++) {
      c[m(1u)] = j;
      let k = index[index_at(c)];
      if (k < 0 || u32(k) >= m(2u)) { flag_bad_index(m(3u), k, m(2u)); continue; }
      if (u32(k) == dest) { total += source[source_at(c)]; }
    }
  }
  out[i] = total;`;

const oneHotKernel: GpuKernel<'oneHot'> = (ctx, [index], { numClasses }, out) => {
  const total = elementCount(out.shape);
  const result = ctx.alloc('oneHot', out);
  if (total === 0) return result;
  const meta = new Meta();
  meta.u32(total, numClasses, opCode('oneHot'), index.offset);
  const layoutAt = meta.u32(...padShape(index.shape));
  const stridesAt = meta.u32(...(index.strides.length ? index.strides : [0]));
  const rank = rankOf(index.shape);
  const t = scalarType(out.dtype);
  const source = () =>
    storage(1, 'index', 'i32', 'read') +
    storage(2, 'out', t, 'read_write') +
    statusDecl(3) +
    coordsFn(rank, layoutAt) +
    entry(
      WG,
      `${PER_ELEMENT}
  let row = i / m(1u);
  let cls = i % m(1u);
  let c = coords(row);
  var at = m(3u);
  for (var d = 0u; d < ${rank}u; d++) { at += c[d] * m(${stridesAt}u + d); }
  let k = index[at];
  if ((k < 0 || u32(k) >= m(1u)) && cls == 0u) { flag_bad_index(m(2u), k, m(1u)); }
  out[i] = select(${t}(0), ${t}(1), k == i32(cls));`,
    );
  ctx.gpu.run({
    op: 'oneHot',
    key: `oneHot:${out.dtype}:r${rank}`,
    source,
    meta,
    bindings: [{ buffer: index.buffer }, { buffer: result, write: true }],
    status: true,
    workgroups: Math.ceil(total / WG),
  });
  return result;
};

const triangleKernel: GpuKernel<'triangle'> = (ctx, [x], { k, upper }, out) => {
  const rows = x.shape[x.shape.length - 2];
  const cols = x.shape[x.shape.length - 1];
  const t = scalarType(x.dtype);
  const keep = upper ? 'col >= row + k' : 'col <= row + k';
  const helpers = `fn tri_keep(g: u32) -> bool {
  let col = i32(g % m(${SCALAR_AT + 1}u));
  let row = i32((g / m(${SCALAR_AT + 1}u)) % m(${SCALAR_AT}u));
  let k = mi(${SCALAR_AT + 2}u);
  return ${keep};
}
`;
  const scalars = [
    { value: rows, type: 'u32' as const },
    { value: cols, type: 'u32' as const },
    { value: Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, k)), type: 'i32' as const },
  ];
  return runMap(ctx, {
    op: 'triangle',
    key: `tri:${upper}`,
    inputs: [x],
    outShape: out.shape,
    outDtype: out.dtype,
    expr: `select(${t}(0), a0, tri_keep(g))`,
    helpers,
    scalars,
  });
};

export const MOVEMENT_KERNELS: GpuKernelTable<
  | 'contiguous'
  | 'unslice'
  | 'concat'
  | 'pad'
  | 'gather'
  | 'indexSelect'
  | 'indexAdd'
  | 'scatterAdd'
  | 'oneHot'
  | 'triangle'
> = {
  contiguous: (ctx, [x], _attrs, out) =>
    runMap(ctx, {
      op: 'contiguous',
      key: 'copy',
      inputs: [x],
      outShape: out.shape,
      outDtype: out.dtype,
      expr: 'a0',
    }),
  unslice: (ctx, [g], { shape, starts, steps }) => windowRead(ctx, 'unslice', g, shape, starts, steps, 0),
  pad: (ctx, [x], { pads, value }, out) =>
    windowRead(
      ctx,
      'pad',
      x,
      out.shape,
      pads.map((p) => p[0]),
      pads.map(() => 1),
      value,
    ),
  concat: (ctx, inputs, { axis }, out) => {
    const result = ctx.alloc('concat', out);
    const strides = contiguousStridesOf(out.shape);
    let position = 0;
    for (const input of inputs) {
      windowWrite(ctx, input, result, strides, position * (strides[axis] ?? 0));
      position += input.shape[axis];
    }
    return result;
  },
  gather: (ctx, [x, index], { axis }) => indexedKernel('gather', ctx, [x, index], index.shape, axis, GATHER),
  indexSelect: (ctx, [x, index], { axis }, out) =>
    indexedKernel(
      'indexSelect',
      ctx,
      [x, index],
      out.shape,
      axis,
      INDEX_SELECT.replaceAll('RANK', String(rankOf(out.shape))),
    ),
  indexAdd: (ctx, [x, index, source], { axis }) =>
    indexedKernel(
      'indexAdd',
      ctx,
      [x, index, source],
      x.shape,
      axis,
      INDEX_ADD.replaceAll('RANK', String(rankOf(x.shape))),
    ),
  scatterAdd: (ctx, [x, index, source], { axis }) =>
    indexedKernel(
      'scatterAdd',
      ctx,
      [x, index, source],
      x.shape,
      axis,
      SCATTER_ADD.replaceAll('RANK', String(rankOf(x.shape))),
    ),
  oneHot: oneHotKernel,
  triangle: triangleKernel,
};
