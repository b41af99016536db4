/**
 * Unlearning losses as pure functions of per-token response log-probs and their masks:
 *   GA        forget term = token-mean of log pi over the forget batch (= -NLL token-mean)
 *   NPO       forget term = mean_b (2/beta) * softplus(beta * (log pi(y|x) - log pi_ref(y|x)))
 *   SimNPO    forget term = mean_b (2/beta) * softplus((beta/|y|) * log pi(y|x) + gamma)
 *   retain    token-mean NLL over the retain batch
 * A full objective is forgetWeight * forget term + retainWeight * retain term (GradDiff = GA + retain).
 *
 * Log-probs must come from a log-softmax of the logits (see `responseLogProbs`); forming the "ratio"
 * from raw logits is a known mistake of some reference code and is not what the losses mean.
 * SimNPO's margin gamma follows the paper, outside beta; code that writes beta * (avgNLL - delta)
 * uses delta = gamma / beta (see `marginFromCodeDelta`).
 */
import { nextTokenLogProbs } from '@lab/models';
import { castTo, div, type Tensor, maximum, mean, mul, neg, softplus, sum } from '@lab/tensor';
import { LossInputError, UnlearningConfigError } from './errors.js';

/** Response log-probs of a batch: log pi(y_t | x, y_<t) where mask is 1, anything where it is 0. */
export interface ResponseLogProbs {
  /** (B, T) */
  tokenLogProbs: Tensor;
  /** 1 on scored response tokens, 0 on prompt and padding. (B, T) */
  mask: Tensor;
}

export type ForgetLossKind = 'ga' | 'npo' | 'simnpo';

export interface ForgetLossSettings {
  kind: ForgetLossKind;
  /** Inverse temperature of NPO and SimNPO; ignored by GA. */
  beta: number;
  /** SimNPO margin gamma in the paper's form, outside beta; ignored by GA and NPO. */
  margin: number;
}

export interface ObjectiveSettings extends ForgetLossSettings {
  forgetWeight: number;
  retainWeight: number;
}

export interface ObjectiveInputs {
  forget: ResponseLogProbs;
  /** Summed reference log-probs of the forget rows, needed by NPO only. (B) */
  referenceLogProbs?: Tensor;
  /** Needed when retainWeight is not 0. */
  retain?: ResponseLogProbs;
}

export interface ObjectiveOutput {
  loss: Tensor;
  forgetLoss: Tensor;
  /** Absent when retainWeight is 0. */
  retainLoss?: Tensor;
}

function checkPair(what: string, x: ResponseLogProbs): void {
  const a = x.tokenLogProbs.shape;
  const m = x.mask.shape;
  if (a.length !== 2 || m.length !== 2 || a[0] !== m[0] || a[1] !== m[1]) {
    throw new LossInputError(
      what,
      `tokenLogProbs [${a.join(', ')}] and mask [${m.join(', ')}] must both be (B, T) with the same shape`,
    );
  }
}

/** Returns the mask in the log-probs' dtype, so f64 gradient checks stay in f64. */
function maskOf(x: ResponseLogProbs): Tensor {
  return castTo(x.mask, x.tokenLogProbs.dtype);
}

/** Summed response log-prob log pi(y|x) and response length |y| per row. Both (B). */
export function sequenceSums(x: ResponseLogProbs): { sum: Tensor; count: Tensor } {
  checkPair('sequenceSums', x);
  const m = maskOf(x); // (B, T)
  return { sum: sum(mul(x.tokenLogProbs, m), 1), count: sum(m, 1) };
}

/** Token-mean of the masked log-probs over the whole batch (the Hugging Face loss reduction, negated). */
function tokenMeanLogProb(x: ResponseLogProbs): Tensor {
  const m = maskOf(x); // (B, T)
  return div(sum(mul(x.tokenLogProbs, m)), maximum(sum(m), 1));
}

/** GA forget term: the token-mean of log pi over the forget batch, i.e. -NLL; minimising it raises the NLL. */
export function gaLoss(forget: ResponseLogProbs): Tensor {
  checkPair('gaLoss', forget);
  return tokenMeanLogProb(forget);
}

/** Retain term: token-mean NLL over the retain batch. */
export function retainNll(retain: ResponseLogProbs): Tensor {
  checkPair('retainNll', retain);
  return neg(tokenMeanLogProb(retain));
}

function checkBeta(beta: number): void {
  if (!(beta > 0) || !Number.isFinite(beta)) {
    throw new UnlearningConfigError('beta', beta, 'must be a finite number above 0; NPO uses 0.1 and SimNPO 2.5 to 4.5 on TOFU');
  }
}

/** NPO per row from summed log-probs: (2/beta) softplus(beta * (log pi - log pi_ref)). (B) -> (B) */
export function npoPerSequence(policySum: Tensor, referenceSum: Tensor, beta: number): Tensor {
  checkBeta(beta);
  return mul(softplus(mul(policySum.sub(referenceSum), beta)), 2 / beta);
}

/**
 * SimNPO per row: (2/beta) softplus((beta/|y|) log pi(y|x) + gamma), equal to
 * -(2/beta) log sigmoid(-(beta/|y|) log pi - gamma). (B) -> (B)
 */
export function simNpoPerSequence(policySum: Tensor, count: Tensor, beta: number, margin: number): Tensor {
  checkBeta(beta);
  const meanLogProb = div(policySum, maximum(count, 1)); // (B)
  return mul(softplus(mul(meanLogProb, beta).add(margin)), 2 / beta);
}

/** NPO forget term: mean over the forget rows. Summed log-probs, never length-normalised. */
export function npoLoss(forget: ResponseLogProbs, referenceLogProbs: Tensor, beta: number): Tensor {
  const { sum: policySum } = sequenceSums(forget);
  if (referenceLogProbs.rank !== 1 || referenceLogProbs.shape[0] !== policySum.shape[0]) {
    throw new LossInputError(
      'npoLoss',
      `referenceLogProbs has shape [${referenceLogProbs.shape.join(', ')}]; it must be (B) with B = ${policySum.shape[0]}, one summed log-prob per forget row`,
    );
  }
  return mean(npoPerSequence(policySum, referenceLogProbs, beta));
}

/** SimNPO forget term: mean over the forget rows; no reference model. */
export function simNpoLoss(forget: ResponseLogProbs, beta: number, margin = 0): Tensor {
  const { sum: policySum, count } = sequenceSums(forget);
  return mean(simNpoPerSequence(policySum, count, beta, margin));
}

/** Converts a margin written as in code, beta * (avgNLL - delta), to the paper's gamma = beta * delta. */
export function marginFromCodeDelta(delta: number, beta: number): number {
  return beta * delta;
}

export function forgetLoss(inputs: ObjectiveInputs, settings: ForgetLossSettings): Tensor {
  switch (settings.kind) {
    case 'ga':
      return gaLoss(inputs.forget);
    case 'simnpo':
      return simNpoLoss(inputs.forget, settings.beta, settings.margin);
    case 'npo':
      if (!inputs.referenceLogProbs) {
        throw new LossInputError('forgetLoss', 'NPO needs referenceLogProbs, the frozen model’s summed log-probs of the forget rows');
      }
      return npoLoss(inputs.forget, inputs.referenceLogProbs, settings.beta);
  }
}

/** forgetWeight * forget term + retainWeight * retain NLL. */
export function unlearningObjective(inputs: ObjectiveInputs, settings: ObjectiveSettings): ObjectiveOutput {
  const f = forgetLoss(inputs, settings);
  if (settings.retainWeight === 0) return { loss: mul(f, settings.forgetWeight), forgetLoss: f };
  if (!inputs.retain) {
    throw new LossInputError('unlearningObjective', `retainWeight is ${settings.retainWeight} but no retain batch was given; pass retain or set retainWeight 0`);
  }
  const r = retainNll(inputs.retain);
  return { loss: mul(f, settings.forgetWeight).add(mul(r, settings.retainWeight)), forgetLoss: f, retainLoss: r };
}

/**
 * Response log-probs from logits through log-softmax: logits (B, T, V) predict ids (B, T) shifted by one;
 * completionMask (B, T) marks response tokens. Returns (B, T-1) arrays aligned with ids[:, 1:], so
 * |y| counts scored positions only.
 */
export function responseLogProbs(logits: Tensor, ids: Tensor, completionMask: Tensor): ResponseLogProbs {
  const t = ids.shape[1];
  const tokenLogProbs = nextTokenLogProbs(logits, ids); // (B, T-1)
  const mask = castTo(castTo(completionMask.narrow(1, 1, t - 1), 'bool'), tokenLogProbs.dtype); // (B, T-1)
  return { tokenLogProbs, mask };
}
