/**
 * The built-in `sft` method: supervised fine-tuning, or language-model pretraining, on a text corpus
 * or a prompt/completion set. It is how reference models are made for the other methods.
 *
 *   loss = -(1 / N) * sum over completion tokens of log p(y_t | y_<t)
 *
 * with N the number of completion tokens in the batch (prompt and padding tokens are masked out).
 * Long text rows are cut into chunks of `data.maxLength` tokens, each starting with BOS.
 */
import { permutation, type TokenizedExample, tokenizeExample } from '@lab/data';
import { applyLoRA, type CausalLM, llamaConfig } from '@lab/models';
import { boolean, choice, defineConfig, group, integer, number, optionalInteger, optionalString, string, stringList } from './config.js';
import type { ConfigOf } from './config.js';
import type { MethodContext } from './context.js';
import { ConfigError } from './errors.js';
import { defineMethod, type EvalResult } from './method.js';
import { type LmBatch, lmBatch, lmLoss } from './primitives.js';

const fields = {
  model: group('The model to train', {
    path: optionalString('llama2.c .bin file, model directory or run directory; null trains a new model from model.init'),
    tokenizer: string('bytes', '"bytes" or a llama2.c tokenizer file such as tok512.bin'),
    init: group('Architecture of a new Llama model (used when model.path is null)', {
      dim: integer(64, 'width of the residual stream', { min: 1 }),
      hiddenDim: integer(172, 'width of the SwiGLU hidden layer', { min: 1 }),
      nLayers: integer(2, 'transformer blocks', { min: 1 }),
      nHeads: integer(4, 'attention heads; dim must be a multiple', { min: 1 }),
      maxSeqLen: integer(256, 'longest sequence', { min: 2, unit: 'tokens' }),
    }),
  }),
  lora: group('LoRA adapters', {
    rank: integer(0, 'adapter rank; 0 trains every weight instead', { min: 0 }),
    alpha: number(16, 'adapter scale numerator (scale = alpha / rank)', { above: 0 }),
    targets: stringList(['wq', 'wk', 'wv', 'wo'], 'dense layers that get an adapter, by name or name suffix'),
  }),
  data: group('Training data', {
    train: string('data/tinyshakespeare/input.txt.gz', 'dataset file (JSON Lines, JSON, Tiny Shakespeare or WikiText)'),
    format: choice(['auto', 'jsonl', 'json', 'tinyshakespeare', 'wikitext'], 'auto', 'file format; auto decides from the name'),
    kind: choice(['text', 'prompt-completion', 'qa'], 'text', 'dataset kind of JSON rows'),
    validFraction: number(0.05, 'share of rows held out for evaluation', { min: 0, max: 0.5 }),
    maxRows: optionalInteger('use only the first N rows of the file', { min: 1 }),
    maxLength: integer(128, 'tokens per training row, BOS included', { min: 2, unit: 'tokens' }),
    truncation: choice(['keep-start', 'keep-end'], 'keep-start', 'which end of a prompt/completion row survives truncation'),
    chunk: boolean(true, 'cut long text rows into maxLength chunks instead of truncating them'),
  }),
  train: group('Optimization', {
    steps: integer(200, 'optimizer steps', { min: 1, unit: 'steps' }),
    batchSize: integer(8, 'rows per micro-batch', { min: 1, unit: 'rows' }),
    gradAccum: integer(1, 'micro-batches per optimizer step', { min: 1 }),
    lr: number(1e-3, 'peak learning rate', { above: 0, unit: 'per step' }),
    weightDecay: number(0, 'AdamW decoupled weight decay', { min: 0 }),
    schedule: choice(['cosine', 'constant', 'linear'], 'cosine', 'learning-rate schedule after warm-up'),
    warmupSteps: integer(10, 'linear warm-up', { min: 0, unit: 'steps' }),
    minLr: number(0, 'floor of the decay', { min: 0, unit: 'per step' }),
    clipNorm: number(1, 'clip the gradient norm to this; 0 turns clipping off', { min: 0 }),
    logEvery: integer(10, 'write a metrics line every N steps', { min: 1, unit: 'steps' }),
    evalEvery: integer(50, 'evaluate and sample every N steps (0: only at the end)', { min: 0, unit: 'steps' }),
    evalBatches: integer(4, 'validation batches per periodic evaluation', { min: 1, unit: 'batches' }),
    checkpointEvery: integer(50, 'checkpoint every N steps (and always at the end)', { min: 0, unit: 'steps' }),
    keepLast: integer(2, 'newest checkpoints kept', { min: 1 }),
    keepBest: integer(1, 'best checkpoints kept by validLoss', { min: 0 }),
  }),
  sample: group('Generations stored at each evaluation', {
    prompts: stringList(['Once upon a time'], 'prompts to continue'),
    maxTokens: integer(48, 'tokens per generation', { min: 1, unit: 'tokens' }),
    temperature: number(0.8, 'sampling temperature; 0 is greedy', { min: 0 }),
  }),
  eval: group('Final evaluation', {
    maxRows: integer(256, 'validation rows scored by the final evaluation', { min: 1, unit: 'rows' }),
  }),
};

export const sftConfig = defineConfig(fields);
export type SftConfig = ConfigOf<typeof fields>;

/** Cuts a text row's completion into pieces that fit maxLength together with the prompt. */
function chunkRow(row: TokenizedExample, maxLength: number): TokenizedExample[] {
  const room = maxLength - row.prompt.length;
  if (room < 1 || row.completion.length <= room) return [row];
  const out: TokenizedExample[] = [];
  for (let start = 0; start < row.completion.length; start += room) {
    const completion = row.completion.slice(start, start + room);
    // One prediction needs two tokens; without a prompt, a one-token tail has nothing to learn.
    if (row.prompt.length + completion.length >= 2) out.push({ prompt: row.prompt, completion });
  }
  return out;
}

interface Prepared {
  train: TokenizedExample[];
  valid: TokenizedExample[];
}

async function prepareData(ctx: MethodContext<SftConfig>, tokenizer: Awaited<ReturnType<MethodContext<SftConfig>['loadTokenizer']>>['tokenizer']): Promise<Prepared> {
  const { data } = ctx.config;
  const loaded = await ctx.loadSequences('data.train', data.train, data.kind, data.format);
  const sequences = data.maxRows ? loaded.sequences.slice(0, data.maxRows) : loaded.sequences;
  let rows = sequences.map((s) => tokenizeExample(tokenizer, s));
  if (data.chunk && data.kind === 'text') rows = rows.flatMap((r) => chunkRow(r, data.maxLength));
  // The split depends on the data only, not on the run's seed, so runs with different seeds share it.
  const order = permutation(rows.length, 0, 0);
  const validCount = Math.min(rows.length - 1, Math.round(rows.length * data.validFraction));
  const valid = order.slice(0, validCount).map((i) => rows[i]);
  const train = order.slice(validCount).map((i) => rows[i]);
  ctx.log.info('data ready', { file: loaded.file, rows: loaded.rows, sequences: rows.length, train: train.length, valid: valid.length });
  return { train, valid };
}

async function loadPolicy(ctx: MethodContext<SftConfig>, vocabSize: number): Promise<CausalLM> {
  const { model: spec, lora } = ctx.config;
  const model = spec.path
    ? (await ctx.loadModel('model.path', spec.path)).model
    : ctx.initModel(llamaConfig({ ...spec.init, vocabSize, maxSeqLen: spec.init.maxSeqLen }), ctx.seed).model;
  if (vocabSize > model.vocabSize) {
    throw new ConfigError('sft', [{ field: 'model.tokenizer', value: spec.tokenizer, detail: `has ${vocabSize} tokens but the model reads only ${model.vocabSize}; use the model's own tokenizer` }]);
  }
  if (lora.rank > 0) applyLoRA(model, { rank: lora.rank, alpha: lora.alpha, targets: [...lora.targets], seed: ctx.seed });
  return model;
}

export const sft = defineMethod<SftConfig>({
  name: 'sft',
  summary: 'Supervised fine-tuning / language-model pretraining with token-mean cross-entropy on completion tokens',
  paper: { title: 'Language Models are Unsupervised Multitask Learners (next-token cross-entropy)', authors: 'Radford et al.', year: 2019 },
  config: sftConfig,
  data: [{ name: 'train', kinds: ['text', 'prompt-completion', 'qa'], description: 'rows to train on; a held-out share is the validation set' }],
  models: [{ name: 'policy', kind: 'policy', trainable: true, madeBy: 'loaded from model.path (llama2.c .bin, model directory or run) or built from model.init' }],

  async run(ctx) {
    const cfg = ctx.config;
    const { tokenizer } = await ctx.loadTokenizer(cfg.model.tokenizer);
    const model = await loadPolicy(ctx, tokenizer.vocabSize);
    const { train, valid } = await prepareData(ctx, tokenizer);
    const batchOptions = { maxLength: cfg.data.maxLength, truncation: cfg.data.truncation, backend: ctx.backend };
    const t = cfg.train;

    await ctx.trainModel<TokenizedExample, LmBatch>({
      model,
      rows: train,
      collate: (rows) => lmBatch(rows, batchOptions),
      loss: (batch) => lmLoss(model, batch),
      optimizer: { kind: 'adamw', lr: t.lr, weightDecay: t.weightDecay, schedule: t.schedule, warmupSteps: t.warmupSteps, minLr: t.minLr, clipNorm: t.clipNorm > 0 ? t.clipNorm : null },
      batchSize: t.batchSize,
      gradAccum: t.gradAccum,
      steps: t.steps,
      seed: ctx.seed,
      logEvery: t.logEvery,
      evalEvery: t.evalEvery > 0 ? t.evalEvery : null,
      checkpointEvery: t.checkpointEvery > 0 ? t.checkpointEvery : null,
      retention: { keepLast: t.keepLast, keepBest: t.keepBest, metric: valid.length > 0 ? 'validLoss' : null, mode: 'min' },
      evaluate: async (): Promise<Record<string, number>> => {
        if (valid.length === 0) return {};
        const result = await ctx.evaluateLoss(valid, t.batchSize, (rows) => lmBatch(rows, batchOptions), (batch) => lmLoss(model, batch), t.evalBatches);
        return { validLoss: result.loss };
      },
      samples: async (_model, step) => {
        const out = [];
        for (const [i, prompt] of cfg.sample.prompts.entries()) {
          const seed = ctx.seed * 1_000_003 + step * 101 + i;
          const generated = await ctx.generate(model, tokenizer, prompt, { maxTokens: cfg.sample.maxTokens, temperature: cfg.sample.temperature, seed });
          out.push({ prompt, text: generated.text, seed });
        }
        return out;
      },
    });
  },

  async evaluate(ctx): Promise<EvalResult> {
    const cfg = ctx.config;
    const { tokenizer } = await ctx.loadTokenizer(cfg.model.tokenizer);
    const { model } = await ctx.loadCheckpointModel('main');
    const { valid } = await prepareData(ctx, tokenizer);
    const batchOptions = { maxLength: cfg.data.maxLength, truncation: cfg.data.truncation, backend: ctx.backend };
    const rows = valid.slice(0, cfg.eval.maxRows);
    const metrics: Record<string, number> = {};
    if (rows.length > 0) {
      const result = await ctx.evaluateLoss(rows, cfg.train.batchSize, (r) => lmBatch(r, batchOptions), (batch) => lmLoss(model, batch));
      metrics.validLoss = result.loss;
      metrics.validPerplexity = Math.exp(result.loss);
      metrics.validTokens = result.tokens;
    }
    const lastTrain = ctx.run.readMetrics().filter((l) => l.split === 'train' && l.stage === 'main').pop();
    if (lastTrain?.metrics.loss) metrics.trainLoss = lastTrain.metrics.loss.value;
    return { metrics, versions: { validLoss: 1, validPerplexity: 1, validTokens: 1, trainLoss: 1 } };
  },
});
