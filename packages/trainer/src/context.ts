/**
 * MethodContext: what a method's recipe receives. It binds the trainer's primitives to one run
 * (its directory, logger, backend, seed, interruption signal and resume flag), so a recipe reads as a
 * list of stages: load, train a model with a loss, evaluate, generate, train many models.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { KindName, Tokenizer } from '@lab/data';
import type { CausalLM, ModelConfig } from '@lab/models';
import type { Module } from '@lab/tensor';
import { loadModel } from '@lab/models/node';
import { CheckpointStore } from './checkpoint.js';
import { RunDirError } from './errors.js';
import { writeAtomicSync } from './files.js';
import { type DataFormat, initLanguageModel, type LoadedModel, type LoadedSequences, type LoadedTokenizer, loadLanguageModel, loadSequences, loadTokenizer, resolveInput } from './inputs.js';
import type { Logger } from './logger.js';
import { evaluateLoss, type EvalLossResult, type GeneratedText, type GenerateTextOptions, generateText } from './primitives.js';
import { Reference, type ReferenceOptions, type ReferenceSpec } from './reference.js';
import { RunDir } from './run-dir.js';
import { type TrainEnv, type TrainModelOptions, type TrainResult, trainModel } from './train.js';
import type { LossOutput } from './train.js';

/** A data file the run read, recorded in the manifest. */
export interface DataRecord {
  name: string;
  file: string;
  sha256: string;
  rows: number;
}

export interface TrainManyJob {
  /** Unique, file-name safe: each job gets `jobs/<id>/` in the run directory. */
  id: string;
  seed: number;
}

export interface TrainManyOptions {
  /** Jobs run at once. NOTE: jobs run one after another for now, whatever this says; the interface stays when worker threads come. */
  concurrency?: number;
}

export interface MethodContext<C> {
  readonly method: string;
  readonly config: C;
  readonly seed: number;
  readonly backend: string;
  readonly run: RunDir;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly resume: boolean;
  /** The CLI's --steps: replaces the step count of every trainModel call. */
  readonly stepsOverride: number | null;
  /** Folder of the reference log-prob cache. */
  readonly cacheDir: string;
  /** Where relative paths of the configuration are looked up. */
  readonly roots: readonly string[];

  resolvePath(what: string, value: string): string;
  recordData(record: DataRecord): void;
  loadTokenizer(spec: string): Promise<LoadedTokenizer>;
  loadModel(what: string, value: string): Promise<LoadedModel>;
  /** The model of the newest checkpoint of a stage of this run (what evaluation reads). */
  loadCheckpointModel(stage?: string): Promise<LoadedModel>;
  initModel(config: ModelConfig, seed?: number): LoadedModel;
  loadSequences(name: string, path: string, kind: KindName, format?: DataFormat): Promise<LoadedSequences>;
  trainModel<Row, B>(options: TrainModelOptions<Row, B>): Promise<TrainResult>;
  /**
   * Runs the same recipe once per job (a data subset and a seed), each in `jobs/<id>/` with its own
   * metrics and checkpoints. A job that finished before (its result.json exists) is not run again.
   */
  trainMany<J extends TrainManyJob, R>(jobs: readonly J[], recipe: (job: J, ctx: MethodContext<C>) => Promise<R>, options?: TrainManyOptions): Promise<R[]>;
  evaluateLoss<Row, B>(rows: readonly Row[], batchSize: number, collate: (rows: Row[]) => B, loss: (batch: B) => LossOutput, maxBatches?: number): Promise<EvalLossResult>;
  generate(model: CausalLM, tokenizer: Tokenizer, prompt: string, options: GenerateTextOptions): Promise<GeneratedText>;
  /** Builds a Reference with this run's cache folder; errors for impossible combinations. */
  reference(spec: ReferenceSpec, options: Omit<ReferenceOptions, 'cacheDir' | 'log'> & { cacheDir?: string | null }): Promise<Reference>;
  /** Rewrites report.html from what the run directory holds now. */
  refreshReport(): Promise<void>;
  /** Models the method created; the runner frees them when the run ends. */
  own<M extends Module>(model: M): M;
}

export interface ContextInit<C> {
  method: string;
  config: C;
  seed: number;
  backend: string;
  run: RunDir;
  log: Logger;
  signal: AbortSignal;
  resume: boolean;
  stepsOverride: number | null;
  cacheDir: string;
  roots: readonly string[];
  onData: (record: DataRecord) => void;
  refreshReport: () => Promise<void>;
  owned: Module[];
}

export function createContext<C>(init: ContextInit<C>): MethodContext<C> {
  const env: TrainEnv = {
    run: init.run,
    log: init.log,
    backend: init.backend,
    resume: init.resume,
    signal: init.signal,
    stepsOverride: init.stepsOverride,
    onMetrics: init.refreshReport,
  };
  const ctx: MethodContext<C> = {
    method: init.method,
    config: init.config,
    seed: init.seed,
    backend: init.backend,
    run: init.run,
    log: init.log,
    signal: init.signal,
    resume: init.resume,
    stepsOverride: init.stepsOverride,
    cacheDir: init.cacheDir,
    roots: init.roots,
    resolvePath: (what, value) => resolveInput(what, value, init.roots),
    recordData: init.onData,
    loadTokenizer: (spec) => loadTokenizer(spec, init.roots),
    loadModel: async (what, value) => {
      const loaded = await loadLanguageModel(what, value, init.roots, init.backend);
      init.owned.push(loaded.model);
      return loaded;
    },
    loadCheckpointModel: async (stage = 'main') => {
      const latest = new CheckpointStore(init.run.checkpointDir(stage)).latest();
      if (!latest) throw new RunDirError(init.run.root, `has no checkpoint of stage "${stage}"; train first (lab train) or resume the run`);
      const model = await loadModel(latest.path, { backend: init.backend });
      init.owned.push(model);
      return { model, source: latest.path };
    },
    initModel: (config, seed) => {
      const loaded = initLanguageModel(config, seed ?? init.seed, init.backend);
      init.owned.push(loaded.model);
      return loaded;
    },
    loadSequences: async (name, path, kind, format) => {
      const loaded = await loadSequences(resolveInput(name, path, init.roots), kind, format);
      init.onData({ name, file: loaded.file, sha256: loaded.sha256, rows: loaded.rows });
      if (loaded.rejected > 0) init.log.info(`skipped ${loaded.rejected} rows the loader rejected`, { data: name, file: loaded.file });
      return loaded;
    },
    trainModel: (options) => trainModel(env, options),
    trainMany: (jobs, recipe) => trainMany(init, jobs, recipe),
    evaluateLoss: (rows, batchSize, collate, loss, maxBatches) => evaluateLoss(rows, batchSize, collate, loss, maxBatches),
    generate: (model, tokenizer, prompt, options) => generateText(model, tokenizer, prompt, options),
    reference: (spec, options) => Reference.create(spec, { ...options, cacheDir: options.cacheDir === undefined ? init.cacheDir : options.cacheDir, log: init.log }),
    refreshReport: init.refreshReport,
    own: (model) => {
      init.owned.push(model);
      return model;
    },
  };
  return ctx;
}

async function trainMany<C, J extends TrainManyJob, R>(init: ContextInit<C>, jobs: readonly J[], recipe: (job: J, ctx: MethodContext<C>) => Promise<R>): Promise<R[]> {
  const ids = new Set(jobs.map((j) => j.id));
  if (ids.size !== jobs.length) throw new Error('trainMany: job ids must be unique; each names its folder under jobs/');
  const results: R[] = [];
  for (const [i, job] of jobs.entries()) {
    const jobRun = new RunDir(join(init.run.root, 'jobs', job.id)).ensure();
    const resultPath = jobRun.path('result.json');
    if (existsSync(resultPath)) {
      init.log.info(`job ${job.id} finished before; reading its result`, { job: i + 1, of: jobs.length });
      results.push(JSON.parse(readFileSync(resultPath, 'utf8')) as R);
      continue;
    }
    init.log.info(`job ${job.id}`, { job: i + 1, of: jobs.length, seed: job.seed });
    const owned: Module[] = [];
    const jobCtx = createContext<C>({ ...init, run: jobRun, seed: job.seed, owned, refreshReport: async () => {} });
    try {
      const result = await recipe(job, jobCtx);
      writeAtomicSync(resultPath, `${JSON.stringify(result ?? null)}\n`);
      results.push(result);
    } finally {
      for (const model of owned) if (!model.isDisposed) model.dispose();
    }
  }
  return results;
}

/** The cache folder runs under `parent` share, unless LAB_CACHE_DIR says otherwise. */
export function defaultCacheDir(runRoot: string): string {
  return process.env.LAB_CACHE_DIR ?? join(dirname(runRoot), '.cache', 'reference');
}
