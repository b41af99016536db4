/**
 * Configuration of the `simnpo` Method. Loss defaults follow the official TOFU forget10 settings:
 * SimNPO beta 4.5, margin 0, forget weight 0.125, retain weight 1; NPO beta 0.1 with weights 1 and 1;
 * GradDiff weights 1 and 1; GA forget term only. The paper tuned these for a 7B model that had learnt
 * TOFU to about 0.1 nats per token; on a small model with a forget NLL near 1 nat per token SimNPO's
 * term starts saturated (see README), so the demo sets its margin and weight from the starting NLL.
 */
import {
  type ConfigOf,
  type ConfigSpec,
  defineConfig,
  group,
  integer,
  number,
  optionalInteger,
  string,
  stringList,
} from '@lab/trainer';

export const ALGORITHMS = ['ga', 'graddiff', 'npo', 'simnpo'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

const weights = (forget: number, retain: number) => ({
  forgetWeight: number(forget, 'Weight of the forget term', { min: 0 }),
  retainWeight: number(retain, 'Weight of the retain term (token-mean NLL on a retain batch); 0 drops it', { min: 0 }),
});

const fields = {
  algorithms: stringList(ALGORITHMS, 'Unlearning methods to run, each from a fresh copy of the fine-tuned model: ga, graddiff, npo, simnpo'),
  ga: group('Gradient ascent: the forget term alone', weights(1, 0)),
  graddiff: group('Gradient difference: GA plus the retain NLL', weights(1, 1)),
  npo: group('NPO(+GD) against the frozen fine-tuned model', {
    beta: number(0.1, 'Inverse temperature; NPO tends to GA as beta -> 0', { above: 0 }),
    ...weights(1, 1),
  }),
  simnpo: group('SimNPO(+GD): reference-free, length-normalised', {
    beta: number(4.5, 'Inverse temperature', { above: 0 }),
    margin: number(
      0,
      'Margin gamma in the paper form, outside beta: softplus((beta/|y|) log pi + gamma). Code that writes beta*(avgNLL - delta) has delta = gamma/beta',
    ),
    ...weights(0.125, 1),
  }),
  model: group('The two starting models (test fixtures made by scripts/make-fixtures.mjs)', {
    full: string('packages/simnpo/test/fixtures/tofu-full', 'Model fine-tuned on forget10 + retain: the model to unlearn and the NPO reference'),
    retain: string('packages/simnpo/test/fixtures/tofu-retain', 'Retain-only model: the gold standard of forget quality'),
    tokenizer: string('bytes', 'Tokenizer the models were trained with'),
  }),
  data: group('TOFU sets', {
    tofuDir: string('data/tofu', 'Folder of the TOFU files'),
    retainRows: integer(200, 'Retain rows trained on (the first rows of retain_perturbed); must match the fixtures', { min: 1 }),
    forgetRows: optionalInteger('Use only the first N forget10 rows for unlearning (null: all)', { min: 1 }),
    maxLength: integer(160, 'Longest row in tokens; longer answers are cut at the end', { min: 16, unit: 'tokens' }),
  }),
  train: group('Unlearning optimisation (the same for every algorithm)', {
    steps: integer(30, 'Optimizer steps per algorithm', { min: 1 }),
    batchSize: integer(8, 'Forget rows per step; the retain batch has as many rows', { min: 1, unit: 'rows' }),
    lr: number(5e-4, 'Constant learning rate of AdamW', { above: 0 }),
    clipNorm: number(1, 'Gradient-norm clip; 0 turns it off', { min: 0 }),
    logEvery: integer(5, 'Steps between metric lines', { min: 1 }),
    evalEvery: integer(15, 'Steps between TOFU evaluations during unlearning', { min: 1 }),
  }),
  eval: group('TOFU evaluation', {
    forgetRows: integer(60, 'forget10_perturbed rows scored (truth ratio, probability, ROUGE)', { min: 2 }),
    retainRows: integer(30, 'retain_perturbed rows scored', { min: 1 }),
    generalRows: integer(30, 'real-authors and world-facts rows scored, each', { min: 1 }),
    generateRows: integer(8, 'Rows per set answered greedily for ROUGE-L; 0 skips ROUGE', { min: 0 }),
    maxNewTokens: integer(48, 'Longest greedy answer', { min: 1, unit: 'tokens' }),
    batchSize: integer(32, 'Rows per scoring forward pass', { min: 1 }),
  }),
};

interface Weights {
  readonly forgetWeight: number;
  readonly retainWeight: number;
}

/** The decoded configuration (written out so the declaration does not depend on the field tree). */
export interface SimNpoConfig {
  readonly algorithms: readonly string[];
  readonly ga: Weights;
  readonly graddiff: Weights;
  readonly npo: Weights & { readonly beta: number };
  readonly simnpo: Weights & { readonly beta: number; readonly margin: number };
  readonly model: { readonly full: string; readonly retain: string; readonly tokenizer: string };
  readonly data: { readonly tofuDir: string; readonly retainRows: number; readonly forgetRows: number | null; readonly maxLength: number };
  readonly train: {
    readonly steps: number;
    readonly batchSize: number;
    readonly lr: number;
    readonly clipNorm: number;
    readonly logEvery: number;
    readonly evalEvery: number;
  };
  readonly eval: {
    readonly forgetRows: number;
    readonly retainRows: number;
    readonly generalRows: number;
    readonly generateRows: number;
    readonly maxNewTokens: number;
    readonly batchSize: number;
  };
}

// A compile-time check that the hand-written type and the field tree agree both ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const agrees: Same<SimNpoConfig, ConfigOf<typeof fields>> = true;
void agrees;
export const simNpoConfig: ConfigSpec<SimNpoConfig> = defineConfig(fields);
