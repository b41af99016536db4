import { allocateArray, type TypedArray } from '../../dtype.js';
import { ArgumentError } from '../../errors.js';
import { sizeOf } from '../../shape.js';
import type { CpuKernel, CpuKernelTable } from './kernel.js';
import { matmulKernel } from './kernels-matmul.js';
import { dense, moveAxesLast, movedOutputOffsets } from './strided.js';

/** Runs `rowFn` over every row along `axis` and writes each result row back in place of its input row. */
function alongAxis(rowFn: (row: Float64Array) => void): CpuKernel<'softmax' | 'logSoftmax'> {
  return ([x], { axis }, out) => {
    const moved = dense(moveAxesLast(x, [axis]));
    const length = x.shape[axis];
    const targets = movedOutputOffsets(out.shape, [axis]);
    const result = allocateArray(out.dtype, moved.length);
    const row = new Float64Array(length);
    for (let start = 0; start < moved.length; start += length) {
      for (let i = 0; i < length; i++) row[i] = moved[start + i];
      rowFn(row);
      for (let i = 0; i < length; i++) result[targets[start + i]] = row[i];
    }
    return result;
  };
}

function rowMax(row: ArrayLike<number>): number {
  let m = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < row.length; i++) if (row[i] > m || Number.isNaN(row[i])) m = row[i];
  return m;
}

/** Softmax of one row in place; a row with no finite maximum (all -inf) becomes zeros. */
function softmaxRow(row: Float64Array): void {
  const m = rowMax(row);
  if (m === Number.NEGATIVE_INFINITY) {
    row.fill(0);
    return;
  }
  let total = 0;
  for (let i = 0; i < row.length; i++) {
    row[i] = Math.exp(row[i] - m);
    total += row[i];
  }
  for (let i = 0; i < row.length; i++) row[i] /= total;
}

/** log(softmax) of one row in place, as (x - m) - log(total): m + log(total) would lose log(total) when |m| is huge. */
function logSoftmaxRow(row: Float64Array): void {
  const m = rowMax(row);
  if (m === Number.NEGATIVE_INFINITY) return;
  let total = 0;
  for (let i = 0; i < row.length; i++) total += Math.exp(row[i] - m);
  const logTotal = Math.log(total);
  for (let i = 0; i < row.length; i++) row[i] = row[i] - m - logTotal;
}

/** Normalizes each row of the last axis in place of a copy; `scale` gives the factor from the row's values. */
function normalizeRows(scale: (row: TypedArray, start: number, length: number) => [number, number]): CpuKernel<'layerNorm' | 'rmsNorm'> {
  return ([x], _attrs, out) => {
    const source = dense(x);
    const length = x.shape[x.shape.length - 1];
    const result = allocateArray(out.dtype, source.length);
    for (let start = 0; start < source.length; start += length) {
      const [shift, factor] = scale(source, start, length);
      for (let i = start; i < start + length; i++) result[i] = (source[i] - shift) * factor;
    }
    return result;
  };
}

const layerNormKernel: CpuKernel<'layerNorm'> = (inputs, attrs, out) =>
  normalizeRows((row, start, length) => {
    let mean = 0;
    for (let i = start; i < start + length; i++) mean += row[i];
    mean /= length;
    let variance = 0;
    for (let i = start; i < start + length; i++) variance += (row[i] - mean) ** 2;
    return [mean, 1 / Math.sqrt(variance / length + attrs.eps)];
  })(inputs, attrs, out);

const rmsNormKernel: CpuKernel<'rmsNorm'> = (inputs, attrs, out) =>
  normalizeRows((row, start, length) => {
    let squares = 0;
    for (let i = start; i < start + length; i++) squares += row[i] * row[i];
    return [0, 1 / Math.sqrt(squares / length + attrs.eps)];
  })(inputs, attrs, out);

/**
 * Per-row cross-entropy: logsumexp(z) - ((1 - s) z_t + (s / C) sum(z)); 0 for ignored rows. Computed as
 * log(total) + (1 - s)(m - z_t) + (s / C) sum(m - z), which keeps log(total) when |m| is huge.
 */
const crossEntropyKernel: CpuKernel<'crossEntropy'> = ([logits, targets], { ignoreIndex, labelSmoothing }, out) => {
  const z = dense(logits);
  const t = dense(targets);
  const [rows, classes] = logits.shape;
  const result = allocateArray(out.dtype, rows);
  for (let r = 0; r < rows; r++) {
    const target = t[r];
    if (target === ignoreIndex) continue;
    if (target < 0 || target >= classes) {
      throw new ArgumentError('crossEntropy', `target ${target} in row ${r} is outside [0, ${classes}) and is not ignoreIndex ${ignoreIndex}`);
    }
    const row = z.subarray(r * classes, (r + 1) * classes);
    const m = rowMax(row);
    let total = 0;
    let gapSum = 0;
    for (let c = 0; c < classes; c++) {
      total += Math.exp(row[c] - m);
      gapSum += m - row[c];
    }
    // without smoothing a -inf logit must not turn the unused term into 0 * inf = NaN
    const smoothed = labelSmoothing > 0 ? (labelSmoothing / classes) * gapSum : 0;
    result[r] = Math.log(total) + (1 - labelSmoothing) * (m - row[target]) + smoothed;
  }
  return result;
};

/** Attention with the softmax of each query row over its allowed keys; no allowed key gives zeros. */
const attentionKernel: CpuKernel<'attention'> = (inputs, { causal, scale, hasMask }, out) => {
  const [q, k, v] = inputs.map(dense);
  const mask = hasMask ? dense(inputs[3]) : null;
  const [batch, heads, tq, d] = inputs[0].shape;
  const [, kvHeads, s] = inputs[1].shape;
  const dv = inputs[2].shape[3];
  const group = heads / kvHeads;
  const result = allocateArray(out.dtype, sizeOf(out.shape));
  const weights = new Float64Array(s);
  const outRow = new Float64Array(dv); // accumulated in double, rounded once on store
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const kvBase = (b * kvHeads + Math.floor(h / group)) * s;
      for (let i = 0; i < tq; i++) {
        const qBase = ((b * heads + h) * tq + i) * d;
        const maskBase = ((b * heads + h) * tq + i) * s;
        for (let j = 0; j < s; j++) {
          const allowed = (!causal || j <= i + s - tq) && (mask === null || mask[maskBase + j] !== 0);
          if (!allowed) {
            weights[j] = Number.NEGATIVE_INFINITY;
            continue;
          }
          let dot = 0;
          for (let c = 0; c < d; c++) dot += q[qBase + c] * k[(kvBase + j) * d + c];
          weights[j] = dot * scale;
        }
        softmaxRow(weights);
        outRow.fill(0);
        for (let j = 0; j < s; j++) {
          const w = weights[j];
          if (w === 0) continue;
          for (let c = 0; c < dv; c++) outRow[c] += w * v[(kvBase + j) * dv + c];
        }
        result.set(outRow, ((b * heads + h) * tq + i) * dv);
      }
    }
  }
  return result;
};

export const FUSED_KERNELS: CpuKernelTable<'softmax' | 'logSoftmax' | 'crossEntropy' | 'layerNorm' | 'rmsNorm' | 'attention' | 'matmul'> = {
  softmax: alongAxis(softmaxRow),
  logSoftmax: alongAxis(logSoftmaxRow),
  crossEntropy: crossEntropyKernel,
  layerNorm: layerNormKernel,
  rmsNorm: rmsNormKernel,
  attention: attentionKernel,
  matmul: matmulKernel,
};
