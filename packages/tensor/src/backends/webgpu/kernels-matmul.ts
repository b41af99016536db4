import { BackendError } from '../../errors.js';
import { elementCount, type GpuKernel, type GpuKernelTable, type GpuView } from './kernel.js';
import { checkElementCount } from './limits.js';
import { collapse, entry, Meta, storage } from './wgsl.js';

/**
 * Register-blocked matmul: each invocation computes a 4x4 block of the output from vec4 loads, an
 * 8x8 workgroup covers 32x32. Shared-memory tiling was slower on SwiftShader (its invocations run
 * as SIMD lanes of one CPU thread, so a barrier costs more than the reuse saves).
 */
const TILE = 32;

type BMode = 'scalar' | 'rows' | 'cols';

interface Layout {
  m: number;
  n: number;
  k: number;
  batch: number;
  /** Strides of a over (row, k) and of b over (k, col). */
  aRow: number;
  aK: number;
  bK: number;
  bCol: number;
  batchShape: number[];
  aBatch: number[];
  bBatch: number[];
}

function layoutOf(a: GpuView, b: GpuView): Layout {
  const rank = a.shape.length;
  const batchDims = a.shape.slice(0, rank - 2);
  const merged = collapse(batchDims, [a.strides.slice(0, rank - 2), b.strides.slice(0, rank - 2)]);
  return {
    m: a.shape[rank - 2],
    k: a.shape[rank - 1],
    n: b.shape[rank - 1],
    batch: elementCount(batchDims),
    aRow: a.strides[rank - 2],
    aK: a.strides[rank - 1],
    bK: b.strides[rank - 2],
    bCol: b.strides[rank - 1],
    batchShape: merged.shape,
    aBatch: merged.strides[0],
    bBatch: merged.strides[1],
  };
}

const aligned = (...values: number[]) => values.every((v) => v % 4 === 0);

/** a can be read as vec4 along k when k is contiguous and every row starts on a 16-byte boundary. */
function aIsVec4(a: GpuView, l: Layout): boolean {
  return (l.aK === 1 || l.k === 1) && aligned(l.k, l.aRow, a.offset, ...l.aBatch);
}

function bModeOf(b: GpuView, l: Layout): BMode {
  if ((l.bCol === 1 || l.n === 1) && l.n >= 4 && aligned(l.n, l.bK, b.offset, ...l.bBatch)) return 'rows';
  if ((l.bK === 1 || l.k === 1) && aligned(l.k, l.bCol, b.offset, ...l.bBatch)) return 'cols';
  return 'scalar';
}

/** Scalar loads with bounds checks, for any strides: a row from element k, b row k from column c. */
const SCALAR_LOAD_A = `fn load_a(at: u32, k: u32) -> vec4<T> {
  var v = vec4<T>();
  for (var i = 0u; i < 4u; i++) {
    if (k + i < m(2u)) { v[i] = a[at + (k + i) * m(9u)]; }
  }
  return v;
}
`;

const SCALAR_LOAD_B = `fn load_b(base: u32, k: u32, c: u32) -> vec4<T> {
  var v = vec4<T>();
  if (k >= m(2u)) { return v; }
  for (var j = 0u; j < 4u; j++) {
    if (c + j < m(1u)) { v[j] = b[base + k * m(10u) + (c + j) * m(11u)]; }
  }
  return v;
}
`;

const ROWS = [0, 1, 2, 3];

/** Index arithmetic hoisted before the k loop, and the loads inside it (`kq` = k / 4). */
function aCode(aVec: boolean): { pre: string; load: string } {
  if (aVec) {
    return {
      pre: ROWS.map((i) => `  let a_at${i} = (ao + min(r0 + ${i}u, last) * m(8u)) / 4u;`).join('\n'),
      load: ROWS.map((i) => `    let a${i} = a[a_at${i} + kq];`).join('\n'),
    };
  }
  return {
    pre: ROWS.map((i) => `  let a_at${i} = ao + min(r0 + ${i}u, last) * m(8u);`).join('\n'),
    load: ROWS.map((i) => `    let a${i} = load_a(a_at${i}, k);`).join('\n'),
  };
}

function bCode(mode: BMode, kAligned: boolean): { pre: string; load: string } {
  if (mode === 'rows') {
    const row = (j: number) =>
      kAligned
        ? `b[b_at + (k + ${j}u) * b_step]`
        : `select(vec4<T>(), b[b_at + min(k + ${j}u, k_len - 1u) * b_step], k + ${j}u < k_len)`;
    return {
      pre: '  let b_at = (bo + min(c0, n_len - 4u)) / 4u;\n  let b_step = m(10u) / 4u;',
      load: ROWS.map((j) => `    let b${j} = ${row(j)};`).join('\n'),
    };
  }
  if (mode === 'cols') {
    return {
      pre: ROWS.map((j) => `  let bt_at${j} = (bo + min(c0 + ${j}u, n_len - 1u) * m(11u)) / 4u;`).join('\n'),
      load: `    let bt = transpose(mat4x4<f32>(b[bt_at0 + kq], b[bt_at1 + kq], b[bt_at2 + kq], b[bt_at3 + kq]));
${ROWS.map((j) => `    let b${j} = bt[${j}];`).join('\n')}`,
    };
  }
  return { pre: '', load: ROWS.map((j) => `    let b${j} = load_b(bo, k + ${j}u, c0);`).join('\n') };
}

function source(t: 'f32' | 'i32', batchRank: number, aVec: boolean, mode: BMode, kAligned: boolean): string {
  const batchFn = (name: string, at: number) =>
    batchRank === 0
      ? `fn ${name}(b: u32) -> u32 { return 0u; }\n`
      : `fn ${name}(b: u32) -> u32 {
  var rest = b;
  var at = 0u;
  for (var d = ${batchRank - 1}i; d >= 0; d--) {
    let size = m(13u + u32(d));
    at += (rest % size) * m(${at}u + u32(d));
    rest /= size;
  }
  return at;
}
`;
  const code =
    storage(1, 'a', aVec ? 'vec4<T>' : 'T', 'read') +
    storage(2, 'b', mode === 'scalar' ? 'T' : 'vec4<T>', 'read') +
    storage(3, 'out', 'T', 'read_write') +
    batchFn('a_batch', 13 + batchRank) +
    batchFn('b_batch', 13 + 2 * batchRank) +
    (aVec ? '' : SCALAR_LOAD_A) +
    (mode === 'scalar' ? SCALAR_LOAD_B : '');
  const a = aCode(aVec);
  const b = bCode(mode, kAligned);
  const body = `  let tiles = m(4u) * m(5u);
  if (wg >= m(3u) * tiles) { return; }
  let batch = wg / tiles;
  let tile = wg % tiles;
  let r0 = (tile / m(5u)) * ${TILE}u + (lid / 8u) * 4u;
  let c0 = (tile % m(5u)) * ${TILE}u + (lid % 8u) * 4u;
  let ao = m(6u) + a_batch(batch);
  let bo = m(7u) + b_batch(batch);
  let last = m(0u) - 1u;
  let n_len = m(1u);
  let k_len = m(2u);
${a.pre}
${b.pre}
${ROWS.map((i) => `  var acc${i} = vec4<T>();`).join('\n')}
  var kq = 0u;
  for (var k = 0u; k < k_len; k += 4u) {
${a.load}
${b.load}
${ROWS.map((i) => `    acc${i} += a${i}.x * b0 + a${i}.y * b1 + a${i}.z * b2 + a${i}.w * b3;`).join('\n')}
    kq += 1u;
  }
  let accs = array<vec4<T>, 4>(acc0, acc1, acc2, acc3);
  for (var i = 0u; i < 4u; i++) {
    let r = r0 + i;
    if (r >= m(0u)) { break; }
    for (var j = 0u; j < 4u; j++) {
      let c = c0 + j;
      if (c < n_len) { out[(batch * m(0u) + r) * n_len + c] = accs[i][j]; }
    }
  }`;
  return (code + entry(64, body)).replace(/\bT\b/g, t);
}

const matmulKernel: GpuKernel<'matmul'> = (ctx, [a, b], _attrs, out) => {
  if (out.dtype === 'bool')
    throw new BackendError(
      'webgpu',
      'matmul of bool tensors is not supported; cast them to f32 or i32 first',
    );
  const l = layoutOf(a, b);
  const total = l.batch * l.m * l.n;
  checkElementCount('matmul', total);
  if (l.k === 0) return ctx.execute('full', [], { shape: [...out.shape], value: 0, dtype: out.dtype }, out);
  const result = ctx.alloc('matmul', out);
  if (total === 0) return result;

  const t = out.dtype === 'f32' ? 'f32' : 'i32';
  const aVec = t === 'f32' && aIsVec4(a, l);
  const mode = t === 'f32' ? bModeOf(b, l) : 'scalar';
  const kAligned = l.k % 4 === 0;
  const tilesM = Math.ceil(l.m / TILE);
  const tilesN = Math.ceil(l.n / TILE);
  const meta = new Meta();
  meta.u32(
    l.m,
    l.n,
    l.k,
    l.batch,
    tilesM,
    tilesN,
    a.offset,
    b.offset,
    l.aRow,
    l.aK,
    l.bK,
    l.bCol,
    l.batchShape.length,
  );
  meta.u32(...l.batchShape, ...l.aBatch, ...l.bBatch);
  const batchRank = l.batchShape.length;
  ctx.gpu.run({
    op: 'matmul',
    key: `matmul:${t}:b${batchRank}:${aVec ? 'v' : 's'}:${mode}:${kAligned}`,
    source: () => source(t, batchRank, aVec, mode, kAligned),
    meta,
    bindings: [{ buffer: a.buffer }, { buffer: b.buffer }, { buffer: result, write: true }],
    workgroups: l.batch * tilesM * tilesN,
  });
  return result;
};

export const MATMUL_KERNELS: GpuKernelTable<'matmul'> = { matmul: matmulKernel };
