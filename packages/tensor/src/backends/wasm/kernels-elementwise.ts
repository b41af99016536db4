import type { BufferView, OutputSpec } from '../../backend.js';
import { contiguousStrides, isContiguous, sizeOf } from '../../shape.js';
import { LAYOUT } from './loader.js';
import type { WasmBuffer, WasmRuntime } from './runtime.js';
import { addressOf, collapse, copyToDense, dense, forEachOuter } from './strided.js';

/** Elementwise work of at least this many elements is shared among the threads. */
const PARALLEL_MIN_ELEMENTS = 1 << 16;
/** Elements per work item of a parallel elementwise job. */
const CHUNK = 1 << 14;

const UNARY_INDEX = new Map<string, number>(LAYOUT.unaryOps.map((op, i) => [op, i]));
const BINARY_INDEX = new Map<string, number>(LAYOUT.binaryOps.map((op, i) => [op, i]));

export function hasUnaryKernel(op: string): boolean {
  return UNARY_INDEX.has(op);
}

export function hasBinaryKernel(op: string): boolean {
  return BINARY_INDEX.has(op);
}

/** Computes y = op(x) for f32 x. A strided x is copied to contiguous memory first. */
export function unaryKernel(rt: WasmRuntime, op: string, [x]: readonly BufferView[], out: OutputSpec): WasmBuffer | null {
  const index = UNARY_INDEX.get(op);
  if (index === undefined || x.dtype !== 'f32' || out.dtype !== 'f32') return null;
  const n = sizeOf(x.shape);
  const result = rt.allocate('f32', n);
  const source = dense(rt, x);
  try {
    if (n >= PARALLEL_MIN_ELEMENTS && rt.jobThreads > 1) {
      const job = LAYOUT.unaryJob;
      rt.writeJob(LAYOUT.jobKinds.unary, Math.ceil(n / CHUNK), { [job.op]: index, [job.x]: source.ptr, [job.out]: result.ptr, [job.n]: n, [job.chunk]: CHUNK });
      rt.runJob(true);
    } else {
      rt.kernels.unary(index, source.ptr, result.ptr, n);
    }
  } finally {
    source.release();
  }
  return result;
}

interface BinaryRows {
  out: number;
  a: number;
  b: number;
  rows: number;
  cols: number;
  aRow: number;
  aCol: number;
  bRow: number;
  bCol: number;
}

function runBinaryRows(rt: WasmRuntime, op: number, r: BinaryRows): void {
  const large = r.rows * r.cols >= PARALLEL_MIN_ELEMENTS && rt.jobThreads > 1;
  if (large && r.rows === 1 && r.cols > CHUNK) {
    // One long row: run it as rows of CHUNK elements in parallel, and the remainder here.
    const full = Math.floor(r.cols / CHUNK);
    runBinaryRows(rt, op, { ...r, rows: full, cols: CHUNK, aRow: CHUNK * r.aCol, bRow: CHUNK * r.bCol });
    const done = full * CHUNK;
    const rest = r.cols - done;
    if (rest > 0) rt.kernels.binary(op, r.out + done * 4, r.a + done * r.aCol, r.b + done * r.bCol, 1, rest, 0, r.aCol, 0, r.bCol);
    return;
  }
  if (large && r.rows > 1) {
    const job = LAYOUT.binaryJob;
    const rowsPerItem = Math.max(1, Math.floor(CHUNK / Math.max(1, r.cols)));
    rt.writeJob(LAYOUT.jobKinds.binary, Math.ceil(r.rows / rowsPerItem), {
      [job.op]: op,
      [job.out]: r.out,
      [job.a]: r.a,
      [job.b]: r.b,
      [job.rows]: r.rows,
      [job.cols]: r.cols,
      [job.aRow]: r.aRow,
      [job.aCol]: r.aCol,
      [job.bRow]: r.bRow,
      [job.bCol]: r.bCol,
      [job.rowsPerItem]: rowsPerItem,
    });
    rt.runJob(true);
    return;
  }
  rt.kernels.binary(op, r.out, r.a, r.b, r.rows, r.cols, r.aRow, r.aCol, r.bRow, r.bCol);
}

/** out = a op b for f32 operands of the output's shape (broadcast views have zero strides). */
export function binaryKernel(rt: WasmRuntime, op: string, [a, b]: readonly BufferView[], out: OutputSpec): WasmBuffer | null {
  const index = BINARY_INDEX.get(op);
  if (index === undefined || a.dtype !== 'f32' || b.dtype !== 'f32' || out.dtype !== 'f32') return null;
  const n = sizeOf(out.shape);
  const result = rt.allocate('f32', n);
  if (n === 0) return result;
  const toBytes = (strides: readonly number[]) => strides.map((s) => s * 4);
  const { shape, strides } = collapse(out.shape, [toBytes(contiguousStrides(out.shape)), toBytes(a.strides), toBytes(b.strides)]);
  const [aBase, bBase] = [addressOf(a), addressOf(b)];
  if (shape.length <= 2) {
    const [rows, cols] = shape.length === 2 ? shape : [1, shape[0] ?? 1];
    const pick = (operand: number, axis: 0 | 1) => (shape.length === 2 ? strides[operand][axis] : axis === 0 ? 0 : (strides[operand][0] ?? 4));
    runBinaryRows(rt, index, {
      out: result.ptr,
      a: aBase,
      b: bBase,
      rows,
      cols,
      aRow: pick(1, 0),
      aCol: pick(1, 1),
      bRow: pick(2, 0),
      bCol: pick(2, 1),
    });
    return result;
  }
  const rank = shape.length;
  const [rows, cols] = [shape[rank - 2], shape[rank - 1]];
  forEachOuter(shape, strides, 2, ([outOffset, aOffset, bOffset]) => {
    runBinaryRows(rt, index, {
      out: result.ptr + outOffset,
      a: aBase + aOffset,
      b: bBase + bOffset,
      rows,
      cols,
      aRow: strides[1][rank - 2],
      aCol: strides[1][rank - 1],
      bRow: strides[2][rank - 2],
      bCol: strides[2][rank - 1],
    });
  });
  return result;
}

/** A contiguous copy of any view, for every dtype. */
export function contiguousKernel(rt: WasmRuntime, [x]: readonly BufferView[]): WasmBuffer {
  const result = rt.allocate(x.dtype, sizeOf(x.shape));
  if (isContiguous(x.shape, x.strides)) {
    rt.viewOf(result).set(rt.view(x.dtype, addressOf(x), result.size));
  } else {
    copyToDense(rt, x, result.ptr);
  }
  return result;
}
