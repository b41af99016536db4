/**
 * Training batches of the Method: chosen and rejected rows collated to one length and run through the
 * policy in a single forward pass, with the reference sequence log-probs read from the trainer's
 * Reference cache (computed once, before training, without gradients).
 */
import { collateArrays, type Truncation } from '@lab/data';
import { type CausalLM, sequenceLogProbs } from '@lab/models';
import {
  abs,
  castTo,
  Dropout,
  fromArray,
  gt,
  logicalAnd,
  logicalNot,
  type Module,
  maximum,
  mean,
  mul,
  narrow,
  noGrad,
  sum,
  type Tensor,
} from '@lab/tensor';
import type { LossOutput, Reference } from '@lab/trainer';
import { type KindOptions, marginLoss, type PreferenceLossKind } from '../losses.js';
import { type PreferenceLogProbs, rewardMargin } from '../margin.js';
import type { TokenizedPreference } from './pairs.js';

export interface PairBatch {
  /** B, the number of pairs. */
  pairs: number;
  /** Chosen rows, then rejected rows. (2B, T) i32 */
  ids: Tensor;
  /** 1 on completion tokens. (2B, T) f32 */
  completionMask: Tensor;
  /** Reference sequence log-probs in the same row order. (2B) */
  referenceLogProbs: Tensor;
  /** (B) bool */
  tie: Tensor;
  /** Completion tokens the batch scores. */
  tokens: number;
}

export interface CollateSettings {
  maxLength: number;
  truncation: Truncation;
  backend: string;
}

export function pairRows(rows: readonly TokenizedPreference[]) {
  return [...rows.map((r) => r.chosen), ...rows.map((r) => r.rejected)];
}

export async function collatePairs(
  rows: readonly TokenizedPreference[],
  reference: Reference,
  settings: CollateSettings,
): Promise<PairBatch> {
  const examples = pairRows(rows);
  const arrays = collateArrays(examples, { maxLength: settings.maxLength, truncation: settings.truncation });
  const [rowsTotal, T] = [arrays.batchSize, arrays.length];
  let tokens = 0;
  // Column 0 is never a label, so a completion token there is never scored.
  for (let b = 0; b < rowsTotal; b++) for (let t = 1; t < T; t++) tokens += arrays.completionMask[b * T + t];
  const backend = settings.backend;
  return {
    pairs: rows.length,
    ids: fromArray(arrays.ids, [rowsTotal, T], { dtype: 'i32', backend }),
    completionMask: fromArray(arrays.completionMask, [rowsTotal, T], { dtype: 'f32', backend }),
    referenceLogProbs: await reference.sequenceLogProbs(examples),
    tie: fromArray(
      Uint8Array.from(rows, (r) => (r.tie ? 1 : 0)),
      [rows.length],
      { dtype: 'bool', backend },
    ),
    tokens,
  };
}

export interface LossSettings extends Omit<KindOptions, 'tie'> {
  kind: PreferenceLossKind;
  beta: number;
  lengthNormalize: boolean;
  /** Pass the tie flags to the loss; false when tied pairs were dropped from training. */
  useTies: boolean;
}

/** Splits a (2B) vector into its chosen half and its rejected half. */
function halves(x: Tensor, b: number): [Tensor, Tensor] {
  return [narrow(x, 0, 0, b), narrow(x, 0, b, b)];
}

/**
 * Switches every Dropout of the policy to eval mode. The reference runs without dropout, so a policy
 * pass with dropout would make the log-ratio noise; the trainer sets train mode before each stage.
 */
export function dropoutOff(model: Module): void {
  for (const [, m] of model.namedModules()) if (m instanceof Dropout) m.eval();
}

/** Policy sequence log-probs (with gradients) and the pair margins of a batch. */
export function batchMargins(
  policy: CausalLM,
  batch: PairBatch,
  settings: LossSettings,
): { logProbs: PreferenceLogProbs; margin: Tensor } {
  const lp = sequenceLogProbs(policy, batch.ids, batch.completionMask); // sum, count: (2B)
  const [policyChosen, policyRejected] = halves(lp.sum, batch.pairs);
  const [referenceChosen, referenceRejected] = halves(batch.referenceLogProbs, batch.pairs);
  const logProbs = { policyChosen, policyRejected, referenceChosen, referenceRejected };
  const [chosen, rejected] = halves(lp.count, batch.pairs);
  const lengths = settings.lengthNormalize ? { chosen, rejected } : undefined;
  return { logProbs, margin: rewardMargin(logProbs, { beta: settings.beta, lengths }) }; // margin (B)
}

/** Computes the training loss of one batch, with reward and tie statistics as logged metrics. */
export function pairLoss(policy: CausalLM, batch: PairBatch, settings: LossSettings): LossOutput {
  dropoutOff(policy);
  const { margin } = batchMargins(policy, batch, settings);
  const perPair = marginLoss(settings.kind, margin, {
    ...settings,
    tie: settings.useTies ? batch.tie : undefined,
  }); // (B)
  return {
    loss: mean(perPair),
    metrics: noGrad(() => marginMetrics(margin.detach(), batch.tie)),
    tokens: batch.tokens,
  };
}

/** Reward accuracy on clear pairs, mean margins of clear and tied pairs, and the tie share. */
function marginMetrics(margin: Tensor, tie: Tensor): Record<string, Tensor> {
  const tied = castTo(tie, margin.dtype); // (B)
  const clear = castTo(logicalNot(tie), margin.dtype); // (B)
  const clearCount = maximum(sum(clear), 1);
  const tieCount = maximum(sum(tied), 1);
  const correct = castTo(logicalAnd(gt(margin, 0), logicalNot(tie)), margin.dtype); // (B)
  return {
    rewardAccuracy: sum(correct).div(clearCount),
    clearMargin: sum(mul(margin, clear)).div(clearCount),
    tieAbsMargin: sum(mul(abs(margin), tied)).div(tieCount),
    tieShare: mean(tied),
  };
}
