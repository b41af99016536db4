/**
 * Held-out evaluation of a policy against its reference, through @lab/eval:
 *   - preference accuracy on clear pairs (margin > 0);
 *   - three-way CP/TP classification under the Rao-Kupper and Davidson argmax rules (Chen et al.,
 *     arXiv 2409.17431, score every model under both);
 *   - reward-margin mean and spread, clear and tied pairs apart (ties should sit near 0);
 *   - KL(policy || reference) from completions sampled from the policy: the Monte-Carlo sequence KL,
 *     mean over samples of sum_t [log pi(y_t|.) - log pi_ref(y_t|.)].
 */
import { collateArrays, type TokenizedExample, type Tokenizer, type Truncation } from '@lab/data';
import {
  implicitRewards,
  klEstimate,
  type PairLabel,
  type PreferenceLogProbs,
  preferenceAccuracy,
  preferenceMetrics,
  threeWayClassification,
} from '@lab/eval';
import { type CausalLM, sequenceLogProbs } from '@lab/models';
import { fromArray, noGrad, scope, type Tensor, tensor } from '@lab/tensor';
import type { GeneratedText, GenerateTextOptions, Reference } from '@lab/trainer';
import { tieBand, type TieRule } from '../classify.js';
import { marginLoss } from '../losses.js';
import { type LossSettings, pairRows } from './batch.js';
import type { TokenizedPreference } from './pairs.js';

export interface ScoreSettings {
  maxLength?: number;
  truncation: Truncation;
  backend: string;
  batchSize: number;
}

export interface RowScores {
  /** Sequence log-prob (sum over completion tokens) per row. */
  sums: number[];
  /** Completion tokens scored per row. */
  counts: number[];
  /** The completion-token log-probs of each row, in order. */
  tokens: number[][];
}

/** Scores rows with a model, without gradients, a batch at a time. */
export async function scoreRows(
  model: CausalLM,
  rows: readonly TokenizedExample[],
  settings: ScoreSettings,
): Promise<RowScores> {
  const out: RowScores = { sums: [], counts: [], tokens: [] };
  for (let start = 0; start < rows.length; start += settings.batchSize) {
    const chunk = rows.slice(start, start + settings.batchSize);
    const arrays = collateArrays(chunk, { maxLength: settings.maxLength, truncation: settings.truncation });
    const [B, T] = [arrays.batchSize, arrays.length];
    const [logProbs, masks] = noGrad(() =>
      scope(() => {
        const ids = fromArray(arrays.ids, [B, T], { dtype: 'i32', backend: settings.backend });
        const completion = fromArray(arrays.completionMask, [B, T], {
          dtype: 'f32',
          backend: settings.backend,
        });
        const lp = sequenceLogProbs(model, ids, completion, { grad: false });
        return [lp.tokenLogProbs, lp.mask]; // (B, T-1) each
      }),
    );
    let values: ArrayLike<number>;
    let mask: ArrayLike<number>;
    try {
      values = await logProbs.data();
      mask = await masks.data();
    } finally {
      logProbs.dispose();
      masks.dispose();
    }
    for (let b = 0; b < B; b++) {
      const row: number[] = [];
      for (let t = 0; t < T - 1; t++) if (mask[b * (T - 1) + t] > 0) row.push(values[b * (T - 1) + t]);
      out.tokens.push(row);
      out.sums.push(row.reduce((a, v) => a + v, 0));
      out.counts.push(row.length);
    }
  }
  return out;
}

export interface HeldOut {
  pairs: readonly TokenizedPreference[];
  policy: RowScores;
  /** Reference sequence log-probs of the same rows, from the Reference cache. */
  reference: number[];
}

/** Policy and reference scores of held-out pairs (chosen rows first, then rejected). */
export async function scoreHeldOut(
  policy: CausalLM,
  reference: Reference,
  pairs: readonly TokenizedPreference[],
  settings: ScoreSettings,
): Promise<HeldOut> {
  const rows = pairRows(pairs);
  const scores = await scoreRows(policy, rows, settings);
  const referenceTokens = await reference.tokenLogProbs(rows);
  // Cached reference rows are zero off the completion mask, so their sum is the sequence log-prob.
  return { pairs, policy: scores, reference: referenceTokens.map((v) => v.reduce((a, x) => a + x, 0)) };
}

/** Held-out sequence log-probs as @lab/eval takes them, divided by length when training did. */
export function heldOutLogProbs(
  held: HeldOut,
  lengthNormalize: boolean,
  subset?: readonly number[],
): PreferenceLogProbs {
  const n = held.pairs.length;
  const indices = subset ?? Array.from({ length: n }, (_, i) => i);
  const per = (values: readonly number[], row: number) =>
    lengthNormalize ? values[row] / held.policy.counts[row] : values[row];
  return {
    policyChosen: indices.map((i) => per(held.policy.sums, i)),
    policyRejected: indices.map((i) => per(held.policy.sums, i + n)),
    referenceChosen: indices.map((i) => per(held.reference, i)),
    referenceRejected: indices.map((i) => per(held.reference, i + n)),
  };
}

function putFinite(metrics: Record<string, number>, name: string, value: number): void {
  if (Number.isFinite(value)) metrics[name] = value;
}

/** Reward statistics of one subset of pairs (clear or tied), named with a prefix. */
function subsetStats(
  metrics: Record<string, number>,
  prefix: string,
  logProbs: PreferenceLogProbs,
  beta: number,
): void {
  if (logProbs.policyChosen.length === 0) return;
  const stats = preferenceMetrics(logProbs, beta);
  putFinite(metrics, `${prefix}MarginMean`, stats.marginMean);
  putFinite(metrics, `${prefix}MarginStd`, stats.marginStd);
  putFinite(metrics, `${prefix}ChosenReward`, stats.chosenRewardMean);
  putFinite(metrics, `${prefix}RejectedReward`, stats.rejectedRewardMean);
}

export interface RuleSettings {
  nuRaoKupper: number;
  nuDavidson: number;
}

/** Accuracy, three-way classification, reward statistics and the held-out loss. */
export function preferenceEvaluation(
  held: HeldOut,
  loss: LossSettings,
  rules: RuleSettings,
): Record<string, number> {
  const ties = held.pairs.map((p) => p.tie);
  const all = heldOutLogProbs(held, loss.lengthNormalize);
  const margins = all.policyChosen.length > 0 ? implicitRewards(all, loss.beta).margins : [];
  const metrics: Record<string, number> = {
    heldOutPairs: margins.length,
    heldOutTieShare: ties.filter(Boolean).length / Math.max(1, ties.length),
  };
  const clear = ties.flatMap((t, i) => (t ? [] : [i]));
  const tied = ties.flatMap((t, i) => (t ? [i] : []));
  if (clear.length > 0) metrics.accuracy = preferenceAccuracy(clear.map((i) => margins[i]));
  subsetStats(metrics, 'clear', heldOutLogProbs(held, loss.lengthNormalize, clear), loss.beta);
  subsetStats(metrics, 'tie', heldOutLogProbs(held, loss.lengthNormalize, tied), loss.beta);

  // Clear pairs are labelled 'win' (chosen first); the argmax rule's band decides the predictions.
  const labels: PairLabel[] = ties.map((t) => (t ? 'tie' : 'win'));
  const ruleNu: Record<TieRule, number> = { 'rao-kupper': rules.nuRaoKupper, davidson: rules.nuDavidson };
  for (const [rule, suffix] of [
    ['rao-kupper', 'RK'],
    ['davidson', 'D'],
  ] as const) {
    const band = tieBand(rule, { nu: ruleNu[rule] });
    if (band <= 0 || margins.length === 0) continue;
    const result = threeWayClassification(margins, labels, { tieThreshold: band });
    metrics[`threeWayAccuracy${suffix}`] = result.accuracy;
    putFinite(metrics, `clearAccuracy${suffix}`, result.clearAccuracy);
    putFinite(metrics, `tieAccuracy${suffix}`, result.tieAccuracy);
  }

  const kept = margins.map((_, i) => i).filter((i) => loss.useTies || !ties[i]);
  if (kept.length > 0) {
    metrics.heldOutLoss = scope(() => {
      // A few numbers: computed on the cpu backend, which every build has and which has f64.
      const keptMargins = kept.map((i) => margins[i]);
      const d = tensor(keptMargins, { dtype: 'f64', backend: 'cpu' });
      let tie: Tensor | undefined;
      if (loss.useTies)
        tie = tensor(
          kept.map((i) => ties[i]),
          { dtype: 'bool', backend: 'cpu' },
        );
      return marginLoss(loss.kind, d, { ...loss, tie })
        .mean()
        .dataSync()[0];
    });
  }
  return metrics;
}

export interface KlSettings extends ScoreSettings {
  samples: number;
  maxTokens: number;
  temperature: number;
  seed: number;
}

type Generate = (
  model: CausalLM,
  tokenizer: Tokenizer,
  prompt: string,
  options: GenerateTextOptions,
) => Promise<GeneratedText>;

/** Prompt ids as generation encodes them: BOS, then the prompt text. */
function promptIds(tokenizer: Tokenizer, prompt: string): number[] {
  const bos = tokenizer.special.bos;
  if (prompt === '') return bos !== undefined ? [bos] : [];
  return tokenizer.encode(prompt, { bos: bos !== undefined });
}

/** KL(policy || reference) on completions sampled from the policy for held-out prompts. */
export async function sampledKl(
  policy: CausalLM,
  referenceModel: CausalLM,
  tokenizer: Tokenizer,
  prompts: readonly string[],
  generate: Generate,
  settings: KlSettings,
): Promise<Record<string, number>> {
  if (settings.samples === 0 || prompts.length === 0) return {};
  const rows: TokenizedExample[] = [];
  for (let i = 0; i < settings.samples; i++) {
    const prompt = prompts[i % prompts.length];
    const sample = await generate(policy, tokenizer, prompt, {
      maxTokens: settings.maxTokens,
      temperature: settings.temperature,
      seed: settings.seed * 1_000_003 + i,
    });
    const ids = promptIds(tokenizer, prompt);
    // The first completion token is predicted from the token before it; without BOS there is none.
    if (ids.length > 0 && sample.tokens.length > 0) rows.push({ prompt: ids, completion: sample.tokens });
  }
  if (rows.length === 0) return {};
  const unlimited = { ...settings, maxLength: undefined };
  const policyScores = await scoreRows(policy, rows, unlimited);
  const referenceScores = await scoreRows(referenceModel, rows, unlimited);
  const estimate = klEstimate(policyScores.tokens, referenceScores.tokens);
  return { klSequence: estimate.sequence, klToken: estimate.token, klSamples: estimate.sequences };
}
