import { isFloat } from '../dtype.js';
import { ArgumentError, ShapeError } from '../errors.js';
import { apply } from '../runtime.js';
import { broadcastShapes, normalizeAxis, shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { add, castTo, div, mul, ne } from './elementwise.js';
import { broadcastTo, reshape } from './movement.js';
import { sum } from './reduce.js';

function floatInput(x: Tensor): Tensor {
  return isFloat(x.dtype) ? x : castTo(x, 'f32');
}

/** exp(x - max) / sum(exp(x - max)) along `axis`; a row that is entirely -inf gives zeros, not NaN. */
export function softmax(x: Tensor, axis = -1): Tensor {
  return apply('softmax', [floatInput(x)], { axis: normalizeAxis('softmax', axis, x.rank) });
}

/** x - logsumexp(x) along `axis`; a row that is entirely -inf gives -inf. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return apply('logSoftmax', [floatInput(x)], { axis: normalizeAxis('logSoftmax', axis, x.rank) });
}

export interface CrossEntropyOptions {
  /** Target value whose rows contribute nothing (default -100, as in PyTorch). */
  ignoreIndex?: number;
  /** 'mean' averages over rows whose target is not ignored; an all-ignored batch gives NaN, as in PyTorch. */
  reduction?: 'mean' | 'sum' | 'none';
  /** Mixes the one-hot target with the uniform distribution: (1 - s) * onehot + s / C. */
  labelSmoothing?: number;
}

/**
 * Cross-entropy of logits (..., C) against integer targets (...), classes on the last axis. Computed
 * from logsumexp, so it is finite for any finite logits.
 */
export function crossEntropy(logits: Tensor, targets: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const { ignoreIndex = -100, reduction = 'mean', labelSmoothing = 0 } = options;
  if (logits.rank < 1 || !shapesEqual(logits.shape.slice(0, -1), targets.shape)) {
    throw new ShapeError('crossEntropy', [logits.shape, targets.shape], 'targets must have the shape of logits without its last (class) axis');
  }
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) throw new ArgumentError('crossEntropy', `labelSmoothing ${labelSmoothing} must be in [0, 1]`);
  const classes = logits.shape[logits.rank - 1];
  const rows = reshape(floatInput(logits), [-1, classes]);
  const flatTargets = reshape(castTo(targets, 'i32'), [-1]);
  const perRow = apply('crossEntropy', [rows, flatTargets], { ignoreIndex, labelSmoothing });
  if (reduction === 'none') return reshape(perRow, targets.shape);
  const total = sum(perRow);
  if (reduction === 'sum') return total;
  const counted = sum(castTo(ne(flatTargets, ignoreIndex), perRow.dtype));
  return div(total, counted);
}

function checkAffine(op: string, x: Tensor, param: Tensor | undefined): void {
  const width = x.shape[x.rank - 1];
  if (param && (param.rank !== 1 || param.shape[0] !== width)) {
    throw new ShapeError(op, [x.shape, param.shape], `weight and bias must have shape [${width}]`);
  }
}

/** Layer normalization over the last axis: (x - mean) / sqrt(var + eps) * weight + bias. */
export function layerNorm(x: Tensor, weight?: Tensor, bias?: Tensor, eps = 1e-5): Tensor {
  checkAffine('layerNorm', x, weight);
  checkAffine('layerNorm', x, bias);
  let y = apply('layerNorm', [floatInput(x)], { eps });
  if (weight) y = mul(y, weight);
  if (bias) y = add(y, bias);
  return y;
}

/** RMS normalization over the last axis: x / sqrt(mean(x^2) + eps) * weight. */
export function rmsNorm(x: Tensor, weight?: Tensor, eps = 1e-6): Tensor {
  checkAffine('rmsNorm', x, weight);
  const y = apply('rmsNorm', [floatInput(x)], { eps });
  return weight ? mul(y, weight) : y;
}

export interface AttentionOptions {
  /** Query i attends to keys j <= i + (S - T), so the last query sees every key. */
  causal?: boolean;
  /** Boolean mask broadcastable to (B, H, T, S); true means attend. */
  mask?: Tensor;
  /** Multiplies the scores; default 1/sqrt(D). */
  scale?: number;
}

/**
 * Scaled dot-product attention. q: (B, H, T, D), k: (B, Hkv, S, D), v: (B, Hkv, S, Dv), where H is a
 * multiple of Hkv (grouped-query attention). Returns (B, H, T, Dv). A query with no allowed key gets a
 * zero output.
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor {
  const shapes = [q.shape, k.shape, v.shape];
  if (q.rank !== 4 || k.rank !== 4 || v.rank !== 4) throw new ShapeError('attention', shapes, 'q, k and v must be (B, H, T, D)');
  const [b, h, , d] = q.shape;
  const [bk, hk, s, dk] = k.shape;
  const ok = bk === b && v.shape[0] === b && dk === d && v.shape[1] === hk && v.shape[2] === s && h % hk === 0;
  if (!ok) throw new ShapeError('attention', shapes, 'k and v must be (B, Hkv, S, D) and (B, Hkv, S, Dv) with H a multiple of Hkv');
  const scale = options.scale ?? 1 / Math.sqrt(d);
  const inputs = [floatInput(q), castTo(k, floatInput(q).dtype), castTo(v, floatInput(q).dtype)];
  if (options.mask) {
    const full = [b, h, q.shape[2], s];
    if (!shapesEqual(broadcastShapes('attention', options.mask.shape, full), full)) {
      throw new ShapeError('attention', [...shapes, options.mask.shape], `mask must broadcast to [${full.join(', ')}]`);
    }
    inputs.push(broadcastTo(castTo(options.mask, 'bool'), full));
  }
  return apply('attention', inputs, { causal: options.causal ?? false, scale, hasMask: options.mask !== undefined });
}
