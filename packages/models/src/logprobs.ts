import {
  castTo,
  div,
  gather,
  isGradEnabled,
  logsumexp,
  maximum,
  mul,
  narrow,
  noGrad,
  onesLike,
  scope,
  squeeze,
  sub,
  sum,
  type Tensor,
  unsqueeze,
} from '@lab/tensor';
import { GenerationError } from './errors.js';
import type { CausalLM } from './model.js';

export interface SequenceLogProbs {
  /** log p(ids[:, t+1] | ids[:, :t+1]) for t < T-1, zero where the mask is off. (B, T-1) */
  tokenLogProbs: Tensor;
  /** The mask aligned with `tokenLogProbs`, as f32 0/1. (B, T-1) */
  mask: Tensor;
  /** Sum over the masked tokens of each row. (B) */
  sum: Tensor;
  /** Number of masked tokens of each row. (B) */
  count: Tensor;
  /** sum / count; a row with no masked token gives 0. (B) */
  mean: Tensor;
}

export interface SequenceLogProbsOptions {
  /**
   * Record gradients (default: the current autograd mode, on unless inside `noGrad`). Off, the
   * intermediates, logits included, are freed before the call returns.
   */
  grad?: boolean;
}

/**
 * Computes the log-probability of the next token at each position as the target logit minus the
 * logsumexp over the vocabulary, so the (B, T-1, V) log-softmax is never materialized.
 * logits: (B, T, V), ids: (B, T) -> (B, T-1).
 */
export function nextTokenLogProbs(logits: Tensor, ids: Tensor): Tensor {
  const t = logits.shape[1];
  const predicting = narrow(logits, 1, 0, t - 1); // (B, T-1, V)
  const targets = unsqueeze(narrow(ids, 1, 1, t - 1), 2); // (B, T-1, 1)
  const picked = squeeze(gather(predicting, 2, targets), 2); // (B, T-1)
  const normalizer = logsumexp(predicting, 2); // (B, T-1)
  return sub(picked, normalizer);
}

function alignedMask(lossMask: Tensor, ids: Tensor): Tensor {
  const [b, t] = ids.shape;
  const shape = `[${lossMask.shape.join(', ')}]`;
  if (
    lossMask.rank !== 2 ||
    lossMask.shape[0] !== b ||
    (lossMask.shape[1] !== t && lossMask.shape[1] !== t - 1)
  ) {
    throw new GenerationError(
      'sequenceLogProbs',
      `lossMask has shape ${shape}; it must be (B, T) aligned with ids or (B, T-1) aligned with the targets, for ids [${b}, ${t}]`,
    );
  }
  const mask = lossMask.shape[1] === t ? narrow(lossMask, 1, 1, t - 1) : lossMask; // (B, T-1)
  return castTo(castTo(mask, 'bool'), 'f32');
}

function compute(model: CausalLM, ids: Tensor, lossMask: Tensor | undefined): SequenceLogProbs {
  const logits = model.forward(ids); // (B, T, V)
  const all = nextTokenLogProbs(logits, ids); // (B, T-1)
  const mask = lossMask ? alignedMask(lossMask, ids) : onesLike(all); // (B, T-1)
  const tokenLogProbs = mul(all, mask); // (B, T-1)
  const total = sum(tokenLogProbs, 1); // (B)
  const count = sum(mask, 1); // (B)
  return { tokenLogProbs, mask, sum: total, count, mean: div(total, maximum(count, 1)) };
}

/**
 * Per-token log-probabilities of the given continuations, the building block of preference, reward and
 * distillation losses. ids: (B, T) i32, right-padded. lossMask: which tokens to score, either (B, T)
 * aligned with ids (column 0 is ignored, as it has no prediction) or (B, T-1) aligned with ids[:, 1:];
 * omitted, every next token counts.
 *
 * With gradients on, every intermediate stays alive for `backward()`: call it inside the caller's
 * `scope`. With gradients off, only the returned tensors survive the call.
 */
export function sequenceLogProbs(
  model: CausalLM,
  ids: Tensor,
  lossMask?: Tensor,
  options: SequenceLogProbsOptions = {},
): SequenceLogProbs {
  if (ids.rank !== 2 || ids.shape[1] < 2) {
    throw new GenerationError(
      'sequenceLogProbs',
      `ids must be (B, T) with T >= 2, got shape [${ids.shape.join(', ')}]`,
    );
  }
  const recording = options.grad ?? isGradEnabled();
  if (recording && !isGradEnabled()) {
    throw new GenerationError(
      'sequenceLogProbs',
      'grad: true was asked inside noGrad(...); call it outside noGrad to record gradients',
    );
  }
  if (!recording) return noGrad(() => scope(() => compute(model, ids, lossMask)));
  return compute(model, ids, lossMask);
}
