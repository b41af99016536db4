/**
 * `trainModel`: the one training loop every method's recipe calls. Seeded batch order, gradient
 * accumulation, AdamW/SGD with a schedule and clipping, metrics every `logEvery` steps, evaluation and
 * samples every `evalEvery`, checkpoints every `checkpointEvery` and at the end, resume from the newest
 * checkpoint, NaN/inf detection that names the step and the term, and a checkpoint before exit when
 * the run is interrupted.
 *
 * Reads from the device happen only at log, eval and checkpoint boundaries: each step keeps a small
 * vector of scalars (loss, grad norm, terms) on the device, and the values are read in one go later.
 * A non-finite value is still reported with the exact step that produced it.
 */
import { add, castTo, detach, div, type Generator, keep, type Module, mul, noGrad, type Optimizer, optim, scopeAsync, sqrt, stack, sum, type Tensor, zeros } from '@lab/tensor';
import { type BestRecord, type CheckpointEntry, CheckpointStore, type PendingRecords, type RetentionOptions } from './checkpoint.js';
import { InterruptedError, NonFiniteError } from './errors.js';
import type { Logger } from './logger.js';
import { Progress } from './logger.js';
import { buildOptimizer, type OptimizerConfig } from './optim.js';
import type { MetricValue, RunDir } from './run-dir.js';
import { checkpointFiles, DataOrder, restoreCheckpoint, restoreRng, rngStates } from './state.js';

/** Output of a loss function for one micro-batch. Every tensor is a scalar. */
export interface LossOutput {
  loss: Tensor;
  /** Named parts of the loss; each is logged and checked for NaN/inf. */
  terms?: Record<string, Tensor>;
  /** Other scalars to log (accuracy, reward margin, ...). */
  metrics?: Record<string, Tensor>;
  /** Tokens in this micro-batch, for tokens/s. */
  tokens?: number;
}

export interface StepInfo {
  /** Optimizer steps completed before this one. */
  step: number;
  microStep: number;
}

export interface SampleOutput {
  prompt: string;
  text: string;
  seed: number;
}

/** Method state outside the model and optimizer that must survive a resume. */
export interface ExtraState {
  tensors(): Map<string, Tensor>;
  json(): unknown;
  restore(json: unknown, tensors: Map<string, Tensor> | null): void;
}

export interface TrainModelOptions<Row, B> {
  /** Names this training stage; each stage has its own checkpoints and metric lines (default 'main'). */
  stage?: string;
  model: Module;
  /** Parameters to update (default: model.trainableParameters()). */
  parameters?: Tensor[];
  rows: readonly Row[];
  /** Builds a batch from rows; runs inside the step's scope, so its tensors are freed after the step. */
  collate: (rows: Row[]) => B | Promise<B>;
  loss: (batch: B, info: StepInfo) => LossOutput | Promise<LossOutput>;
  /**
   * The loss function updates the parameters itself (a meta-gradient, a differentiable optimizer);
   * the loop then runs no backward pass and no optimizer step, but still logs, evaluates and checkpoints.
   */
  manualUpdate?: boolean;
  optimizer: OptimizerConfig;
  /** Rows per micro-batch. */
  batchSize: number;
  /** Micro-batches per optimizer step (default 1). */
  gradAccum?: number;
  /** Optimizer steps; when absent, `epochs` decides. */
  steps?: number;
  epochs?: number;
  shuffle?: boolean;
  /** Seed of the batch order (default 0). */
  seed?: number;
  logEvery?: number;
  evalEvery?: number | null;
  checkpointEvery?: number | null;
  /** Evaluation metrics of the model at a step; the model is in eval mode meanwhile. */
  evaluate?: (model: Module, step: number) => Promise<Record<string, number>>;
  /** Generations to store at each evaluation. */
  samples?: (model: Module, step: number) => Promise<SampleOutput[]>;
  /** Version of each metric's definition (default 1); bump it when a formula changes. */
  metricVersions?: Record<string, number>;
  retention?: RetentionOptions;
  /** Random streams the method uses besides the default one; saved and restored with checkpoints. */
  rng?: Record<string, Generator>;
  extraState?: ExtraState;
  referenceCacheKey?: string | null;
}

/** Services of the run around the loop: directory, logger, backend, resume flag, interruption. */
export interface TrainEnv {
  run: RunDir;
  log: Logger;
  backend: string;
  resume: boolean;
  /** Aborted on SIGINT: the loop saves a checkpoint and throws InterruptedError. */
  signal?: AbortSignal;
  /** Replaces the step count of every stage (the CLI's --steps). */
  stepsOverride?: number | null;
  /** Called after new metrics are written, to refresh the report. */
  onMetrics?: () => Promise<void>;
  progress?: Progress;
}

export interface TrainResult {
  stage: string;
  steps: number;
  tokens: number;
  /** Metrics of the last evaluation, when there was one. */
  evalMetrics: Record<string, number>;
  /** Mean training values of the last logged window. */
  trainMetrics: Record<string, number>;
  best: BestRecord | null;
  lastCheckpoint: string | null;
  /** True when the stage had already finished before this call (a resumed multi-stage run). */
  alreadyDone: boolean;
}

const FIXED = ['loss', 'gradNorm'] as const;

/** sqrt of the sum of squared gradients, without clipping. */
function gradNorm(params: readonly Tensor[]): Tensor {
  const withGrad = params.filter((p) => p.grad !== null);
  return noGrad(() => {
    if (withGrad.length === 0) return zeros([]);
    const squares = withGrad.map((p) => sum(mul(p.grad!, p.grad!)));
    return sqrt(squares.reduce((total, s) => add(total, s)));
  });
}

function totalStepsOf<Row, B>(options: TrainModelOptions<Row, B>, env: TrainEnv, batchesPerEpoch: number): number {
  if (env.stepsOverride != null) return env.stepsOverride;
  if (options.steps !== undefined) return options.steps;
  const accum = options.gradAccum ?? 1;
  return Math.max(1, Math.floor(((options.epochs ?? 1) * batchesPerEpoch) / accum));
}

/** The loop's mutable state, kept in one place so checkpoints can write and restore it. */
interface LoopState {
  step: number;
  tokens: number;
  best: BestRecord | null;
  lastCheckpoint: string | null;
  latestEval: Record<string, number>;
  names: string[] | null;
  /** Device records not read yet, with their steps and host values (lr, tokens). */
  unread: { step: number; record: Tensor; lr: number; tokens: number }[];
  pending: PendingRecords;
  lastTrain: Record<string, number>;
}

export async function trainModel<Row, B>(env: TrainEnv, options: TrainModelOptions<Row, B>): Promise<TrainResult> {
  const stage = options.stage ?? 'main';
  const { model, rows } = options;
  const { run, log } = env;
  const accum = options.gradAccum ?? 1;
  const params = options.parameters ?? model.trainableParameters();
  const order = new DataOrder(rows.length, options.batchSize, { seed: options.seed ?? 0, epoch: 0, index: 0 }, options.shuffle ?? true);
  const totalSteps = totalStepsOf(options, env, order.batchesPerEpoch);
  const logEvery = Math.max(1, options.logEvery ?? 10);
  const versions = options.metricVersions ?? {};
  const retention = { keepLast: 2, keepBest: 1, metric: null, mode: 'min' as const, ...options.retention };
  const store = new CheckpointStore(run.checkpointDir(stage), { ...retention, log });
  const optimizer = buildOptimizer(params, options.optimizer, totalSteps);
  const clipNorm = options.optimizer.clipNorm ?? null;
  const progress = env.progress ?? new Progress(log);
  const state: LoopState = { step: 0, tokens: 0, best: null, lastCheckpoint: null, latestEval: {}, names: null, unread: [], pending: { names: [], steps: [], rows: [] }, lastTrain: {} };

  try {
    store.recover();
    const resumed = env.resume ? store.latest() : null;
    if (resumed) await restore(resumed);
    run.truncateAfter(stage, state.step);
    const alreadyDone = resumed !== null && state.step >= totalSteps;
    if (alreadyDone) {
      log.info('stage already finished; skipping', { stage, step: state.step });
      return result(true);
    }

    log.info(`training stage ${stage}`, { steps: totalSteps, rows: rows.length, batchSize: options.batchSize, gradAccum: accum, parameters: params.reduce((n, p) => n + p.size, 0), from: state.step });
    model.train();
    const started = performance.now();
    const startStep = state.step;
    const startTokens = state.tokens;
    let savedAt = resumed ? state.step : -1;

    while (state.step < totalSteps) {
      // cpu steps finish without a macrotask, so yield once per step to let the SIGINT handler run.
      await new Promise<void>((done) => setImmediate(done));
      if (env.signal?.aborted) {
        if (savedAt !== state.step && state.step > 0) await saveCheckpoint();
        throw new InterruptedError(stage, state.step, state.step > 0 ? state.lastCheckpoint : null);
      }
      await trainStep();
      state.step += 1;
      const step = state.step;
      const last = step === totalSteps;

      if (step % logEvery === 0 || last) {
        await readRecords();
        const elapsed = (performance.now() - started) / 1000;
        const tokensPerSecond = elapsed > 0 ? (state.tokens - startTokens) / elapsed : null;
        writeTrainLine(elapsed, tokensPerSecond);
        const stepsPerSecond = (step - startStep) / Math.max(elapsed, 1e-9);
        progress.update({ stage, step, totalSteps, loss: state.lastTrain.loss ?? null, tokensPerSecond, etaSeconds: (totalSteps - step) / stepsPerSecond });
      }
      if ((options.evalEvery && step % options.evalEvery === 0) || (last && options.evaluate)) {
        await readRecords();
        await evaluateNow();
      }
      if ((options.checkpointEvery && step % options.checkpointEvery === 0) || last) {
        await readRecords();
        await saveCheckpoint();
        savedAt = step;
      }
      if (step % logEvery === 0 || last) await env.onMetrics?.();
    }
    progress.done();
    log.info(`finished stage ${stage}`, { steps: state.step, tokens: state.tokens, checkpoint: state.lastCheckpoint });
    return result(false);
  } finally {
    progress.done();
    for (const entry of state.unread) entry.record.dispose();
    optimizer.dispose();
  }

  function result(alreadyDone: boolean): TrainResult {
    return { stage, steps: state.step, tokens: state.tokens, evalMetrics: state.latestEval, trainMetrics: state.lastTrain, best: state.best, lastCheckpoint: state.lastCheckpoint, alreadyDone };
  }

  async function restore(entry: CheckpointEntry): Promise<void> {
    const s = entry.state;
    const extra = await restoreCheckpoint(entry.path, model, optimizer, s.optimizer, env.backend);
    try {
      options.extraState?.restore(s.extra, extra);
    } finally {
      if (extra) for (const t of extra.values()) t.dispose();
    }
    if (s.data) order.seek(s.data);
    restoreRng(options.rng ?? {}, s.rng);
    state.step = s.step;
    state.tokens = s.tokens;
    state.best = s.best;
    state.latestEval = s.metrics;
    state.pending = s.pending;
    // pending names end with the host columns lr and tokens; the device record has the others.
    state.names = s.pending.names.length > 0 ? s.pending.names.slice(0, -2) : null;
    state.lastCheckpoint = entry.path;
    log.info('resumed from checkpoint', { stage, path: entry.path, step: s.step });
  }

  async function trainStep(): Promise<void> {
    let stepTokens = 0;
    const record = await scopeAsync(async () => {
      let totals: Tensor[] | null = null;
      let names: string[] = [];
      for (let micro = 0; micro < accum; micro++) {
        const batch = await options.collate(order.next().map((i) => rows[i]));
        const out = await options.loss(batch, { step: state.step, microStep: micro });
        if (!options.manualUpdate) {
          const scaled = accum === 1 ? out.loss : div(out.loss, accum);
          scaled.backward();
        }
        stepTokens += out.tokens ?? 0;
        const extraNames = [...Object.keys(out.terms ?? {}), ...Object.keys(out.metrics ?? {})];
        const values = [out.loss, ...Object.values(out.terms ?? {}), ...Object.values(out.metrics ?? {})].map((t) => castTo(detach(t), 'f32'));
        names = extraNames;
        totals = totals === null ? values : noGrad(() => totals!.map((t, i) => add(t, values[i])));
      }
      const norm = clipNorm ? optim.clipGradNorm(params, clipNorm) : gradNorm(params);
      const means = noGrad(() => totals!.map((t) => (accum === 1 ? t : div(t, accum))));
      const layout = [FIXED[0], FIXED[1], ...names];
      if (state.names === null) state.names = layout;
      else if (state.names.join() !== layout.join()) {
        throw new Error(`the loss function returned terms ${layout.join(', ')} at step ${state.step + 1} but ${state.names.join(', ')} before; return the same terms every step`);
      }
      return noGrad(() => stack([means[0], castTo(norm, 'f32'), ...means.slice(1)])); // (2 + terms)
    });
    if (!options.manualUpdate) optimizer.step();
    optimizer.zeroGrad();
    state.tokens += stepTokens;
    state.unread.push({ step: state.step + 1, record: keep(record), lr: optimizer.lr, tokens: stepTokens });
  }

  /** Reads the device records into `pending`, stopping at the first non-finite value. */
  async function readRecords(): Promise<void> {
    while (state.unread.length > 0) {
      const entry = state.unread.shift()!;
      const values = Array.from(await entry.record.data());
      entry.record.dispose();
      const names = state.names!;
      values.forEach((v, i) => {
        if (!Number.isFinite(v)) throw new NonFiniteError(stage, entry.step, names[i], v, state.lastCheckpoint);
      });
      if (state.pending.names.length === 0) state.pending.names = [...names, 'lr', 'tokens'];
      state.pending.steps.push(entry.step);
      state.pending.rows.push([...values, entry.lr, entry.tokens]);
    }
  }

  function metricValues(values: Record<string, number>): Record<string, MetricValue> {
    const out: Record<string, MetricValue> = {};
    for (const [name, value] of Object.entries(values)) out[name] = { value, version: versions[name] ?? 1 };
    return out;
  }

  function writeTrainLine(elapsedSeconds: number, tokensPerSecond: number | null): void {
    const { names, rows: pendingRows } = state.pending;
    if (pendingRows.length === 0) return;
    const means: Record<string, number> = {};
    names.forEach((name, i) => {
      const column = pendingRows.map((r) => r[i]);
      if (name === 'lr') means.lr = column[column.length - 1];
      else if (name === 'tokens') means.tokens = column.reduce((a, b) => a + b, 0);
      else means[name] = column.reduce((a, b) => a + b, 0) / column.length;
    });
    state.lastTrain = means;
    run.appendMetrics({ stage, step: state.step, split: 'train', metrics: metricValues(means), timing: { elapsedSeconds, tokensPerSecond } });
    state.pending = { names, steps: [], rows: [] };
  }

  async function evaluateNow(): Promise<void> {
    if (!options.evaluate && !options.samples) return;
    model.eval();
    try {
      if (options.evaluate) {
        const metrics = await options.evaluate(model, state.step);
        for (const [name, value] of Object.entries(metrics)) {
          if (!Number.isFinite(value)) throw new NonFiniteError(stage, state.step, `eval ${name}`, value, state.lastCheckpoint);
        }
        state.latestEval = metrics;
        run.appendMetrics({ stage, step: state.step, split: 'eval', metrics: metricValues(metrics) });
        updateBest(metrics);
        log.info(`eval at step ${state.step}`, { stage, ...metrics });
      }
      if (options.samples) {
        for (const sample of await options.samples(model, state.step)) run.appendSample({ stage, step: state.step, ...sample });
      }
    } finally {
      model.train();
    }
  }

  function updateBest(metrics: Record<string, number>): void {
    const metric = retention.metric;
    if (!metric || !(metric in metrics)) return;
    const value = metrics[metric];
    const mode = retention.mode ?? 'min';
    if (state.best === null || (mode === 'min' ? value < state.best.value : value > state.best.value)) {
      state.best = { metric, mode, value, step: state.step };
    }
  }

  async function saveCheckpoint(): Promise<void> {
    await readRecords();
    const extraTensors = options.extraState?.tensors() ?? null;
    try {
      const { files, optimizer: optimizerJson } = await checkpointFiles(model, optimizer, extraTensors);
      state.lastCheckpoint = await store.save(
        {
          stage,
          step: state.step,
          data: order.position(),
          rng: rngStates(options.rng ?? {}),
          optimizer: optimizerJson,
          best: state.best,
          metrics: state.latestEval,
          referenceCacheKey: options.referenceCacheKey ?? null,
          pending: state.pending,
          tokens: state.tokens,
          extra: options.extraState?.json() ?? null,
        },
        files,
      );
    } finally {
      if (extraTensors) for (const t of extraTensors.values()) t.dispose();
    }
  }
}

export type { Optimizer };
