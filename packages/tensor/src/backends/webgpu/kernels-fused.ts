import type { OutputSpec } from '../../backend.js';
import { STATUS_OPS } from './dispatch.js';
import { statusDecl } from './coords.js';
import {
  elementCount,
  type GpuKernel,
  type GpuKernelTable,
  type GpuView,
  type KernelContext,
} from './kernel.js';
import { checkElementCount } from './limits.js';
import { rowLayout } from './rows.js';
import { entry, storage, WG } from './wgsl.js';

/**
 * Row kernels: one workgroup per row, statistics accumulated in f32 and merged through workgroup
 * memory. Softmax-like rows subtract the row maximum first, so they never overflow.
 */
const ROW_REDUCE = /* wgsl */ `
var<workgroup> red: array<f32, ${WG}>;
fn max_nan(a: f32, b: f32) -> f32 {
  if (is_nan(a)) { return a; }
  if (is_nan(b)) { return b; }
  return select(b, a, a > b);
}
fn row_sum(v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var half = ${WG / 2}u; half > 0u; half = half >> 1u) {
    if (lid < half) { red[lid] = red[lid] + red[lid + half]; }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();
  return total;
}
fn row_max(v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var half = ${WG / 2}u; half > 0u; half = half >> 1u) {
    if (lid < half) { red[lid] = max_nan(red[lid], red[lid + half]); }
    workgroupBarrier();
  }
  let top = red[0];
  workgroupBarrier();
  return top;
}
`;

/** Row bodies, in which `x_j(j)` reads element j of the row and `put(j, v)` writes it. */
const ROW_BODIES = {
  softmax: `  let top = row_max(row_reduce_max(), lid);
  let total = row_sum(row_reduce_exp(top), lid);
  for (var j = lid; j < len; j += ${WG}u) {
    // a row with no finite maximum (all -inf) becomes zeros
    put(j, select(exp_f(x_j(j) - top) / total, 0.0, top == neg_inf()));
  }`,
  logSoftmax: `  let top = row_max(row_reduce_max(), lid);
  let total = row_sum(row_reduce_exp(top), lid);
  // (x - top) - log(total): top + log(total) would lose log(total) when |top| is huge
  let log_total = log_f(total);
  for (var j = lid; j < len; j += ${WG}u) { put(j, select((x_j(j) - top) - log_total, x_j(j), top == neg_inf())); }`,
  layerNorm: `  var s = 0.0;
  for (var j = lid; j < len; j += ${WG}u) { s += x_j(j); }
  let mean = row_sum(s, lid) / f32(len);
  var q = 0.0;
  for (var j = lid; j < len; j += ${WG}u) { let d = x_j(j) - mean; q += d * d; }
  let rstd = 1.0 / sqrt(row_sum(q, lid) / f32(len) + mf(2u));
  for (var j = lid; j < len; j += ${WG}u) { put(j, (x_j(j) - mean) * rstd); }`,
  rmsNorm: `  var q = 0.0;
  for (var j = lid; j < len; j += ${WG}u) { let v = x_j(j); q += v * v; }
  let r = 1.0 / sqrt(row_sum(q, lid) / f32(len) + mf(2u));
  for (var j = lid; j < len; j += ${WG}u) { put(j, x_j(j) * r); }`,
};

const ROW_HELPERS = `
fn row_reduce_max_at(row: u32, lid: u32) -> f32 {
  var top = neg_inf();
  for (var j = lid; j < m(1u); j += ${WG}u) { top = max_nan(top, x[x_at(row * m(1u) + j)]); }
  return top;
}
fn row_reduce_exp_at(row: u32, lid: u32, top: f32) -> f32 {
  var total = 0.0;
  for (var j = lid; j < m(1u); j += ${WG}u) { total += exp_f(x[x_at(row * m(1u) + j)] - top); }
  return total;
}
`;

function rowKernel(
  ctx: KernelContext,
  op: keyof typeof ROW_BODIES,
  x: GpuView,
  axis: number,
  out: OutputSpec,
  eps = 0,
) {
  const total = elementCount(out.shape);
  checkElementCount(op, total);
  const result = ctx.alloc(op, out);
  if (total === 0 || x.shape[axis] === 0) return result;
  const layout = rowLayout([x], out.shape, axis, [{ value: eps, type: 'f32' }]);
  const body = ROW_BODIES[op]
    .replaceAll('row_reduce_max()', 'row_reduce_max_at(wg, lid)')
    .replaceAll('row_reduce_exp(top)', 'row_reduce_exp_at(wg, lid, top)')
    .replace(/x_j\(j\)/g, 'x[x_at(wg * len + j)]')
    .replace(/put\(j, (.*)\);/g, 'out[out_at(wg * len + j)] = $1;');
  const source = () =>
    storage(1, 'x', 'f32', 'read') +
    storage(2, 'out', 'f32', 'read_write') +
    ROW_REDUCE +
    ROW_HELPERS +
    layout.inAt(0, 'x_at') +
    layout.outAt('out_at') +
    entry(WG, `  if (wg >= m(0u)) { return; }\n  let len = m(1u);\n${body}`);
  ctx.gpu.run({
    op,
    key: `${op}:${layout.key}`,
    source,
    meta: layout.meta,
    bindings: [{ buffer: x.buffer }, { buffer: result, write: true }],
    workgroups: layout.rows,
  });
  return result;
}

/** Per row: logsumexp(z) - ((1 - s) z_t + (s / C) sum(z)), or 0 where the target is ignoreIndex. */
const crossEntropyKernel: GpuKernel<'crossEntropy'> = (
  ctx,
  [logits, targets],
  { ignoreIndex, labelSmoothing },
  out,
) => {
  const [rows, classes] = logits.shape;
  const result = ctx.alloc('crossEntropy', out);
  if (rows === 0) return result;
  const layout = rowLayout([logits], [rows, classes], 1, [{ value: labelSmoothing, type: 'f32' }]);
  const targetAt = layout.meta.u32(targets.offset, targets.strides[0] ?? 0);
  const ignoreAt = layout.meta.i32(Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.trunc(ignoreIndex))));
  const ignorable = Number.isInteger(ignoreIndex);
  const code = STATUS_OPS.indexOf('crossEntropy');
  const body = `  if (wg >= m(0u)) { return; }
  let len = m(1u);
  let t = targets[m(${targetAt}u) + wg * m(${targetAt + 1}u)];
  let top = row_max(row_reduce_max_at(wg, lid), lid);
  let total = row_sum(row_reduce_exp_at(wg, lid, top), lid);
  var s = 0.0;
  for (var j = lid; j < len; j += ${WG}u) { s += x[x_at(wg * len + j)]; }
  let row_total = row_sum(s, lid);
  if (lid != 0u) { return; }
  if (${ignorable} && t == mi(${ignoreAt}u)) { out[wg] = 0.0; return; }
  if (t < 0 || u32(t) >= len) { flag_bad_index(${code}u, t, len); out[wg] = 0.0; return; }
  let smoothing = mf(2u);
  let lse = top + log_f(total);
  out[wg] = lse - ((1.0 - smoothing) * x[x_at(wg * len + u32(t))] + (smoothing / f32(len)) * row_total);`;
  const source = () =>
    storage(1, 'x', 'f32', 'read') +
    storage(2, 'targets', 'i32', 'read') +
    storage(3, 'out', 'f32', 'read_write') +
    statusDecl(4) +
    ROW_REDUCE +
    ROW_HELPERS +
    layout.inAt(0, 'x_at') +
    entry(WG, body);
  const bindings = [{ buffer: logits.buffer }, { buffer: targets.buffer }, { buffer: result, write: true }];
  ctx.gpu.run({
    op: 'crossEntropy',
    key: `crossEntropy:${layout.key}:${ignorable}`,
    source,
    meta: layout.meta,
    bindings,
    status: true,
    workgroups: rows,
  });
  return result;
};

export const FUSED_KERNELS: GpuKernelTable<
  'softmax' | 'logSoftmax' | 'layerNorm' | 'rmsNorm' | 'crossEntropy'
> = {
  softmax: (ctx, [x], { axis }, out) => rowKernel(ctx, 'softmax', x, axis, out),
  logSoftmax: (ctx, [x], { axis }, out) => rowKernel(ctx, 'logSoftmax', x, axis, out),
  layerNorm: (ctx, [x], { eps }, out) => rowKernel(ctx, 'layerNorm', x, x.shape.length - 1, out, eps),
  rmsNorm: (ctx, [x], { eps }, out) => rowKernel(ctx, 'rmsNorm', x, x.shape.length - 1, out, eps),
  crossEntropy: crossEntropyKernel,
};
