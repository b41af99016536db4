import { GradError, ShapeError } from '../errors.js';
import { shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { apply } from '../runtime.js';
import { ones } from './creation.js';
import { add, castTo, exp, logicalAnd, mul, ne, rsqrt, sub, where } from './elementwise.js';
import { matmul } from './linalg.js';
import { broadcastTo, oneHot, reshape, transpose, tril, unsqueeze } from './movement.js';
import { cumsum } from './order.js';
import { mean, sum } from './reduce.js';
import type { RuleTable } from './rule.js';
import { softmax } from './fused.js';

function sameAsInput(inputs: readonly Tensor[]) {
  return { shape: [...inputs[0].shape], dtype: inputs[0].dtype };
}

/** Repeats each of Hkv heads H / Hkv times: (B, Hkv, S, D) -> (B, H, S, D). */
function repeatHeads(t: Tensor, heads: number): Tensor {
  const [b, hk, s, d] = t.shape;
  if (hk === heads) return t;
  const expanded = broadcastTo(unsqueeze(t, 2), [b, hk, heads / hk, s, d]);
  return reshape(expanded, [b, heads, s, d]);
}

/** Sums groups of repeated heads back: (B, H, S, D) -> (B, Hkv, S, D). */
function sumHeads(t: Tensor, kvHeads: number): Tensor {
  const [b, h, s, d] = t.shape;
  if (h === kvHeads) return t;
  return sum(reshape(t, [b, kvHeads, h / kvHeads, s, d]), 2);
}

/** Which (query, key) pairs may attend, as bool (B, H, T, S), or null when all may. */
function allowedPairs(q: Tensor, k: Tensor, causal: boolean, mask: Tensor | undefined): Tensor | null {
  const t = q.shape[2];
  const s = k.shape[2];
  let allowed = mask ?? null;
  if (causal) {
    const lower = tril(ones([t, s], { dtype: 'bool', backend: q.backend.name }), s - t);
    allowed = allowed ? logicalAnd(allowed, lower) : lower;
  }
  return allowed;
}

/** softmax(q k^T * scale) with masked pairs removed, recomputed for the backward pass. */
function attentionWeights(q: Tensor, k: Tensor, causal: boolean, scale: number, mask: Tensor | undefined): Tensor {
  const keys = repeatHeads(k, q.shape[1]);
  const scores = mul(matmul(q, transpose(keys)), scale); // (B, H, T, S)
  const allowed = allowedPairs(q, k, causal, mask);
  return softmax(allowed ? where(allowed, scores, Number.NEGATIVE_INFINITY) : scores, -1);
}

function attentionVjp(inputs: readonly Tensor[], attrs: { causal: boolean; scale: number }, g: Tensor): (Tensor | null)[] {
  const [q, k, v, mask] = inputs;
  const heads = q.shape[1];
  const weights = attentionWeights(q, k, attrs.causal, attrs.scale, mask); // (B, H, T, S)
  const values = repeatHeads(v, heads); // (B, H, S, Dv)
  const dValues = matmul(transpose(weights), g); // (B, H, S, Dv)
  const dWeights = matmul(g, transpose(values)); // (B, H, T, S)
  const dScores = mul(weights, sub(dWeights, sum(mul(dWeights, weights), -1, true)));
  const dq = mul(matmul(dScores, repeatHeads(k, heads)), attrs.scale);
  const dk = mul(matmul(transpose(dScores), q), attrs.scale);
  const kvHeads = k.shape[1];
  return [dq, sumHeads(dk, kvHeads), sumHeads(dValues, kvHeads), mask ? null : null];
}

/** Gradient of per-row cross-entropy: (softmax(z) - target distribution) * g, zero on ignored rows. */
function crossEntropyVjp(logits: Tensor, targets: Tensor, attrs: { ignoreIndex: number; labelSmoothing: number }, g: Tensor): Tensor {
  const classes = logits.shape[1];
  const valid = ne(targets, attrs.ignoreIndex); // (N)
  const safeTargets = where(valid, targets, 0);
  const hot = oneHot(safeTargets, classes, logits.dtype === 'f64' ? 'f64' : 'f32');
  const smoothing = attrs.labelSmoothing;
  const targetDist = smoothing > 0 ? add(mul(hot, 1 - smoothing), smoothing / classes) : hot;
  const rowScale = where(valid, g, 0); // (N)
  return mul(sub(softmax(logits, -1), castTo(targetDist, logits.dtype)), unsqueeze(rowScale, 1));
}

type FusedOp = 'matmul' | 'softmax' | 'logSoftmax' | 'crossEntropy' | 'layerNorm' | 'rmsNorm' | 'attention';

export const FUSED_RULES: RuleTable<FusedOp> = {
  matmul: {
    infer: (inputs) => {
      const [a, b] = inputs;
      const ok = a.rank >= 2 && a.rank === b.rank && shapesEqual(a.shape.slice(0, -2), b.shape.slice(0, -2)) && a.shape[a.rank - 1] === b.shape[b.rank - 2];
      if (!ok) throw new ShapeError('matmul', [a.shape, b.shape], 'kernel needs (..., m, k) and (..., k, n) with equal batch axes');
      return { shape: [...a.shape.slice(0, -1), b.shape[b.rank - 1]], dtype: a.dtype };
    },
    vjp: ({ inputs, g }) => [matmul(g, transpose(inputs[1])), matmul(transpose(inputs[0]), g)],
  },
  softmax: {
    infer: sameAsInput,
    // dx = y * (g - sum(g * y))
    vjp: ({ output, attrs, g }) => [mul(output, sub(g, sum(mul(g, output), attrs.axis, true)))],
  },
  logSoftmax: {
    infer: sameAsInput,
    // dx = g - exp(y) * sum(g)
    vjp: ({ output, attrs, g }) => [sub(g, mul(exp(output), sum(g, attrs.axis, true)))],
  },
  crossEntropy: {
    infer: (inputs) => {
      const [logits, targets] = inputs;
      if (logits.rank !== 2 || targets.rank !== 1 || targets.shape[0] !== logits.shape[0]) {
        throw new ShapeError('crossEntropy', [logits.shape, targets.shape], 'kernel needs logits (N, C) and targets (N)');
      }
      return { shape: [logits.shape[0]], dtype: logits.dtype };
    },
    vjp: ({ inputs, attrs, g }) => [crossEntropyVjp(inputs[0], inputs[1], attrs, g), null],
  },
  layerNorm: {
    infer: sameAsInput,
    // y = (x - mean) * rstd: dx = rstd * (g - mean(g) - y * mean(g * y))
    vjp: ({ inputs, output, attrs, g }) => {
      const x = inputs[0];
      const centered = sub(x, mean(x, -1, true));
      const rstd = rsqrt(add(mean(mul(centered, centered), -1, true), attrs.eps));
      return [mul(rstd, sub(sub(g, mean(g, -1, true)), mul(output, mean(mul(g, output), -1, true))))];
    },
  },
  rmsNorm: {
    infer: sameAsInput,
    // y = x * r with r = rsqrt(mean(x^2) + eps): dx = r * (g - y * mean(g * y))
    vjp: ({ inputs, output, attrs, g }) => {
      const x = inputs[0];
      const r = rsqrt(add(mean(mul(x, x), -1, true), attrs.eps));
      return [mul(r, sub(g, mul(output, mean(mul(g, output), -1, true))))];
    },
  },
  attention: {
    infer: (inputs) => {
      const [q, , v] = inputs;
      return { shape: [q.shape[0], q.shape[1], q.shape[2], v.shape[3]], dtype: q.dtype };
    },
    vjp: ({ inputs, attrs, g }) => attentionVjp(inputs, attrs, g),
  },
};

type ScanOp = 'argsort' | 'cumsum' | 'cumprod' | 'cumprodGrad' | 'uniform' | 'full';

export const SCAN_RULES: RuleTable<ScanOp> = {
  argsort: { infer: (inputs) => ({ shape: [...inputs[0].shape], dtype: 'i32' }), vjp: null },
  cumsum: {
    infer: (inputs) => ({ shape: [...inputs[0].shape], dtype: inputs[0].dtype === 'bool' ? 'i32' : inputs[0].dtype }),
    vjp: ({ attrs, g }) => [cumsum(g, attrs.axis, { reverse: !attrs.reverse, exclusive: attrs.exclusive })],
  },
  cumprod: {
    infer: (inputs) => ({ shape: [...inputs[0].shape], dtype: inputs[0].dtype === 'bool' ? 'i32' : inputs[0].dtype }),
    vjp: ({ inputs, attrs, g }) => [apply('cumprodGrad', [inputs[0], g], attrs)],
  },
  cumprodGrad: {
    infer: sameAsInput,
    vjp: () => {
      throw new GradError('cumprod supports first-order gradients only');
    },
  },
  uniform: { infer: (_inputs, attrs) => ({ shape: [...attrs.shape], dtype: attrs.dtype }), vjp: null },
  full: { infer: (_inputs, attrs) => ({ shape: [...attrs.shape], dtype: attrs.dtype }), vjp: null },
};

