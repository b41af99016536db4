import {
  type ConfigOf,
  type ConfigSpec,
  choice,
  defineConfig,
  group,
  integer,
  number,
  optionalString,
  string,
  stringList,
} from '@lab/trainer';

const fields = {
  data: group('Text of the experiment', {
    pretrain: string(
      'data/wikitext-2/test.txt.gz',
      'text the base model is pretrained on, kept apart from the candidates',
    ),
    pool: string('data/wikitext-2/valid.txt.gz', 'text the candidate pool is cut from'),
    format: choice(
      ['auto', 'jsonl', 'json', 'tinyshakespeare', 'wikitext'],
      'auto',
      'file format of both files',
    ),
    poolSize: integer(512, 'candidates (2N); each model trains on half of them', { min: 2, unit: 'rows' }),
    chunkBytes: integer(64, 'bytes per candidate and per pretraining row, after BOS', {
      min: 2,
      unit: 'tokens',
    }),
    pretrainRows: integer(4096, 'pretraining chunks drawn from data.pretrain', { min: 1, unit: 'rows' }),
  }),
  model: group('Byte-level GPT shared by the base, the target and every reference', {
    nEmbd: integer(128, 'width', { min: 1 }),
    nLayer: integer(2, 'blocks', { min: 1 }),
    nHead: integer(4, 'attention heads; nEmbd must be a multiple', { min: 1 }),
  }),
  pretrain: group('Pretraining of the base model', {
    steps: integer(100, 'optimizer steps', { min: 1, unit: 'steps' }),
    batchSize: integer(32, 'rows per step', { min: 1, unit: 'rows' }),
    lr: number(3e-3, 'peak learning rate (cosine decay, 10 warm-up steps)', { above: 0 }),
  }),
  finetune: group('Fine-tuning of the target and each reference on its member half', {
    epochs: integer(4, 'passes over the member half', { min: 1 }),
    batchSize: integer(32, 'rows per step', { min: 1, unit: 'rows' }),
    lr: number(2e-3, 'constant learning rate', { above: 0 }),
  }),
  audit: group('The attack', {
    models: integer(
      18,
      'models trained: the target (model 0) and its references; even, so each candidate is IN for exactly half',
      { min: 2 },
    ),
    sweep: stringList(
      ['1', '2', '4', '8', '16'],
      'reference counts of the growth table (models 1..n serve as references)',
    ),
    statistic: choice(
      ['loss', 'phi'],
      'loss',
      'loss: minus the mean token NLL; phi: the mean logit-scaled confidence',
    ),
    location: choice(
      ['mean', 'median'],
      'mean',
      "location of each Gaussian: the paper's mean or the reference code's median",
    ),
    variance: choice(
      ['auto', 'global', 'per-example'],
      'auto',
      'auto: global below 64 references, per-example from there',
    ),
    keepSeed: integer(0, 'seed of the keep matrix and of every model', { min: 0 }),
    store: optionalString(
      'folder of the reference-model store; default: lira-models next to the run folders',
    ),
  }),
};

export interface LiraConfig {
  data: {
    pretrain: string;
    pool: string;
    format: 'auto' | 'jsonl' | 'json' | 'tinyshakespeare' | 'wikitext';
    poolSize: number;
    chunkBytes: number;
    pretrainRows: number;
  };
  model: { nEmbd: number; nLayer: number; nHead: number };
  pretrain: { steps: number; batchSize: number; lr: number };
  finetune: { epochs: number; batchSize: number; lr: number };
  audit: {
    models: number;
    sweep: readonly string[];
    statistic: 'loss' | 'phi';
    location: 'mean' | 'median';
    variance: 'auto' | 'global' | 'per-example';
    keepSeed: number;
    store: string | null;
  };
}

// The interface above must match the fields; this line stops compiling when they drift apart.
const agrees: [LiraConfig, ConfigOf<typeof fields>] extends [ConfigOf<typeof fields>, LiraConfig]
  ? true
  : never = true;
void agrees;

export const liraConfig: ConfigSpec<LiraConfig> = defineConfig(fields);
