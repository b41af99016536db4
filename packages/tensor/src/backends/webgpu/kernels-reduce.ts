import type { OutputSpec } from '../../backend.js';
import type { ReduceOp } from '../../ops/defs.js';
import type { GpuBuffer } from './dispatch.js';
import {
  elementCount,
  type GpuKernel,
  type GpuKernelTable,
  type GpuView,
  type KernelContext,
  moveAxesLast,
} from './kernel.js';
import { checkElementCount } from './limits.js';
import { collapse, entry, indexFn, isDense, Meta, scalarType, storage, WG } from './wgsl.js';

/** Rows longer than this are split over several workgroups and merged by a second dispatch. */
export const SPLIT_LENGTH = 512;
/** Rows shorter than this get one thread each instead of a workgroup. */
const THREAD_ROW_LENGTH = 32;

type FoldOp = ReduceOp | 'argmax' | 'argmin';

/**
 * A reduction as a fold over a small state `St { v, k }`: `init`, `acc` (add element x at index j),
 * `comb` (merge a state from higher indices into one from lower indices) and `fin` (the output),
 * each an expression or statements that return.
 */
interface Fold {
  state: string;
  init: string;
  acc: string;
  comb: string;
  fin: string;
  outType: string;
}

/** Statements returning `candidate` when `condition` holds, else the state `s` (select() takes no structs). */
function pick(condition: string, candidate: string): string {
  return `if (${condition}) { return ${candidate}; }\n  return s;`;
}

/** Turns a fold step given as an expression into statements. */
function statements(code: string): string {
  return code.includes('return') ? code : `return ${code};`;
}

function foldOf(op: FoldOp, t: 'f32' | 'i32' | 'u32', outType: string): Fold {
  const isF = t === 'f32';
  const lowest = { f32: 'neg_inf()', i32: 'i32(-2147483648)', u32: '0u' }[t];
  const highest = { f32: 'pos_inf()', i32: '2147483647i', u32: '0xffffffffu' }[t];
  const nan = (x: string) => (isF ? `is_nan(${x})` : 'false');
  const conv = (x: string) => (outType === t ? x : `${outType}(${x})`);
  switch (op) {
    case 'sum':
    case 'prod': {
      const sym = op === 'sum' ? '+' : '*';
      const id = op === 'sum' ? '0' : '1';
      const state = `struct St { v: ${outType}, k: u32 }`;
      return {
        state,
        init: `St(${outType}(${id}), 0u)`,
        acc: `St(s.v ${sym} ${conv('x')}, 0u)`,
        comb: `St(s.v ${sym} o.v, 0u)`,
        fin: 's.v',
        outType,
      };
    }
    case 'max':
    case 'min': {
      const cmp = op === 'max' ? '>' : '<';
      const take = (x: string, cur: string) => `(${nan(x)} || (!${nan(cur)} && ${x} ${cmp} ${cur}))`;
      return {
        state: `struct St { v: ${t}, k: u32 }`,
        init: `St(${op === 'max' ? lowest : highest}, 0u)`,
        acc: pick(take('x', 's.v'), 'St(x, 0u)'),
        comb: pick(take('o.v', 's.v'), 'o'),
        fin: 's.v',
        outType,
      };
    }
    case 'argmax':
    case 'argmin': {
      // NaN is the extreme. Among equal values (and among NaNs) the lower index wins.
      const cmp = op === 'argmax' ? '>' : '<';
      const beats = (a: string, b: string) =>
        `(${b}.k == 0xffffffffu || (${nan(`${a}.v`)} && (!${nan(`${b}.v`)} || ${a}.k < ${b}.k)) || (!${nan(`${a}.v`)} && !${nan(`${b}.v`)} && (${a}.v ${cmp} ${b}.v || (${a}.v == ${b}.v && ${a}.k < ${b}.k))))`;
      return {
        state: `struct St { v: ${t}, k: u32 }`,
        init: `St(${t}(0), 0xffffffffu)`,
        acc: 'f_comb(s, St(x, j))',
        comb: pick(`o.k != 0xffffffffu && ${beats('o', 's')}`, 'o'),
        fin: 'i32(s.k)',
        outType: 'i32',
      };
    }
    case 'logsumexp':
      // online form: k contains sum(exp(x - v)) as f32 bits, v the running maximum
      return {
        state: 'struct St { v: f32, k: f32 }',
        init: 'St(neg_inf(), 0.0)',
        acc: 'lse_acc(s, x)',
        comb: 'lse_comb(s, o)',
        fin: 'select(s.v + log_f(s.k), s.v, !is_finite(s.v))',
        outType: 'f32',
      };
  }
}

const LSE = /* wgsl */ `
fn lse_acc(s: St, x: f32) -> St {
  if (x == neg_inf()) { return s; }
  if (is_nan(x) || x > s.v) { return St(x, s.k * exp_f(s.v - x) + 1.0); }
  return St(s.v, s.k + exp_f(x - s.v));
}
fn lse_comb(s: St, o: St) -> St {
  if (is_nan(s.v) || is_nan(o.v)) { return St(nan_f32(), 0.0); }
  let top = max(s.v, o.v);
  if (!is_finite(top)) { return St(top, 0.0); }
  return St(top, s.k * exp_f(s.v - top) + o.k * exp_f(o.v - top));
}
`;

function foldFunctions(f: Fold, t: string, lse: boolean): string {
  return `${f.state}
${lse ? LSE : ''}
fn f_init() -> St { return ${f.init}; }
fn f_acc(s: St, x: ${t}, j: u32) -> St {
  ${statements(f.acc)}
}
fn f_comb(s: St, o: St) -> St {
  ${statements(f.comb)}
}
fn f_fin(s: St) -> ${f.outType} { return ${f.fin}; }
`;
}

/** Shared-memory tree merge of the 64 per-thread states. Thread 0 ends with the workgroup's state. */
const TREE = `
  states[lid] = s;
  workgroupBarrier();
  for (var half = ${WG / 2}u; half > 0u; half = half >> 1u) {
    if (lid < half) { states[lid] = f_comb(states[lid], states[lid + half]); }
    workgroupBarrier();
  }`;

interface Plan {
  rows: number;
  length: number;
  /** Workgroups per row in the first pass (1 when the row is not split). */
  chunks: number;
  threadPerRow: boolean;
}

function planOf(rows: number, length: number): Plan {
  const threadPerRow = length <= THREAD_ROW_LENGTH && rows >= WG;
  const chunks = threadPerRow || length <= SPLIT_LENGTH ? 1 : Math.ceil(length / SPLIT_LENGTH);
  return { rows, length, chunks, threadPerRow };
}

/** Words: 0 rows, 1 length, 2 chunks, 3 chunk length, 4 rank, 5 offset, 6.. shape, then strides. */
function viewMeta(view: GpuView, plan: Plan): { meta: Meta; rank: number; dense: boolean } {
  const layout = collapse(view.shape, [view.strides]);
  const rank = layout.shape.length;
  const meta = new Meta();
  meta.u32(plan.rows, plan.length, plan.chunks, Math.ceil(plan.length / plan.chunks), rank, view.offset);
  meta.u32(...layout.shape);
  meta.u32(...layout.strides[0]);
  return { meta, rank, dense: isDense(layout.shape, layout.strides[0]) };
}

function firstPass(f: string, t: string, rank: number, dense: boolean, plan: Plan, partial: boolean): string {
  const outDecl = partial ? storage(2, 'out', 'St', 'read_write') : storage(2, 'out', 'OUT_T', 'read_write');
  const head = storage(1, 'src', t, 'read') + outDecl + f + indexFn('at', rank, 6, 6 + rank, 5, dense);
  if (plan.threadPerRow) {
    return (
      head +
      entry(
        WG,
        `  let row = wg * ${WG}u + lid;
  if (row >= m(0u)) { return; }
  var s = f_init();
  for (var j = 0u; j < m(1u); j++) { s = f_acc(s, src[at(row * m(1u) + j)], j); }
  out[row] = f_fin(s);`,
      )
    );
  }
  const write = partial ? 'out[wg] = states[0];' : 'out[row] = f_fin(states[0]);';
  return (
    head +
    `var<workgroup> states: array<St, ${WG}>;\n` +
    entry(
      WG,
      `  if (wg >= m(0u) * m(2u)) { return; }
  let row = wg / m(2u);
  let chunk = wg % m(2u);
  let start = chunk * m(3u);
  let end = min(start + m(3u), m(1u));
  var s = f_init();
  for (var j = start + lid; j < end; j += ${WG}u) { s = f_acc(s, src[at(row * m(1u) + j)], j); }
${TREE}
  if (lid == 0u) { ${write} }`,
    )
  );
}

function mergePass(f: string): string {
  return (
    storage(1, 'parts', 'St', 'read') +
    storage(2, 'out', 'OUT_T', 'read_write') +
    f +
    `var<workgroup> states: array<St, ${WG}>;\n` +
    entry(
      WG,
      `  if (wg >= m(0u)) { return; }
  var s = f_init();
  for (var c = lid; c < m(2u); c += ${WG}u) { s = f_comb(s, parts[wg * m(2u) + c]); }
${TREE}
  if (lid == 0u) { out[wg] = f_fin(states[0]); }`,
    )
  );
}

/** Folds `view` over its last `length` elements per row (reduced axes already moved last). */
export function runFold(
  ctx: KernelContext,
  op: FoldOp,
  view: GpuView,
  length: number,
  out: OutputSpec,
): GpuBuffer {
  const rows = elementCount(out.shape);
  checkElementCount(op, elementCount(view.shape));
  const result = ctx.alloc(op, out);
  if (rows === 0) return result;

  const t = scalarType(view.dtype);
  const outType = scalarType(out.dtype);
  const fold = foldOf(op, t, outType);
  const f = foldFunctions(fold, t, op === 'logsumexp').replaceAll('OUT_T', fold.outType);

  const plan = planOf(rows, length);
  const { meta, rank, dense } = viewMeta(view, plan);
  const split = plan.chunks > 1;
  let mode = split ? 'split' : 'group';
  if (plan.threadPerRow) mode = 'thread';
  const base = `reduce:${op}:${view.dtype}>${out.dtype}:r${rank}:${Number(dense)}`;
  const source = () => firstPass(f, t, rank, dense, plan, split).replaceAll('OUT_T', fold.outType);

  if (!split) {
    const workgroups = plan.threadPerRow ? Math.ceil(rows / WG) : rows;
    ctx.gpu.run({
      op,
      key: `${base}:${mode}`,
      source,
      meta,
      bindings: [{ buffer: view.buffer }, { buffer: result, write: true }],
      workgroups,
    });
    return result;
  }

  const parts = ctx.gpu.allocate(op, rows * plan.chunks * 8);
  ctx.gpu.run({
    op,
    key: `${base}:split`,
    source,
    meta,
    bindings: [{ buffer: view.buffer }, { buffer: parts, write: true }],
    workgroups: rows * plan.chunks,
  });

  const mergeMeta = new Meta();
  mergeMeta.u32(rows, length, plan.chunks);
  const mergeSource = () => mergePass(f).replaceAll('OUT_T', fold.outType);
  ctx.gpu.run({
    op,
    key: `${base}:merge`,
    source: mergeSource,
    meta: mergeMeta,
    bindings: [{ buffer: parts }, { buffer: result, write: true }],
    workgroups: rows,
  });
  ctx.gpu.free(parts);
  return result;
}

function reduceKernel(op: ReduceOp): GpuKernel<ReduceOp> {
  return (ctx, [x], { axes }, out) => {
    const length = elementCount(axes.map((a) => x.shape[a]));
    return runFold(ctx, op, moveAxesLast(x, axes), length, out);
  };
}

function argKernel(op: 'argmax' | 'argmin'): GpuKernel<'argmax' | 'argmin'> {
  return (ctx, [x], { axis }, out) => runFold(ctx, op, moveAxesLast(x, [axis]), x.shape[axis], out);
}

export const REDUCE_KERNELS: GpuKernelTable<ReduceOp | 'argmax' | 'argmin'> = {
  sum: reduceKernel('sum'),
  prod: reduceKernel('prod'),
  max: reduceKernel('max'),
  min: reduceKernel('min'),
  logsumexp: reduceKernel('logsumexp'),
  argmax: argKernel('argmax'),
  argmin: argKernel('argmin'),
};
