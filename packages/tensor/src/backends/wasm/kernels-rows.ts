import type { BufferView, OutputSpec } from '../../backend.js';
import { ArgumentError } from '../../errors.js';
import type { OpAttrs, ReduceAttrs } from '../../ops/defs.js';
import { isContiguous, sizeOf } from '../../shape.js';
import { runMatmul } from './kernels-matmul.js';
import { LAYOUT } from './loader.js';
import type { WasmBuffer, WasmRuntime } from './runtime.js';
import { addressOf, copyToDense, dense, moveAxesLast, unmoveView } from './strided.js';

const REDUCE_INDEX = new Map<string, number>(LAYOUT.reduceOps.map((op, i) => [op, i]));

/** Attention scores held at once, in floats: bounds the scratch of one chunk of heads. */
const ATTENTION_SCRATCH_FLOATS = 1 << 23;

function isTrailingBlock(axes: readonly number[], rank: number): boolean {
  return axes.every((axis, i) => axis === rank - axes.length + i);
}

function isBlock(axes: readonly number[]): boolean {
  return axes.every((axis, i) => i === 0 || axis === axes[i - 1] + 1);
}

/** sum, max and min of f32 over any axes, accumulating sums in f64. */
export function reduceKernel(rt: WasmRuntime, op: string, [x]: readonly BufferView[], attrs: ReduceAttrs, out: OutputSpec): WasmBuffer | null {
  const index = REDUCE_INDEX.get(op);
  if (index === undefined || x.dtype !== 'f32' || out.dtype !== 'f32') return null;
  const { axes } = attrs;
  const outSize = sizeOf(out.shape);
  const count = sizeOf(axes.map((a) => x.shape[a]));
  const result = rt.allocate('f32', outSize);
  if (outSize === 0) return result;
  const contiguous = isContiguous(x.shape, x.strides);
  if (contiguous && isBlock(axes) && !isTrailingBlock(axes, x.shape.length)) {
    // (outer, count, inner) with the reduced block in the middle: fold rows of `inner` floats.
    const outer = sizeOf(x.shape.slice(0, axes[0]));
    const inner = sizeOf(x.shape.slice(axes[axes.length - 1] + 1));
    const scratch = rt.scratch(inner * 8);
    try {
      rt.kernels.reduce_middle(index, addressOf(x), result.ptr, outer, count, inner, scratch.ptr);
    } finally {
      rt.free(scratch);
    }
    return result;
  }
  const moved = moveAxesLast(x, axes);
  const source = dense(rt, moved);
  try {
    rt.kernels.reduce_rows(index, source.ptr, result.ptr, outSize, count);
  } finally {
    source.release();
  }
  return result;
}

/** Index of the first extreme element along one f32 axis. */
export function argKernel(rt: WasmRuntime, op: 'argmax' | 'argmin', [x]: readonly BufferView[], attrs: OpAttrs['argmax'], out: OutputSpec): WasmBuffer | null {
  if (x.dtype !== 'f32') return null;
  const rows = sizeOf(out.shape);
  const cols = x.shape[attrs.axis];
  const result = rt.allocate('i32', rows);
  if (rows === 0) return result;
  const source = dense(rt, moveAxesLast(x, [attrs.axis]));
  try {
    rt.kernels.arg_rows(source.ptr, result.ptr, rows, cols, op === 'argmin' ? 1 : 0);
  } finally {
    source.release();
  }
  return result;
}

/**
 * Runs a row kernel over `axis` of x: the axis is moved last (copying when needed), `fn` writes the
 * moved-order output, and a result in the original order is returned.
 */
function alongAxis(rt: WasmRuntime, x: BufferView, axis: number, fn: (src: number, dst: number, rows: number, cols: number) => void): WasmBuffer {
  const size = sizeOf(x.shape);
  const cols = x.shape[axis];
  const rows = cols === 0 ? 0 : size / cols;
  const result = rt.allocate('f32', size);
  if (size === 0) return result;
  if (axis === x.shape.length - 1) {
    const source = dense(rt, x);
    try {
      fn(source.ptr, result.ptr, rows, cols);
    } finally {
      source.release();
    }
    return result;
  }
  const moved = rt.allocate('f32', size);
  try {
    copyToDense(rt, moveAxesLast(x, [axis]), moved.ptr);
    fn(moved.ptr, moved.ptr, rows, cols);
    copyToDense(rt, unmoveView(moved, x.shape, [axis]), result.ptr);
  } finally {
    rt.free(moved);
  }
  return result;
}

export function softmaxKernel(rt: WasmRuntime, op: 'softmax' | 'logSoftmax', [x]: readonly BufferView[], attrs: OpAttrs['softmax']): WasmBuffer | null {
  if (x.dtype !== 'f32') return null;
  const log = op === 'logSoftmax' ? 1 : 0;
  return alongAxis(rt, x, attrs.axis, (src, dst, rows, cols) => rt.kernels.softmax_rows(src, dst, rows, cols, log));
}

export function normKernel(rt: WasmRuntime, op: 'layerNorm' | 'rmsNorm', [x]: readonly BufferView[], attrs: OpAttrs['layerNorm']): WasmBuffer | null {
  if (x.dtype !== 'f32' || x.shape.length === 0) return null;
  const rms = op === 'rmsNorm' ? 1 : 0;
  return alongAxis(rt, x, x.shape.length - 1, (src, dst, rows, cols) => rt.kernels.norm_rows(src, dst, rows, cols, attrs.eps, rms));
}

export function crossEntropyKernel(rt: WasmRuntime, [logits, targets]: readonly BufferView[], attrs: OpAttrs['crossEntropy']): WasmBuffer | null {
  if (logits.dtype !== 'f32' || targets.dtype !== 'i32') return null;
  const [rows, classes] = logits.shape;
  const result = rt.allocate('f32', rows);
  const z = dense(rt, logits);
  const t = dense(rt, targets);
  try {
    const bad = rt.kernels.cross_entropy_rows(z.ptr, t.ptr, result.ptr, rows, classes, attrs.ignoreIndex, attrs.labelSmoothing);
    if (bad >= 0) {
      const target = rt.view('i32', t.ptr, rows)[bad];
      throw new ArgumentError('crossEntropy', `target ${target} in row ${bad} is outside [0, ${classes}) and is not ignoreIndex ${attrs.ignoreIndex}`);
    }
  } catch (error) {
    rt.free(result);
    throw error;
  } finally {
    z.release();
    t.release();
  }
  return result;
}

/**
 * softmax(q k^T * scale, masked) v for q (B, H, T, D), k (B, Hkv, S, D), v (B, Hkv, S, Dv): scores for a
 * chunk of heads come from one batched product reading k transposed through its strides, are masked and
 * normalized per row, and multiply v in a second batched product that writes the output directly.
 */
export function attentionKernel(rt: WasmRuntime, inputs: readonly BufferView[], attrs: OpAttrs['attention'], out: OutputSpec): WasmBuffer | null {
  const [q, k, v, mask] = inputs;
  if (q.dtype !== 'f32' || k.dtype !== 'f32' || v.dtype !== 'f32') return null;
  const [batch, heads, t, d] = q.shape;
  const [, kvHeads, s] = k.shape;
  const dv = v.shape[3];
  const group = heads / kvHeads;
  const result = rt.allocate('f32', sizeOf(out.shape));
  const pairs = batch * heads;
  if (pairs * t * dv === 0) return result;
  const perChunk = Math.max(1, Math.min(pairs, Math.floor(ATTENTION_SCRATCH_FLOATS / Math.max(1, t * s))));
  const scores = rt.allocate('f32', perChunk * t * s);
  const shift = attrs.causal ? s - t : s;
  try {
    for (let first = 0; first < pairs; first += perChunk) {
      const count = Math.min(perChunk, pairs - first);
      const qOffsets: number[] = [];
      const kOffsets: number[] = [];
      const vOffsets: number[] = [];
      const pOffsets: number[] = [];
      for (let pair = first; pair < first + count; pair++) {
        const [b, h] = [Math.floor(pair / heads), pair % heads];
        const kvh = Math.floor(h / group);
        qOffsets.push((b * q.strides[0] + h * q.strides[1]) * 4);
        kOffsets.push((b * k.strides[0] + kvh * k.strides[1]) * 4);
        vOffsets.push((b * v.strides[0] + kvh * v.strides[1]) * 4);
        pOffsets.push((pair - first) * t * s * 4);
      }
      // scores = q k^T: B operand (d, j) is k[j, d], read with k's strides swapped.
      runMatmul(rt, {
        m: t, n: s, k: d,
        a: addressOf(q), aRow: q.strides[2] * 4, aCol: q.strides[3] * 4,
        b: addressOf(k), bRow: k.strides[3] * 4, bCol: k.strides[2] * 4,
        c: scores.ptr, aOffsets: qOffsets, bOffsets: kOffsets,
      });
      for (let pair = first; pair < first + count; pair++) {
        const [b, h] = [Math.floor(pair / heads), pair % heads];
        const rowPtr = scores.ptr + (pair - first) * t * s * 4;
        const maskPtr = mask ? addressOf(mask) + b * mask.strides[0] + h * mask.strides[1] : 0;
        const [maskRow, maskCol] = mask ? [mask.strides[2], mask.strides[3]] : [0, 0];
        rt.kernels.attention_rows(rowPtr, t, s, attrs.scale, shift, maskPtr, maskRow, maskCol);
      }
      runMatmul(rt, {
        m: t, n: dv, k: s,
        a: scores.ptr, aRow: s * 4, aCol: 4,
        b: addressOf(v), bRow: v.strides[2] * 4, bCol: v.strides[3] * 4,
        c: result.ptr + first * t * dv * 4, aOffsets: pOffsets, bOffsets: vOffsets,
      });
    }
  } catch (error) {
    rt.free(result);
    throw error;
  } finally {
    rt.free(scores);
  }
  return result;
}
