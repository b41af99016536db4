/**
 * The `lira` Method: pretrain one byte-level GPT on separate text, fine-tune the target (model 0)
 * and every reference from it on its member half of a candidate pool (a balanced keep matrix), score
 * every model on every candidate, and run online LiRA, offline LiRA and the loss threshold.
 * Models are filed in a store keyed by (recipe hash, data hash, member indices, seed), so growing the
 * audit or resuming it trains only what is missing.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ByteTokenizer, type TokenizedExample } from '@lab/data';
import { type CausalLM, gptConfig } from '@lab/models';
import {
  ConfigError,
  defineMethod,
  type EvalResult,
  lmBatch,
  lmLoss,
  type Method,
  type MethodContext,
} from '@lab/trainer';
import { auditMetrics, auditSections, runAudit } from './audit.js';
import { type LiraConfig, liraConfig } from './config.js';
import { keepMatrix, memberIndices } from './keep.js';
import { byteChunks, drawChunks, rowsHash } from './pool.js';
import { type SequenceStatistics, sequenceStatistics } from './statistics.js';
import { hashJson, ModelStore, modelKey, type StoreJob, trainInStore } from './store.js';

type Ctx = MethodContext<LiraConfig>;

/** Name of the file in the run folder that `run` writes and `evaluate` reads. */
export const STATISTICS_FILE = 'lira-statistics.json';

export interface StatisticsFile {
  poolSize: number;
  keep: boolean[][];
  loss: number[][];
  phi: number[][];
  keys: string[];
  trained: number;
  reused: number;
  seconds: { total: number; training: number; scoring: number };
}

async function loadText(ctx: Ctx, name: string, path: string): Promise<string> {
  const loaded = await ctx.loadSequences(name, path, 'text', ctx.config.data.format);
  return loaded.sequences.map((s) => s.prompt + s.completion).join('\n');
}

function checkConfig(cfg: LiraConfig): number[] {
  const problems = [];
  if (cfg.audit.models % 2 !== 0)
    problems.push({
      field: 'audit.models',
      value: cfg.audit.models,
      detail: 'must be even so each candidate is IN for exactly half the models; add one',
    });
  if (cfg.data.poolSize % 2 !== 0)
    problems.push({
      field: 'data.poolSize',
      value: cfg.data.poolSize,
      detail: 'must be even so each model trains on exactly half',
    });
  if (cfg.model.nEmbd % cfg.model.nHead !== 0)
    problems.push({
      field: 'model.nHead',
      value: cfg.model.nHead,
      detail: `must divide model.nEmbd (${cfg.model.nEmbd})`,
    });
  const sweep = cfg.audit.sweep.map(Number);
  const bad = sweep.find((n) => !Number.isInteger(n) || n < 1 || n >= cfg.audit.models);
  if (bad !== undefined)
    problems.push({
      field: 'audit.sweep',
      value: cfg.audit.sweep,
      detail: `holds ${bad}; each count must be an integer in 1..${cfg.audit.models - 1} (audit.models - 1)`,
    });
  if (problems.length > 0) throw new ConfigError('lira', problems);
  return sweep;
}

function storeOf(ctx: Ctx): ModelStore {
  return new ModelStore(
    ctx.config.audit.store ? resolve(ctx.config.audit.store) : join(dirname(ctx.run.root), 'lira-models'),
  );
}

// TODO: switch to the trainer's built-in sft Method per job once it accepts in-memory rows and a GPT
// architecture. Until then the jobs call trainModel with the same lmBatch/lmLoss that sft uses.
function trainOptions(model: CausalLM, rows: readonly TokenizedExample[], backend: string) {
  return {
    model,
    rows,
    collate: (r: TokenizedExample[]) => lmBatch(r, { backend }),
    loss: (b: ReturnType<typeof lmBatch>) => lmLoss(model, b),
  };
}

/** Statistics of one stored model on the pool, cached next to the model. */
async function statisticsOf(
  ctx: Ctx,
  store: ModelStore,
  key: string,
  pool: readonly TokenizedExample[],
  dataHash: string,
): Promise<SequenceStatistics> {
  const cache = join(store.path(key), `stats-${dataHash.slice(0, 16)}.json`);
  if (existsSync(cache)) return JSON.parse(readFileSync(cache, 'utf8')) as SequenceStatistics;
  const model = await store.load(key, ctx.backend);
  try {
    const stats = await sequenceStatistics(model, pool, { batchSize: 64, backend: ctx.backend });
    writeFileSync(cache, JSON.stringify(stats));
    return stats;
  } finally {
    model.dispose();
  }
}

async function run(ctx: Ctx): Promise<void> {
  const cfg = ctx.config;
  checkConfig(cfg);
  const started = performance.now();
  const tokenizer = new ByteTokenizer();
  const pool = drawChunks(
    byteChunks(await loadText(ctx, 'data.pool', cfg.data.pool), cfg.data.chunkBytes),
    cfg.data.poolSize,
    cfg.audit.keepSeed,
    'data.poolSize',
  );
  const pretrainRows = drawChunks(
    byteChunks(await loadText(ctx, 'data.pretrain', cfg.data.pretrain), cfg.data.chunkBytes),
    cfg.data.pretrainRows,
    cfg.audit.keepSeed,
    'data.pretrainRows',
  );
  const dataHash = rowsHash(pool);
  const store = storeOf(ctx);
  const arch = gptConfig({
    vocabSize: tokenizer.vocabSize,
    nPositions: cfg.data.chunkBytes + 1,
    nEmbd: cfg.model.nEmbd,
    nLayer: cfg.model.nLayer,
    nHead: cfg.model.nHead,
  });
  // --steps replaces every stage's step count, so it is part of every recipe.
  const steps = ctx.stepsOverride;

  const base: StoreJob = {
    index: 0,
    name: 'base',
    spec: {
      recipeHash: hashJson({ stage: 'pretrain', arch, pretrain: cfg.pretrain, steps }),
      dataHash: rowsHash(pretrainRows),
      members: [],
      seed: cfg.audit.keepSeed,
    },
  };
  const baseKey = modelKey(base.spec);
  await trainInStore(ctx, store, [base], async (_job, jobCtx) => {
    const model = jobCtx.initModel(arch, cfg.audit.keepSeed).model;
    const p = cfg.pretrain;
    await jobCtx.trainModel({
      ...trainOptions(model, pretrainRows, ctx.backend),
      stage: 'pretrain',
      optimizer: { kind: 'adamw', lr: p.lr, schedule: 'cosine', warmupSteps: 10, clipNorm: 1 },
      batchSize: p.batchSize,
      steps: p.steps,
      seed: cfg.audit.keepSeed,
      logEvery: 10,
    });
    return model;
  });

  const keep = keepMatrix(cfg.audit.models, cfg.data.poolSize, cfg.audit.keepSeed);
  const recipeHash = hashJson({ stage: 'finetune', arch, base: baseKey, finetune: cfg.finetune, steps });
  const jobs: StoreJob[] = keep.map((row, m) => ({
    index: m,
    name: m === 0 ? 'target' : `ref${m}`,
    spec: { recipeHash, dataHash, members: memberIndices(row), seed: cfg.audit.keepSeed * 1000 + m + 1 },
  }));
  const outcome = await trainInStore(ctx, store, jobs, async (job, jobCtx) => {
    const model = jobCtx.own(await store.load(baseKey, ctx.backend));
    const f = cfg.finetune;
    const rows = job.spec.members.map((i) => pool[i]);
    await jobCtx.trainModel({
      ...trainOptions(model, rows, ctx.backend),
      stage: 'finetune',
      optimizer: { kind: 'adamw', lr: f.lr, schedule: 'constant', clipNorm: 1 },
      batchSize: f.batchSize,
      epochs: f.epochs,
      seed: job.spec.seed,
      logEvery: 10,
    });
    return model;
  });
  const trainedAt = performance.now();

  const loss: number[][] = [];
  const phi: number[][] = [];
  for (const [m, key] of outcome.keys.entries()) {
    const stats = await statisticsOf(ctx, store, key, pool, dataHash);
    loss.push(stats.loss);
    phi.push(stats.phi);
    ctx.log.info('scored', { model: m, of: outcome.keys.length });
  }
  const done = performance.now();
  const seconds = {
    total: (done - started) / 1000,
    training: (trainedAt - started) / 1000,
    scoring: (done - trainedAt) / 1000,
  };
  const file: StatisticsFile = {
    poolSize: pool.length,
    keep,
    loss,
    phi,
    keys: outcome.keys,
    trained: outcome.trained,
    reused: outcome.reused,
    seconds,
  };
  writeFileSync(ctx.run.path(STATISTICS_FILE), JSON.stringify(file));
  ctx.log.info('audit statistics ready', { ...seconds, trained: outcome.trained, reused: outcome.reused });
}

async function evaluate(ctx: Ctx): Promise<EvalResult> {
  const cfg = ctx.config;
  const sweep = checkConfig(cfg);
  const file = JSON.parse(readFileSync(ctx.run.path(STATISTICS_FILE), 'utf8')) as StatisticsFile;
  const stats = cfg.audit.statistic === 'loss' ? file.loss : file.phi;
  const result = runAudit({
    stats,
    keep: file.keep,
    sweep,
    location: cfg.audit.location,
    variance: cfg.audit.variance,
  });
  const metrics = {
    ...auditMetrics(result),
    trainedModels: file.trained,
    reusedModels: file.reused,
    secondsTotal: file.seconds.total,
  };
  const note = {
    kind: 'text' as const,
    title: 'Setup',
    text: `${file.keep.length} models (target 0 and ${file.keep.length - 1} references), ${file.poolSize} candidates of ${cfg.data.chunkBytes} bytes, statistic ${cfg.audit.statistic}, location ${cfg.audit.location}, variance ${cfg.audit.variance}. Offline score: log Φ((o − μ_out)/σ_out). TPR@0.1% needs about 4,096 non-members to mean anything; this pool has ${file.poolSize / 2}. Wall time ${file.seconds.total.toFixed(0)} s (training ${file.seconds.training.toFixed(0)} s, scoring ${file.seconds.scoring.toFixed(0)} s).`,
  };
  return {
    metrics,
    plots: [note, ...auditSections(result)],
    details: {
      growth: result.growth.map((r) => ({
        references: r.references,
        variance: r.variance,
        attack: r.attack,
        auc: r.metrics.auc,
        tprAt: r.metrics.tprAt,
      })),
      leaveOneOut: result.leaveOneOut,
    },
  };
}

/** The quick demo: a tiny model and pool, a minute or less on the CPU. */
export const QUICK_CONFIG = {
  data: { poolSize: 64, chunkBytes: 16, pretrainRows: 64 },
  model: { nEmbd: 16, nLayer: 1, nHead: 2 },
  pretrain: { steps: 4, batchSize: 16 },
  finetune: { epochs: 2, batchSize: 16, lr: 3e-3 },
  audit: { models: 6, sweep: ['1', '2', '4'] },
};

export const method: Method<LiraConfig> = defineMethod<LiraConfig>({
  name: 'lira',
  summary:
    'Likelihood-ratio membership inference (online, offline, loss threshold) with many reference models',
  paper: {
    title: 'Membership Inference Attacks From First Principles',
    authors: 'Carlini, Chien, Nasr, Song, Terzis, Tramèr',
    year: 2022,
    url: 'arXiv:2112.03570',
  },
  config: liraConfig,
  data: [
    {
      name: 'pool',
      kinds: ['text'],
      description: 'text the candidate pool is cut from; each model trains on half',
    },
    {
      name: 'pretrain',
      kinds: ['text'],
      description: 'separate text the shared base model is pretrained on',
    },
  ],
  models: [
    { name: 'base', kind: 'policy', trainable: true, madeBy: 'pretrained from scratch on data.pretrain' },
    {
      name: 'references',
      kind: 'recipe',
      trainable: true,
      madeBy: 'the target (model 0) and each reference fine-tuned from the base on its member half',
    },
  ],
  run,
  evaluate,
  demos: [
    {
      name: 'lira',
      method: 'lira',
      summary: 'LiRA on 18 byte-level GPTs fine-tuned on WikiText-2 chunks; AUC and TPR as references grow',
      config: {},
      quickConfig: QUICK_CONFIG,
    },
  ],
});
