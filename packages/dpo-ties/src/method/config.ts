/**
 * Configuration of the dpo-ties Method. Defaults follow Chen et al., "On Extending Direct Preference
 * Optimization to Accommodate Ties" (arXiv 2409.17431), where the paper gives a value: beta 0.1,
 * nu_RK = 3, nu_D = 1, summed log-probs, one mean over the batch. The gradient clip of 10 follows the
 * DPO code base the paper builds on. The optimiser differs: the paper used RMSProp at lr 5e-7 on 7B
 * models, while the trainer offers AdamW and the tiny default model needs a far larger step.
 */
import {
  boolean,
  type ConfigOf,
  type ConfigSpec,
  choice,
  defineConfig,
  field,
  group,
  integer,
  number,
  optionalInteger,
  optionalString,
  string,
  stringList,
} from '@lab/trainer';
import { Schema } from 'effect';

export const DATA_FORMATS = ['steering', 'preference', 'rated-comparison', 'mqm', 'sentiment'] as const;
export type DataFormat = (typeof DATA_FORMATS)[number];

/**
 * Training variants of a comparison run: `<loss>:<pairs>`, where cp trains on clear pairs only and
 * cp+tp on clear and tied pairs (with loss dpo, ties are fed as ordinary wins).
 */
export const VARIANTS = [
  'dpo:cp',
  'dpo:cp+tp',
  'dpo-rk:cp+tp',
  'dpo-d:cp+tp',
  'dpo-rk:cp',
  'dpo-d:cp',
] as const;
export type Variant = (typeof VARIANTS)[number];

const fields = {
  loss: choice(
    ['dpo', 'dpo-rk', 'dpo-d'] as const,
    'dpo-rk',
    'Likelihood of a pair: dpo (Bradley-Terry), dpo-rk (Rao-Kupper) or dpo-d (Davidson)',
  ),
  beta: number(0.1, 'Scale of the implicit reward r = beta * log(pi / pi_ref); it sits inside the margin d', {
    above: 0,
  }),
  nuRaoKupper: number(3, 'Rao-Kupper nu (alpha = ln nu); must be > 1 when tied pairs are used', { min: 1 }),
  nuDavidson: number(1, 'Davidson nu; must be > 0 when tied pairs are used', { min: 0 }),
  alphaDavidson: field(
    Schema.NullOr(Schema.Finite),
    null,
    'Davidson alpha = ln nu, any real number; replaces nuDavidson when set',
    { type: 'number | null' },
  ),
  compare: field(
    Schema.Array(Schema.Literals(VARIANTS)),
    [],
    'Train several variants on the same data, steps and seed and write one comparison report; empty trains `loss` with `useTies` alone',
    { type: `(${VARIANTS.map((v) => JSON.stringify(v)).join(' | ')})[]` },
  ),
  useTies: boolean(
    true,
    'Train on tied pairs too (CP+TP); false drops them (CP only). With loss dpo, ties are fed as ordinary wins',
  ),
  lengthNormalize: boolean(
    false,
    'Divide each sequence log-prob by its completion length; the paper sums token log-probs',
  ),
  model: group(
    'The starting (SFT) model: the policy starts from it and the frozen reference is a second copy of it',
    {
      path: string(
        'data/stories260K/stories260K.bin',
        'llama2.c .bin file, model directory (config.json + model.safetensors) or run directory',
      ),
      tokenizer: string('data/stories260K/tok512.bin', "llama2.c tokenizer file, or 'bytes'"),
    },
  ),
  data: group('Preference pairs with a tie flag', {
    format: choice(
      DATA_FORMATS,
      'steering',
      'steering: pairs sampled from the model and scored by a sentiment reward (see steering.*, reward.*); preference: JSONL {prompt, chosen, rejected, tie?}; rated-comparison: JSONL {prompt, candidates}; mqm: MQM TSV; sentiment: UCI labelled sentences',
    ),
    train: string(
      'data/sentiment-labelled-sentences/yelp_labelled.txt',
      'Training data file (every format but steering, which samples its pairs)',
    ),
    holdout: optionalString(
      'Held-out file of the same format; when null, a share of the training data is held out',
    ),
    holdoutFraction: number(
      0.2,
      'Share held out when no holdout file is given: of the comparisons for scored formats, else of the pairs',
      {
        min: 0,
        max: 0.9,
      },
    ),
    tieThreshold: number(0, 'rated-comparison and mqm: the largest score gap still counted as a tie', {
      min: 0,
    }),
    groupSize: integer(
      4,
      'sentiment: sentences per comparison; the best-vs-worst pair is clear, the closest pair a tie',
      { min: 3 },
    ),
    promptTemplate: string(
      '{prompt}',
      'Text of each prompt, with {prompt} replaced by the data\'s prompt (e.g. "English: {prompt}\\nGerman:")',
    ),
    maxPairs: optionalInteger('Use at most this many pairs (after the holdout split)', { min: 1 }),
    maxLength: integer(64, 'Longest row in tokens after truncation', { min: 2, unit: 'tokens' }),
    truncation: choice(
      ['keep-end', 'keep-start'] as const,
      'keep-end',
      'Which end of an overlong row is kept',
    ),
    seed: integer(0, 'Seed of the holdout split and of the sentiment grouping', { min: 0 }),
  }),
  reward: group('steering: the sentiment reward, logistic regression over lowercase word counts', {
    data: stringList(
      [
        'data/sentiment-labelled-sentences/imdb_labelled.txt',
        'data/sentiment-labelled-sentences/amazon_cells_labelled.txt',
        'data/sentiment-labelled-sentences/yelp_labelled.txt',
      ],
      'UCI labelled sentence files (sentence TAB 0|1)',
    ),
    holdoutFraction: number(0.2, 'Share of the sentences held out for the accuracy', { min: 0.05, max: 0.5 }),
    minCount: integer(1, 'Fewest occurrences in the training split for a word to enter the vocabulary', {
      min: 1,
    }),
    l2: number(1e-3, 'Weight of 0.5 * ||w||^2 added to the mean log-loss', { min: 0 }),
    lr: number(0.05, 'AdamW learning rate (full batch)', { above: 0 }),
    epochs: integer(150, 'Full-batch AdamW steps', { min: 1 }),
  }),
  steering: group('steering: prompts and samples from the reference model', {
    prompts: integer(200, 'Training prompts; each gives one clear and one tied pair', { min: 1 }),
    heldOutPrompts: integer(32, 'Held-out prompts for reward, KL and classification', { min: 1 }),
    promptTokens: integer(15, 'Tokens sampled after BOS to make a prompt', { min: 1, unit: 'tokens' }),
    samples: integer(8, 'Continuations sampled per prompt to build its pairs', { min: 3 }),
    completionTokens: integer(48, 'Longest continuation', { min: 1, unit: 'tokens' }),
    temperature: number(1, 'Sampling temperature of prompts, continuations and evaluation samples', {
      above: 0,
    }),
    evalSamples: integer(2, 'Policy continuations per held-out prompt at each evaluation', { min: 1 }),
    generationBatch: integer(256, 'Rows per batched forward pass when sampling', { min: 1, unit: 'rows' }),
    seed: integer(0, 'Seed of the prompts and samples', { min: 0 }),
  }),
  sft: group('Supervised fine-tuning of the starting model before preference training (scored formats)', {
    steps: integer(0, 'SFT steps on the reference texts of the training comparisons; 0 skips SFT', {
      min: 0,
    }),
    system: optionalString(
      'Candidate id whose text is the SFT target (mqm: a system name such as "ref"); null takes the best-scored candidate',
    ),
    lr: number(1e-3, 'AdamW learning rate of SFT', { above: 0 }),
    batchSize: integer(8, 'Rows per SFT step', { min: 1, unit: 'rows' }),
    warmupSteps: integer(10, 'Linear warm-up of SFT', { min: 0 }),
  }),
  train: group('Optimisation', {
    steps: integer(100, 'Optimizer steps', { min: 1 }),
    batchSize: integer(8, 'Pairs per micro-batch', { min: 1, unit: 'pairs' }),
    gradAccum: integer(1, 'Micro-batches per optimizer step', { min: 1 }),
    lr: number(1e-4, 'Peak learning rate of AdamW', { above: 0 }),
    warmupSteps: integer(10, 'Linear warm-up (the paper warms up for 150 steps)', { min: 0 }),
    clipNorm: number(10, 'Gradient-norm clip; 0 turns it off', { min: 0 }),
    logEvery: integer(10, 'Steps between metric lines', { min: 1 }),
    evalEvery: field(
      Schema.NullOr(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))),
      25,
      'Steps between held-out evaluations during training (null: only at the end)',
      { type: 'integer | null' },
    ),
  }),
  eval: group('Held-out evaluation', {
    maxPairs: integer(256, 'Held-out pairs scored', { min: 1 }),
    klSamples: integer(
      16,
      'Completions sampled from the policy for KL(policy || reference), 256 in the paper; 0 skips KL',
      { min: 0 },
    ),
    klMaxTokens: integer(32, 'Longest sampled completion', { min: 1, unit: 'tokens' }),
    temperature: number(1, 'Sampling temperature of the KL completions', { above: 0 }),
    batchSize: integer(16, 'Pairs per forward pass when scoring', { min: 1 }),
  }),
};

export type LossKind = 'dpo' | 'dpo-rk' | 'dpo-d';

/** The decoded configuration (written out so the declaration does not depend on the field tree). */
export interface DpoTiesConfig {
  readonly loss: LossKind;
  readonly beta: number;
  readonly nuRaoKupper: number;
  readonly nuDavidson: number;
  readonly alphaDavidson: number | null;
  readonly compare: readonly Variant[];
  readonly useTies: boolean;
  readonly lengthNormalize: boolean;
  readonly model: { readonly path: string; readonly tokenizer: string };
  readonly data: {
    readonly format: DataFormat;
    readonly train: string;
    readonly holdout: string | null;
    readonly holdoutFraction: number;
    readonly tieThreshold: number;
    readonly groupSize: number;
    readonly promptTemplate: string;
    readonly maxPairs: number | null;
    readonly maxLength: number;
    readonly truncation: 'keep-end' | 'keep-start';
    readonly seed: number;
  };
  readonly reward: {
    readonly data: readonly string[];
    readonly holdoutFraction: number;
    readonly minCount: number;
    readonly l2: number;
    readonly lr: number;
    readonly epochs: number;
  };
  readonly steering: {
    readonly prompts: number;
    readonly heldOutPrompts: number;
    readonly promptTokens: number;
    readonly samples: number;
    readonly completionTokens: number;
    readonly temperature: number;
    readonly evalSamples: number;
    readonly generationBatch: number;
    readonly seed: number;
  };
  readonly sft: {
    readonly steps: number;
    readonly system: string | null;
    readonly lr: number;
    readonly batchSize: number;
    readonly warmupSteps: number;
  };
  readonly train: {
    readonly steps: number;
    readonly batchSize: number;
    readonly gradAccum: number;
    readonly lr: number;
    readonly warmupSteps: number;
    readonly clipNorm: number;
    readonly logEvery: number;
    readonly evalEvery: number | null;
  };
  readonly eval: {
    readonly maxPairs: number;
    readonly klSamples: number;
    readonly klMaxTokens: number;
    readonly temperature: number;
    readonly batchSize: number;
  };
}

// A compile-time check that the hand-written type and the field tree agree both ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const agrees: Same<DpoTiesConfig, ConfigOf<typeof fields>> = true;
void agrees;

export const dpoTiesConfig: ConfigSpec<DpoTiesConfig> = defineConfig(fields);
