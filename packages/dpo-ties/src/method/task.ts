/**
 * The task every variant of a run shares: the tokenizer, the frozen reference (model and cached
 * log-probs), the training groups, the held-out pairs, and for the steering task the reward model and
 * the held-out prompts its policies are sampled on.
 *
 * A training group contains the pairs of one prompt (steering: its clear and its tied pair), or a single
 * pair for file formats, so a batch of 8 groups is 8 prompts whatever the variant keeps of them.
 */
import { writeFileSync } from 'node:fs';
import {
  type LabelledExample,
  type PreferencePair,
  type RatedComparison,
  type TokenizedExample,
  type Tokenizer,
  tokenizeExample,
} from '@lab/data';
import { loadSentimentSentences } from '@lab/data/node';
import type { CausalLM } from '@lab/models';
import { ConfigError, lmBatch, lmLoss, type MethodContext, type Reference, sha256File } from '@lab/trainer';
import { SteeringError } from '../errors.js';
import {
  prepareSteeringData,
  promptPreferences,
  type SteeringData,
  steeringDataLines,
} from '../steering/data.js';
import { type RewardReport, type SentimentReward, trainSentimentReward } from '../steering/reward.js';
import { pairRows } from './batch.js';
import type { DpoTiesConfig } from './config.js';
import {
  applyTemplate,
  comparisonPairs,
  loadSource,
  splitHoldout,
  type TokenizedPreference,
  tieShare,
  tokenizePairs,
} from './pairs.js';

type Ctx = MethodContext<DpoTiesConfig>;

export interface SteeringTask {
  data: SteeringData;
  reward: SentimentReward;
  rewardReport: RewardReport;
}

export interface Task {
  tokenizer: Tokenizer;
  referenceModel: CausalLM;
  reference: Reference;
  groups: TokenizedPreference[][];
  holdout: TokenizedPreference[];
  /** Distinct held-out prompts (file formats), for the KL samples of the final evaluation. */
  prompts: string[];
  steering: SteeringTask | null;
}

/** Loads the model every variant starts from: the SFT stage's newest checkpoint when SFT ran, else model.path. */
export async function loadStartModel(ctx: Ctx): Promise<CausalLM> {
  const cfg = ctx.config;
  if (cfg.sft.steps > 0) return (await ctx.loadCheckpointModel('sft')).model;
  return (await ctx.loadModel('model.path', cfg.model.path)).model;
}

/** Fine-tunes model.path on the SFT rows as trainer stage "sft"; variants then start from it. */
async function trainSft(ctx: Ctx, rows: TokenizedExample[]): Promise<void> {
  const cfg = ctx.config;
  if (rows.length === 0) {
    throw new ConfigError('dpo-ties', [
      {
        field: 'sft.steps',
        value: cfg.sft.steps,
        detail: `finds no SFT targets${cfg.sft.system === null ? '' : ` of system "${cfg.sft.system}"`}; SFT needs a scored data format (mqm, rated-comparison) whose comparisons hold that candidate, or set sft.steps to 0`,
      },
    ]);
  }
  ctx.log.info('supervised fine-tuning of the starting model', { rows: rows.length, steps: cfg.sft.steps });
  const model = (await ctx.loadModel('model.path', cfg.model.path)).model;
  const settings = { maxLength: cfg.data.maxLength, truncation: cfg.data.truncation, backend: ctx.backend };
  try {
    await ctx.trainModel({
      stage: 'sft',
      model,
      rows,
      collate: (batch) => lmBatch(batch, settings),
      loss: (batch) => lmLoss(model, batch),
      optimizer: {
        kind: 'adamw',
        lr: cfg.sft.lr,
        weightDecay: 0,
        schedule: 'constant',
        warmupSteps: cfg.sft.warmupSteps,
        clipNorm: 1,
      },
      batchSize: cfg.sft.batchSize,
      steps: cfg.sft.steps,
      seed: ctx.seed,
      logEvery: cfg.train.logEvery,
    });
  } finally {
    model.dispose();
  }
}

/** Loads the frozen reference: a copy of the starting model behind the trainer's cached Reference. */
async function referenceFor(
  ctx: Ctx,
  tokenizer: Tokenizer,
  tokenizerHash: string,
): Promise<Pick<Task, 'tokenizer' | 'referenceModel' | 'reference'> & { tokenizerHash: string }> {
  const cfg = ctx.config;
  const referenceModel = await loadStartModel(ctx);
  if (tokenizer.vocabSize > referenceModel.vocabSize) {
    throw new ConfigError('dpo-ties', [
      {
        field: 'model.tokenizer',
        value: cfg.model.tokenizer,
        detail: `has ${tokenizer.vocabSize} tokens but the model reads only ${referenceModel.vocabSize}; use the model's own tokenizer`,
      },
    ]);
  }
  const reference = await ctx.reference(
    { mode: 'frozen-copy', model: referenceModel },
    {
      tokenizerHash,
      maxLength: cfg.data.maxLength,
      truncation: cfg.data.truncation,
      batchSize: cfg.eval.batchSize,
    },
  );
  return { tokenizer, referenceModel, reference, tokenizerHash };
}

/** Pairs, held-out pairs and SFT rows of a data file, before tokenization. */
interface FileSplit {
  train: PreferencePair[];
  holdout: PreferencePair[];
  /** Prompt and target text per training comparison (scored formats). */
  sft: { prompt: string; completion: string }[];
}

/** Returns the SFT target of a comparison: the named system's text, or else the best-scored candidate's. */
function sftTarget(comparison: RatedComparison, system: string | null): string | null {
  if (system !== null) return comparison.candidates.find((c) => c.id === system)?.text ?? null;
  const best = comparison.candidates.reduce((a, c) => (c.score > a.score ? c : a));
  return best.text;
}

/**
 * Splits a data file. Scored formats split whole comparisons, so no held-out prompt is trained on by
 * SFT or through its other pair. Ready pairs are split pair by pair.
 */
async function splitFile(ctx: Ctx): Promise<FileSplit & { file: string; pairs: number }> {
  const { data, sft } = ctx.config;
  const options = { tieThreshold: data.tieThreshold, groupSize: data.groupSize, seed: data.seed };
  const threshold = data.format === 'sentiment' ? 0 : data.tieThreshold;
  const load = async (name: string, spec: string) => {
    const source = await loadSource(resolveData(ctx, name, spec), data.format, options);
    ctx.recordData({ name, file: source.file, sha256: source.sha256, rows: source.rows });
    if (source.rejected > 0) ctx.log.warn(`skipped ${source.rejected} invalid rows`, { file: source.file });
    return source;
  };
  const train = await load('train', data.train);
  const held = data.holdout !== null ? await load('holdout', data.holdout) : null;
  const template = (p: PreferencePair) => ({ ...p, prompt: applyTemplate(data.promptTemplate, p.prompt) });
  if (train.comparisons) {
    const split = held?.comparisons
      ? { train: train.comparisons, holdout: held.comparisons }
      : splitHoldout(train.comparisons, data.holdoutFraction, data.seed);
    const sftRows = split.train.flatMap((c) => {
      const target = sftTarget(c, sft.system);
      return target === null
        ? []
        : [{ prompt: applyTemplate(data.promptTemplate, c.prompt), completion: target }];
    });
    return {
      file: train.file,
      pairs: split.train.length + split.holdout.length,
      train: comparisonPairs(split.train, threshold).map(template),
      holdout: comparisonPairs(split.holdout, threshold).map(template),
      sft: sftRows,
    };
  }
  const pairs = train.pairs ?? [];
  const split = held?.pairs
    ? { train: pairs, holdout: held.pairs }
    : splitHoldout(pairs, data.holdoutFraction, data.seed);
  return {
    file: train.file,
    pairs: pairs.length,
    train: split.train.map(template),
    holdout: split.holdout.map(template),
    sft: [],
  };
}

/** Resolves a data path; a missing MQM file gets a message on where to get it. */
function resolveData(ctx: Ctx, name: string, spec: string): string {
  try {
    return ctx.resolvePath(`data.${name}`, spec);
  } catch (error) {
    if (ctx.config.data.format !== 'mqm') throw error;
    throw new SteeringError(
      `data.${name}`,
      `the MQM file ${spec} was not found (${(error as Error).message}). The Google MQM human judgments are not shipped ` +
        '(non-commercial license): get mqm_ted_ende.tsv from github.com/google/wmt-mqm-human-evaluation and set ' +
        'LAB_DATA_DIR to the data folder that holds wmt-mqm/ (relative data/ paths are also looked up beside it), or give an absolute path',
    );
  }
}

/** Pairs from a data file as training groups of one pair, held-out pairs, and SFT rows. */
async function filePairs(
  ctx: Ctx,
  tokenizer: Tokenizer,
): Promise<Pick<Task, 'groups' | 'holdout' | 'prompts'> & { sft: TokenizedExample[] }> {
  const cfg = ctx.config;
  const split = await splitFile(ctx);
  const train = cfg.data.maxPairs !== null ? split.train.slice(0, cfg.data.maxPairs) : split.train;
  const holdout = split.holdout.slice(0, cfg.eval.maxPairs);
  ctx.log.info('pairs ready', {
    file: split.file,
    comparisonsOrPairs: split.pairs,
    train: train.length,
    trainTieShare: tieShare(train),
    holdout: holdout.length,
    holdoutTieShare: tieShare(holdout),
    sftRows: split.sft.length,
  });
  return {
    groups: tokenizePairs(tokenizer, train).map((p) => [p]),
    holdout: tokenizePairs(tokenizer, holdout),
    prompts: [...new Set(holdout.map((p) => p.prompt))],
    sft: split.sft.map((row) => tokenizeExample(tokenizer, row)),
  };
}

async function rewardSentences(ctx: Ctx): Promise<LabelledExample[]> {
  const rows: LabelledExample[] = [];
  for (const [i, spec] of ctx.config.reward.data.entries()) {
    const path = ctx.resolvePath(`reward.data[${i}]`, spec);
    const loaded = await loadSentimentSentences(path);
    ctx.recordData({ name: `reward-${i}`, file: path, sha256: await sha256File(path), rows: loaded.loaded });
    rows.push(...loaded.rows);
  }
  return rows;
}

/** Seconds left at the pace so far, as a short string. */
export function eta(startedMs: number, done: number, total: number): string {
  if (done <= 0) return '?';
  const seconds = ((performance.now() - startedMs) / 1000 / done) * (total - done);
  return seconds < 60
    ? `${Math.round(seconds)}s`
    : `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
}

async function steeringTask(ctx: Ctx, base: Awaited<ReturnType<typeof referenceFor>>): Promise<SteeringTask> {
  const cfg = ctx.config;
  const s = cfg.steering;
  const needed = 1 + s.promptTokens + s.completionTokens;
  if (cfg.data.maxLength < needed) {
    ctx.log.warn(
      'data.maxLength is shorter than a prompt and its continuation; rows lose their first tokens',
      {
        maxLength: cfg.data.maxLength,
        needed,
      },
    );
  }
  ctx.log.info('[steering 1/3] training the sentiment reward (logistic regression over word counts)');
  const { reward, report } = await trainSentimentReward(await rewardSentences(ctx), {
    ...cfg.reward,
    seed: cfg.data.seed,
    // A few thousand weights trained by gathers and scatters: a GPU gains nothing, so GPU runs fit it on cpu.
    backend: ctx.backend === 'wasm' ? 'wasm' : 'cpu',
  });
  ctx.log.info('sentiment reward ready', { ...report });

  const total = s.prompts + s.heldOutPrompts;
  ctx.log.info(
    `[steering 2/3] sampling ${total} prompts (BOS + ${s.promptTokens} tokens) and ${s.samples} continuations of up to ${s.completionTokens} tokens each`,
  );
  const started = performance.now();
  let lastLog = 0;
  const data = await prepareSteeringData(
    {
      model: base.referenceModel,
      tokenizer: base.tokenizer,
      modelKey: base.reference.modelKey,
      tokenizerHash: base.tokenizerHash,
      cacheDir: ctx.cacheDir,
      onProgress: (phase, done, count) => {
        const now = performance.now();
        if (phase === 'continuations' && (now - lastLog > 5000 || done === count)) {
          lastLog = now;
          ctx.log.info(`sampling continuations ${done}/${count} rows`, { eta: eta(started, done, count) });
        }
      },
    },
    s,
    reward,
  );
  ctx.run.ensure();
  writeFileSync(ctx.run.path('steering-data.jsonl'), `${steeringDataLines(data)}\n`);
  const rewards = data.train.flatMap((p) => p.samples.map((x) => x.reward));
  ctx.log.info('steering pairs ready', {
    cached: data.cached,
    trainPrompts: data.train.length,
    heldOutPrompts: data.heldOut.length,
    meanSampleReward: Number((rewards.reduce((a, v) => a + v, 0) / rewards.length).toFixed(3)),
    seconds: Math.round((performance.now() - started) / 1000),
  });
  return { data, reward, rewardReport: report };
}

/** Everything the variants share; see the module comment. */
export async function prepareTask(ctx: Ctx): Promise<Task> {
  const cfg = ctx.config;
  const { tokenizer, hash } = await ctx.loadTokenizer(cfg.model.tokenizer);
  const files = cfg.data.format === 'steering' ? null : await filePairs(ctx, tokenizer);
  if (cfg.sft.steps > 0) await trainSft(ctx, files?.sft ?? []);
  const base = await referenceFor(ctx, tokenizer, hash);
  let task: Task;
  if (files === null) {
    const steering = await steeringTask(ctx, base);
    task = {
      ...base,
      groups: steering.data.train.map((p) => promptPreferences(p, true)).filter((g) => g.length > 0),
      holdout: steering.data.heldOut.flatMap((p) => promptPreferences(p, true)),
      prompts: [],
      steering,
    };
  } else {
    task = { ...base, groups: files.groups, holdout: files.holdout, prompts: files.prompts, steering: null };
  }
  if (task.groups.length === 0) {
    throw new ConfigError('dpo-ties', [
      {
        field: 'data.train',
        value: ctx.config.data.train,
        detail:
          'gives no training pairs after the holdout split; use more data or a smaller data.holdoutFraction',
      },
    ]);
  }
  ctx.log.info(
    `${task.steering ? '[steering 3/3] ' : ''}reference log-probs of the training and held-out pairs`,
  );
  await task.reference.precompute([...pairRows(task.groups.flat()), ...pairRows(task.holdout)]);
  return task;
}
