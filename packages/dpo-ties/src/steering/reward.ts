/**
 * The sentiment reward of the steering demo: L2-regularised logistic regression over lowercase word
 * counts, trained on labelled review sentences with @lab/tensor's AdamW. The reward of a text is the
 * logit (log-odds) of positive sentiment, w . counts(text) + b.
 *
 * Words rather than the story model's tok512 pieces, because tok512 splits review words into
 * fragments that carry little sentiment alone. The vocabulary comes from the training split.
 */
import type { LabelledExample } from '@lab/data';
import { permutation } from '@lab/data';
import {
  AdamW,
  add,
  fromArray,
  indexAdd,
  indexSelect,
  mean,
  mul,
  scopeAsync,
  softplus,
  sub,
  sum,
  type Tensor,
  zeros,
} from '@lab/tensor';
import { SteeringError } from '../errors.js';

/** Lowercase word tokens: runs of letters, with an inner apostrophe kept ("didn't"). */
export function wordTokens(text: string): string[] {
  return text.toLowerCase().match(/[a-z]+(?:'[a-z]+)?/g) ?? [];
}

export interface RewardTraining {
  /** Share of the labelled sentences held out for the accuracy (seeded split). */
  holdoutFraction: number;
  /** Words seen fewer times than this in the training split are left out of the vocabulary. */
  minCount: number;
  /** Weight of 0.5 * ||w||^2 added to the mean log-loss (the bias is not penalised). */
  l2: number;
  lr: number;
  /** Full-batch AdamW steps. */
  epochs: number;
  seed: number;
  backend: string;
}

export const DEFAULT_REWARD_TRAINING: RewardTraining = {
  holdoutFraction: 0.2,
  minCount: 1,
  l2: 1e-3,
  lr: 0.05,
  epochs: 150,
  seed: 0,
  backend: 'cpu',
};

export interface RewardReport {
  trainSentences: number;
  heldOutSentences: number;
  vocabulary: number;
  trainAccuracy: number;
  heldOutAccuracy: number;
  /** Mean log-loss on the held-out sentences. */
  heldOutLoss: number;
}

/** A trained reward: word weights and a bias, scored on the host. */
export class SentimentReward {
  constructor(
    readonly vocabulary: ReadonlyMap<string, number>,
    readonly weights: Float64Array,
    readonly bias: number,
  ) {}

  /** Log-odds of positive sentiment of `text`. */
  score(text: string): number {
    let z = this.bias;
    for (const word of wordTokens(text)) {
      const index = this.vocabulary.get(word);
      if (index !== undefined) z += this.weights[index];
    }
    return z;
  }

  /** Lists the words with the largest and smallest weights, for the report. */
  strongestWords(n: number): { positive: string[]; negative: string[] } {
    const words = [...this.vocabulary.entries()].sort((a, b) => this.weights[b[1]] - this.weights[a[1]]);
    return {
      positive: words.slice(0, n).map(([w]) => w),
      negative: words
        .slice(-n)
        .reverse()
        .map(([w]) => w),
    };
  }
}

function buildVocabulary(texts: readonly string[], minCount: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of texts) for (const w of wordTokens(text)) counts.set(w, (counts.get(w) ?? 0) + 1);
  const words = [...counts.entries()].filter(([, c]) => c >= minCount).map(([w]) => w);
  words.sort();
  return new Map(words.map((w, i) => [w, i]));
}

/**
 * Lists the vocabulary index of every word of every text, concatenated, with the row each belongs to.
 * A word that occurs twice appears twice, so summing weights over a row counts it twice.
 */
function wordIndices(
  texts: readonly string[],
  vocabulary: ReadonlyMap<string, number>,
): { words: Int32Array; rows: Int32Array } {
  const words: number[] = [];
  const rows: number[] = [];
  texts.forEach((text, row) => {
    for (const w of wordTokens(text)) {
      const index = vocabulary.get(w);
      if (index === undefined) continue;
      words.push(index);
      rows.push(row);
    }
  });
  return { words: Int32Array.from(words), rows: Int32Array.from(rows) };
}

function accuracyOf(reward: SentimentReward, rows: readonly LabelledExample[]): number {
  if (rows.length === 0) return Number.NaN;
  const correct = rows.filter((r) => (reward.score(r.text) > 0 ? 1 : 0) === Number(r.label)).length;
  return correct / rows.length;
}

function logLossOf(reward: SentimentReward, rows: readonly LabelledExample[]): number {
  if (rows.length === 0) return Number.NaN;
  let total = 0;
  for (const r of rows) {
    const z = reward.score(r.text);
    // softplus(z) - y z, written to stay finite for large |z|.
    total += Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - Number(r.label) * z;
  }
  return total / rows.length;
}

/**
 * Trains the reward on labelled sentences (labels 0/1) and reports its accuracy on a seeded held-out
 * split. Full-batch: loss = mean_i [softplus(z_i) - y_i z_i] + l2/2 * ||w||^2, z = X w + b.
 */
export async function trainSentimentReward(
  rows: readonly LabelledExample[],
  settings: Partial<RewardTraining> = {},
): Promise<{ reward: SentimentReward; report: RewardReport }> {
  const s = { ...DEFAULT_REWARD_TRAINING, ...settings };
  const labelled = rows.filter((r) => Number(r.label) === 0 || Number(r.label) === 1);
  const order = permutation(labelled.length, s.seed);
  const held = Math.round(s.holdoutFraction * labelled.length);
  const heldOut = order.slice(0, held).map((i) => labelled[i]);
  const train = order.slice(held).map((i) => labelled[i]);
  const positives = train.filter((r) => Number(r.label) === 1).length;
  if (positives === 0 || positives === train.length) {
    throw new SteeringError(
      'reward.data',
      `the training split has ${positives} positive sentences of ${train.length}; the reward needs both labels, so give labelled files with 0 and 1 labels`,
    );
  }
  const vocabulary = buildVocabulary(
    train.map((r) => r.text),
    s.minCount,
  );
  const V = vocabulary.size;
  const N = train.length;
  // z_i = b + sum of the weights of sentence i's words: the product of the (N, V) count matrix with w,
  // computed as a gather of the words' weights and a sum per sentence, without the mostly-zero matrix.
  const { words, rows: rowOf } = wordIndices(
    train.map((r) => r.text),
    vocabulary,
  );
  const labels = Float32Array.from(train, (r) => Number(r.label));

  const w = zeros([V], { backend: s.backend }).setRequiresGrad();
  const b = zeros([1], { backend: s.backend }).setRequiresGrad();
  const optimizer = new AdamW([w, b], { lr: s.lr, weightDecay: 0 });
  const backend = s.backend;
  const wordIds = fromArray(words, [words.length], { dtype: 'i32', backend }); // (M)
  const rowIds = fromArray(rowOf, [rowOf.length], { dtype: 'i32', backend }); // (M)
  const y = fromArray(labels, [N], { dtype: 'f32', backend }); // (N)
  const empty = zeros([N], { backend }); // (N)
  try {
    for (let epoch = 0; epoch < s.epochs; epoch++) {
      await scopeAsync(async () => {
        const picked = indexSelect(w, 0, wordIds); // (M)
        const z = add(indexAdd(empty, 0, rowIds, picked), b); // (N)
        const logLoss = mean(sub(softplus(z), mul(y, z)));
        const loss = add(logLoss, mul(sum(mul(w, w)), s.l2 / 2));
        loss.backward();
        optimizer.step();
        optimizer.zeroGrad();
      });
    }
    const reward = new SentimentReward(vocabulary, Float64Array.from(await w.data()), (await b.data())[0]);
    return {
      reward,
      report: {
        trainSentences: train.length,
        heldOutSentences: heldOut.length,
        vocabulary: V,
        trainAccuracy: accuracyOf(reward, train),
        heldOutAccuracy: accuracyOf(reward, heldOut),
        heldOutLoss: logLossOf(reward, heldOut),
      },
    };
  } finally {
    for (const t of [w, b, wordIds, rowIds, y, empty] as Tensor[]) t.dispose();
    optimizer.dispose();
  }
}
