import type { BufferView, OutputSpec } from '../../backend.js';
import type { OpAttrs } from '../../ops/defs.js';
import { sizeOf } from '../../shape.js';
import { LAYOUT } from './loader.js';
import type { WasmBuffer, WasmRuntime } from './runtime.js';
import { addressOf, forEachOuter } from './strided.js';

const { mr: MR, nr: NR, kc: KC, mc: MC, nc: NC } = LAYOUT.blocks;
const JOB = LAYOUT.matmulJob;

/** Below this many multiply-adds a product runs on the calling thread alone. */
const PARALLEL_MIN_MACS = 64 * 64 * 64;

/** One batched product: operands as byte addresses with byte strides, per-batch offsets alongside. */
export interface MatmulPlan {
  m: number;
  n: number;
  k: number;
  a: number;
  aRow: number;
  aCol: number;
  b: number;
  bRow: number;
  bCol: number;
  /** Contiguous output, batch after batch. */
  c: number;
  /** Byte offsets of A and B for each batch entry. */
  aOffsets: readonly number[];
  bOffsets: readonly number[];
}

function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

/**
 * Splits the work into items: blocks of rows (or, for few rows, of columns) of each batch entry. Two to
 * four items per thread let a thread that finishes early take over work when a core is busy elsewhere.
 */
function itemLayout(m: number, n: number, batch: number, threads: number) {
  const target = threads > 1 ? threads * (m >= 512 ? 4 : 2) : 1;
  const chunks = Math.ceil(target / batch);
  const rowPanels = Math.ceil(m / MR);
  const colPanels = Math.ceil(n / NR);
  if (chunks <= 1 || (rowPanels < chunks && colPanels < chunks)) {
    return { rowsPerItem: rowPanels * MR, colsPerItem: colPanels * NR, rowItems: 1, colItems: 1 };
  }
  if (rowPanels >= chunks) {
    const rowsPerItem = Math.ceil(rowPanels / chunks) * MR;
    return { rowsPerItem, colsPerItem: colPanels * NR, rowItems: Math.ceil(m / rowsPerItem), colItems: 1 };
  }
  const colsPerItem = Math.ceil(colPanels / chunks) * NR;
  return { rowsPerItem: rowPanels * MR, colsPerItem, rowItems: 1, colItems: Math.ceil(n / colsPerItem) };
}

/** Runs C = A B for every batch entry with the blocked SIMD kernel, on all threads when it is large. */
export function runMatmul(rt: WasmRuntime, plan: MatmulPlan): void {
  const { m, n, k } = plan;
  const batch = plan.aOffsets.length;
  if (m === 0 || n === 0 || batch === 0) return;
  if (k === 0) {
    rt.view('f32', plan.c, batch * m * n).fill(0);
    return;
  }
  const parallel = rt.jobThreads > 1 && batch * m * n * k >= PARALLEL_MIN_MACS;
  const threads = parallel ? rt.jobThreads : 1;
  const items = itemLayout(m, n, batch, threads);
  const kcMax = Math.min(KC, k);
  const aPackBytes = roundUp(Math.min(MC, items.rowsPerItem), MR) * kcMax * 4;
  const bPackBytes = roundUp(Math.min(NC, items.colsPerItem), NR) * kcMax * 4;
  const scratchBytes = roundUp(aPackBytes + bPackBytes + MR * NR * 4, 64);
  const scratch = rt.scratch(scratchBytes * threads + 64);
  const table = rt.scratch(batch * 8);
  try {
    const offsets = rt.view('i32', table.ptr, batch * 2);
    for (let p = 0; p < batch; p++) {
      offsets[2 * p] = plan.aOffsets[p];
      offsets[2 * p + 1] = plan.bOffsets[p];
    }
    rt.writeJob(LAYOUT.jobKinds.matmul, batch * items.rowItems * items.colItems, {
      [JOB.m]: m,
      [JOB.n]: n,
      [JOB.k]: k,
      [JOB.a]: plan.a,
      [JOB.aRow]: plan.aRow,
      [JOB.aCol]: plan.aCol,
      [JOB.b]: plan.b,
      [JOB.bRow]: plan.bRow,
      [JOB.bCol]: plan.bCol,
      [JOB.c]: plan.c,
      [JOB.batchTable]: table.ptr,
      [JOB.rowsPerItem]: items.rowsPerItem,
      [JOB.colsPerItem]: items.colsPerItem,
      [JOB.rowItems]: items.rowItems,
      [JOB.colItems]: items.colItems,
      [JOB.scratch]: roundUp(scratch.ptr, 64),
      [JOB.scratchBytes]: scratchBytes,
      [JOB.aPackBytes]: aPackBytes,
      [JOB.bPackBytes]: bPackBytes,
    });
    rt.runJob(parallel);
  } finally {
    rt.free(table);
    rt.free(scratch);
  }
}

/** Multiplies batched (..., m, k) x (..., k, n) f32 operands of any strides, batch axes already broadcast. */
export function matmulKernel(rt: WasmRuntime, [a, b]: readonly BufferView[], _attrs: OpAttrs['matmul'], out: OutputSpec): WasmBuffer | null {
  if (a.dtype !== 'f32' || b.dtype !== 'f32' || out.dtype !== 'f32') return null;
  const rank = a.shape.length;
  const [m, k] = [a.shape[rank - 2], a.shape[rank - 1]];
  const n = b.shape[rank - 1];
  const batchShape = a.shape.slice(0, -2);
  const result = rt.allocate('f32', sizeOf(out.shape));
  const aOffsets: number[] = [];
  const bOffsets: number[] = [];
  const batchStrides = [a.strides.slice(0, -2).map((s) => s * 4), b.strides.slice(0, -2).map((s) => s * 4)];
  forEachOuter(batchShape, batchStrides, 0, ([aOffset, bOffset]) => {
    aOffsets.push(aOffset);
    bOffsets.push(bOffset);
  });
  try {
    runMatmul(rt, {
      m,
      n,
      k,
      a: addressOf(a),
      aRow: a.strides[rank - 2] * 4,
      aCol: a.strides[rank - 1] * 4,
      b: addressOf(b),
      bRow: b.strides[rank - 2] * 4,
      bCol: b.strides[rank - 1] * 4,
      c: result.ptr,
      aOffsets,
      bOffsets,
    });
  } catch (error) {
    rt.free(result);
    throw error;
  }
  return result;
}
