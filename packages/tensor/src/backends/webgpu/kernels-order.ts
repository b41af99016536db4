import type { OutputSpec } from '../../backend.js';
import type { DType } from '../../dtype.js';
import type { ScanAttrs } from '../../ops/defs.js';
import {
  elementCount,
  type GpuKernel,
  type GpuKernelTable,
  type GpuView,
  type KernelContext,
} from './kernel.js';
import { checkElementCount } from './limits.js';
import { type RowLayout, rowLayout } from './rows.js';
import { entry, Meta, scalarType, storage, WG } from './wgsl.js';

/** Rows up to this length are sorted inside one workgroup, longer ones by a bitonic network of dispatches. */
export const LOCAL_SORT_LENGTH = 1024;

/**
 * Sort keys as u32 whose unsigned order is the cpu backend's order: floats by value with -0 = +0 and
 * NaN after +inf, integers by value. Descending order flips the bits, which puts NaN first, as the
 * cpu backend's `sign * compare` does. Ties are broken by the original index, so the sort is stable.
 */
function keyFn(dtype: DType, descending: boolean): string {
  const flip = descending ? '~' : '';
  if (dtype === 'f32') {
    return `fn sort_key(x: f32) -> u32 {
  if (is_nan(x)) { return ${flip}0xffffffffu; }
  let bits = select(bitcast<u32>(x), 0u, x == 0.0);
  return ${flip}(bits ^ select(0x80000000u, 0xffffffffu, (bits & 0x80000000u) != 0u));
}
`;
  }
  if (dtype === 'i32')
    return `fn sort_key(x: i32) -> u32 { return ${flip}(bitcast<u32>(x) ^ 0x80000000u); }\n`;
  return `fn sort_key(x: u32) -> u32 { return ${flip}(x & 0xffu); }\n`;
}

/** Orders (key, index) pairs lexicographically. Padding is (0xffffffff, index >= n), after everything. */
const LESS = `fn pair_less(ka: u32, ia: u32, kb: u32, ib: u32) -> bool { return ka < kb || (ka == kb && ia < ib); }\n`;

function nextPow2(n: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, n)));
}

function localSortSource(layout: RowLayout, dtype: DType, descending: boolean, size: number): string {
  return (
    storage(1, 'x', scalarType(dtype), 'read') +
    storage(2, 'out', 'i32', 'read_write') +
    keyFn(dtype, descending) +
    LESS +
    layout.inAt(0, 'x_at') +
    layout.outAt('out_at') +
    `var<workgroup> keys: array<u32, ${size}>;
var<workgroup> ids: array<u32, ${size}>;
` +
    entry(
      WG,
      `  if (wg >= m(0u)) { return; }
  let n = m(1u);
  for (var t = lid; t < ${size}u; t += ${WG}u) {
    if (t < n) { keys[t] = sort_key(x[x_at(wg * n + t)]); } else { keys[t] = 0xffffffffu; }
    ids[t] = t;
  }
  workgroupBarrier();
  for (var span = 2u; span <= ${size}u; span = span << 1u) {
    for (var stride = span >> 1u; stride > 0u; stride = stride >> 1u) {
      for (var t = lid; t < ${size / 2}u; t += ${WG}u) {
        let lo = 2u * stride * (t / stride) + t % stride;
        let hi = lo + stride;
        let up = (lo & span) == 0u;
        if (pair_less(keys[hi], ids[hi], keys[lo], ids[lo]) == up) {
          let k = keys[lo];
          keys[lo] = keys[hi];
          keys[hi] = k;
          let d = ids[lo];
          ids[lo] = ids[hi];
          ids[hi] = d;
        }
      }
      workgroupBarrier();
    }
  }
  for (var t = lid; t < n; t += ${WG}u) { out[out_at(wg * n + t)] = i32(ids[t]); }`,
    )
  );
}

/** Global bitonic sort over `rows` padded rows of (key, index) pairs, one dispatch per network stage. */
function globalSort(
  ctx: KernelContext,
  x: GpuView,
  layout: RowLayout,
  descending: boolean,
  result: ReturnType<KernelContext['alloc']>,
): void {
  const size = nextPow2(layout.length);
  const pairs = ctx.gpu.allocate('argsort', layout.rows * size * 8);
  const init = () =>
    storage(1, 'x', scalarType(x.dtype), 'read') +
    storage(2, 'pairs', 'vec2<u32>', 'read_write') +
    keyFn(x.dtype, descending) +
    layout.inAt(0, 'x_at') +
    entry(
      WG,
      `  let e = wg * ${WG}u + lid;
  if (e >= m(0u) * ${size}u) { return; }
  let row = e / ${size}u;
  let t = e % ${size}u;
  if (t < m(1u)) { pairs[e] = vec2<u32>(sort_key(x[x_at(row * m(1u) + t)]), t); } else { pairs[e] = vec2<u32>(0xffffffffu, t); }`,
    );
  const total = layout.rows * size;
  ctx.gpu.run({
    op: 'argsort',
    key: `sort-init:${x.dtype}:${descending}:${size}:${layout.key}`,
    source: init,
    meta: layout.meta,
    bindings: [{ buffer: x.buffer }, { buffer: pairs, write: true }],
    workgroups: Math.ceil(total / WG),
  });

  const step = () =>
    storage(1, 'pairs', 'vec2<u32>', 'read_write') +
    LESS +
    entry(
      WG,
      `  let p = wg * ${WG}u + lid;
  if (p >= m(0u)) { return; }
  let half = m(1u) / 2u;
  let row = p / half;
  let t = p % half;
  let span = m(2u);
  let stride = m(3u);
  let lo = 2u * stride * (t / stride) + t % stride;
  let base = row * m(1u);
  let a = pairs[base + lo];
  let b = pairs[base + lo + stride];
  if (pair_less(b.x, b.y, a.x, a.y) == ((lo & span) == 0u)) {
    pairs[base + lo] = b;
    pairs[base + lo + stride] = a;
  }`,
    );
  for (let span = 2; span <= size; span *= 2) {
    for (let stride = span / 2; stride > 0; stride /= 2) {
      const meta = new Meta();
      meta.u32(total / 2, size, span, stride);
      ctx.gpu.run({
        op: 'argsort',
        key: 'sort-step',
        source: step,
        meta,
        bindings: [{ buffer: pairs, write: true }],
        workgroups: Math.ceil(total / 2 / WG),
      });
    }
  }

  const write = () =>
    storage(1, 'pairs', 'vec2<u32>', 'read') +
    storage(2, 'out', 'i32', 'read_write') +
    layout.outAt('out_at') +
    entry(
      WG,
      `  let e = wg * ${WG}u + lid;
  if (e >= m(0u) * m(1u)) { return; }
  let row = e / m(1u);
  let t = e % m(1u);
  out[out_at(e)] = i32(pairs[row * ${size}u + t].y);`,
    );
  ctx.gpu.run({
    op: 'argsort',
    key: `sort-write:${size}:${layout.key}`,
    source: write,
    meta: layout.meta,
    bindings: [{ buffer: pairs }, { buffer: result, write: true }],
    workgroups: Math.ceil((layout.rows * layout.length) / WG),
  });
  ctx.gpu.free(pairs);
}

const argsortKernel: GpuKernel<'argsort'> = (ctx, [x], { axis, descending }, out) => {
  checkElementCount('argsort', elementCount(out.shape));
  const result = ctx.alloc('argsort', out);
  const layout = rowLayout([x], out.shape, axis);
  if (layout.rows === 0) return result;
  if (layout.length > LOCAL_SORT_LENGTH) {
    globalSort(ctx, x, layout, descending, result);
    return result;
  }
  const size = Math.max(2, nextPow2(layout.length));
  const source = () => localSortSource(layout, x.dtype, descending, size);
  ctx.gpu.run({
    op: 'argsort',
    key: `sort-local:${x.dtype}:${descending}:${size}:${layout.key}`,
    source,
    meta: layout.meta,
    bindings: [{ buffer: x.buffer }, { buffer: result, write: true }],
    workgroups: layout.rows,
  });
  return result;
};

/** Position of step i of a scan in its row (words 2 and 3: reverse, exclusive). */
const VISIT = `fn visit(i: u32, n: u32) -> u32 { return select(i, n - 1u - i, m(2u) != 0u); }\n`;

/** Builds a scan kernel: one thread per row walks it in visiting order, accumulating in the output's type. */
function scanKernel(combine: '+' | '*', identity: string): GpuKernel<'cumsum' | 'cumprod'> {
  return (ctx, [x], attrs, out) => {
    const op = combine === '+' ? 'cumsum' : 'cumprod';
    const layout = scanLayout([x], attrs, out);
    const result = ctx.alloc(op, out);
    if (layout.rows === 0) return result;
    const t = scalarType(out.dtype);
    const read = x.dtype === 'bool' ? `${t}(x[x_at(base + p)] & 0xffu)` : `${t}(x[x_at(base + p)])`;
    const source = () =>
      storage(1, 'x', scalarType(x.dtype), 'read') +
      storage(2, 'out', t, 'read_write') +
      VISIT +
      layout.inAt(0, 'x_at') +
      layout.outAt('out_at') +
      entry(
        WG,
        `  let row = wg * ${WG}u + lid;
  if (row >= m(0u)) { return; }
  let n = m(1u);
  let base = row * n;
  var running = ${t}(${identity});
  for (var i = 0u; i < n; i++) {
    let p = visit(i, n);
    let value = ${read};
    if (m(3u) != 0u) { out[out_at(base + p)] = running; running = running ${combine} value; }
    else { running = running ${combine} value; out[out_at(base + p)] = running; }
  }`,
      );
    ctx.gpu.run({
      op,
      key: `${op}:${x.dtype}>${out.dtype}:${layout.key}`,
      source,
      meta: layout.meta,
      bindings: [{ buffer: x.buffer }, { buffer: result, write: true }],
      workgroups: Math.ceil(layout.rows / WG),
    });
    return result;
  };
}

function scanLayout(inputs: readonly GpuView[], attrs: ScanAttrs, out: OutputSpec): RowLayout {
  checkElementCount('scan', elementCount(out.shape));
  return rowLayout(inputs, out.shape, attrs.axis, [
    { value: attrs.reverse ? 1 : 0, type: 'u32' },
    { value: attrs.exclusive ? 1 : 0, type: 'u32' },
  ]);
}

/**
 * Gradient of cumprod without division (zeros allowed), one thread per element j, in visiting order:
 * inclusive dx_j = before_j * sum_{i >= j} g_i prod_{j < k <= i} x_k, and exclusive uses i > j and k < i.
 */
const cumprodGradKernel: GpuKernel<'cumprodGrad'> = (ctx, [x, g], attrs, out) => {
  const layout = scanLayout([x, g], attrs, out);
  const result = ctx.alloc('cumprodGrad', out);
  if (layout.rows === 0) return result;
  const source = () =>
    storage(1, 'x', 'f32', 'read') +
    storage(2, 'g', 'f32', 'read') +
    storage(3, 'out', 'f32', 'read_write') +
    VISIT +
    layout.inAt(0, 'x_at') +
    layout.inAt(1, 'g_at') +
    layout.outAt('out_at') +
    entry(
      WG,
      `  let e = wg * ${WG}u + lid;
  let n = m(1u);
  if (e >= m(0u) * n) { return; }
  let base = (e / n) * n;
  let j = e % n;
  let exclusive = m(3u) != 0u;
  var before = 1.0;
  for (var i = 0u; i < j; i++) { before *= x[x_at(base + visit(i, n))]; }
  var total = 0.0;
  var window = before;
  let first = select(j, j + 1u, exclusive);
  for (var i = first; i < n; i++) {
    if (i > first) { window *= x[x_at(base + visit(select(i, i - 1u, exclusive), n))]; }
    total += g[g_at(base + visit(i, n))] * window;
  }
  out[out_at(base + visit(j, n))] = total;`,
    );

  const bindings = [{ buffer: x.buffer }, { buffer: g.buffer }, { buffer: result, write: true }];
  ctx.gpu.run({
    op: 'cumprodGrad',
    key: `cumprodGrad:${layout.key}`,
    source,
    meta: layout.meta,
    bindings,
    workgroups: Math.ceil((layout.rows * layout.length) / WG),
  });
  return result;
};

export const ORDER_KERNELS: GpuKernelTable<'argsort' | 'cumsum' | 'cumprod' | 'cumprodGrad'> = {
  argsort: argsortKernel,
  cumsum: scanKernel('+', '0'),
  cumprod: scanKernel('*', '1'),
  cumprodGrad: cumprodGradKernel,
};
