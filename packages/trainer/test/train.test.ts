import { fromArray, mul, registeredBackends } from '@lab/tensor';
import { afterEach, describe, expect, test } from 'vitest';
import { evaluateLoss, InterruptedError, lmBatch, lmLoss, Logger, type MetricLine, NonFiniteError, RunDir, type TrainEnv, type TrainModelOptions, trainModel } from '../src/index.js';
import type { LmBatch } from '../src/index.js';
import type { TokenizedExample } from '@lab/data';
import type { CausalLM } from '@lab/models';
import { syntheticRows, tempDir, tinyModel } from './helpers.js';

const quiet = new Logger({ consoleLevel: 'silent' });
let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

function env(overrides: Partial<TrainEnv> = {}): TrainEnv {
  const dir = tempDir('train');
  cleanups.push(dir.remove);
  return { run: new RunDir(dir.path).ensure(), log: quiet, backend: 'cpu', resume: false, ...overrides };
}

const train = syntheticRows(24);
const valid = syntheticRows(6, 3);

function options(model: CausalLM, extra: Partial<TrainModelOptions<TokenizedExample, LmBatch>> = {}): TrainModelOptions<TokenizedExample, LmBatch> {
  return {
    model,
    rows: train,
    collate: (rows) => lmBatch(rows, { backend: 'cpu' }),
    loss: (batch) => lmLoss(model, batch),
    optimizer: { kind: 'adamw', lr: 1e-2, schedule: 'cosine', warmupSteps: 2, clipNorm: 1 },
    batchSize: 4,
    steps: 10,
    seed: 3,
    logEvery: 3,
    evalEvery: 4,
    checkpointEvery: 2,
    retention: { keepLast: 2, keepBest: 1, metric: 'validLoss' },
    evaluate: async (m) => ({ validLoss: await evalLoss(m as CausalLM, valid) }),
    ...extra,
  };
}

async function evalLoss(model: CausalLM, rows: TokenizedExample[]): Promise<number> {
  return (await evaluateLoss(rows, 3, (r) => lmBatch(r, { backend: 'cpu' }), (b) => lmLoss(model, b))).loss;
}

/** metrics.jsonl without wall-clock timing, the part that must repeat exactly. */
function deterministic(run: RunDir): Omit<MetricLine, 'timing'>[] {
  return run.readMetrics().map(({ timing: _timing, ...rest }) => rest);
}

async function weights(model: CausalLM): Promise<number[]> {
  const out: number[] = [];
  for (const p of model.parameters()) out.push(...(await p.data()));
  return out;
}

describe('trainModel', () => {
  test('writes train and eval lines with versions', async () => {
    const e = env();
    const model = tinyModel();
    const result = await trainModel(e, options(model, { metricVersions: { loss: 2 } }));
    model.dispose();
    const lines = e.run.readMetrics();
    expect(result.steps).toBe(10);
    expect(lines.filter((l) => l.split === 'train').map((l) => l.step)).toEqual([3, 6, 9, 10]);
    expect(lines.filter((l) => l.split === 'eval').map((l) => l.step)).toEqual([4, 8, 10]);
    expect(lines[0].metrics.loss.version).toBe(2);
    expect(lines[0].metrics.gradNorm.version).toBe(1);
  });

  test('loss falls on a memorizable set', async () => {
    const e = env();
    const model = tinyModel();
    const result = await trainModel(e, options(model, { steps: 40, logEvery: 10, evalEvery: null, checkpointEvery: null, evaluate: undefined }));
    model.dispose();
    const losses = e.run.readMetrics().map((l) => l.metrics.loss.value);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] - 0.3);
    expect(result.lastCheckpoint).toMatch(/step-000040$/);
  });

  test('a finished stage is skipped on resume', async () => {
    const e = env();
    const model = tinyModel();
    await trainModel(e, options(model));
    const again = await trainModel({ ...e, resume: true }, options(model));
    model.dispose();
    expect(again.alreadyDone).toBe(true);
    expect(e.run.readMetrics().filter((l) => l.split === 'train')).toHaveLength(4);
  });

  test('NaN loss stops with its step and checkpoint', async () => {
    const e = env();
    const model = tinyModel();
    const run = trainModel(e, options(model, {
      evaluate: undefined,
      evalEvery: null,
      loss: (batch, info) => {
        const out = lmLoss(model, batch);
        return info.step === 4 ? { ...out, loss: mul(out.loss, Number.NaN) } : out;
      },
    }));
    const error = (await run.catch((err: unknown) => err)) as NonFiniteError;
    model.dispose();
    expect(error).toBeInstanceOf(NonFiniteError);
    expect(error.step).toBe(5);
    expect(error.term).toBe('loss');
    expect(error.lastCheckpoint).toMatch(/step-000004$/);
    expect(error.message).toContain('step 5');
  });

  test('infinite term is named', async () => {
    const e = env();
    const model = tinyModel();
    const run = trainModel(e, options(model, {
      evaluate: undefined,
      evalEvery: null,
      loss: (batch, info) => {
        const out = lmLoss(model, batch);
        const kl = fromArray(new Float32Array([info.step === 1 ? Number.POSITIVE_INFINITY : 0.5]), [], { dtype: 'f32' });
        return { ...out, terms: { kl } };
      },
    }));
    const error = (await run.catch((err: unknown) => err)) as NonFiniteError;
    model.dispose();
    expect(error.term).toBe('kl');
    expect(error.step).toBe(2);
    expect(error.lastCheckpoint).toBeNull();
  });

  test('manual update leaves the step to the loss', async () => {
    const model = tinyModel(2);
    const before = await weights(model);
    let calls = 0;
    await trainModel(env(), options(model, { steps: 3, evaluate: undefined, evalEvery: null, manualUpdate: true, loss: (batch) => {
      calls += 1;
      return lmLoss(model, batch);
    } }));
    const after = await weights(model);
    model.dispose();
    expect(calls).toBe(3);
    expect(after).toEqual(before);
  });

  test('gradient accumulation matches one large batch', async () => {
    // Rows of equal length, so the mean of two half-batch means equals the full-batch mean.
    const rows = syntheticRows(8).map((r) => ({ prompt: r.prompt, completion: r.completion.slice(0, 3) }));
    const run = async (batchSize: number, gradAccum: number) => {
      const model = tinyModel(1);
      await trainModel(env(), options(model, { rows, batchSize, gradAccum, steps: 1, shuffle: false, evaluate: undefined, evalEvery: null, optimizer: { kind: 'sgd', lr: 0.5 } }));
      const w = await weights(model);
      model.dispose();
      return w;
    };
    const big = await run(4, 1);
    const accumulated = await run(2, 2);
    const maxDiff = Math.max(...big.map((v, i) => Math.abs(v - accumulated[i])));
    expect(maxDiff).toBeLessThan(1e-6);
    const start = tinyModel(1);
    const moved = Math.max(...(await weights(start)).map((v, i) => Math.abs(v - big[i])));
    start.dispose();
    expect(moved).toBeGreaterThan(1e-4);
  });
});

describe.each(registeredBackends().filter((b) => b === 'cpu' || b === 'wasm'))('trainModel resume on %s', (backend) => {
  test('interrupt then resume matches an uninterrupted run', async () => {
    const onBackend = (model: CausalLM, extra: Partial<TrainModelOptions<TokenizedExample, LmBatch>> = {}) =>
      options(model, { collate: (rows) => lmBatch(rows, { backend }), evaluate: undefined, ...extra });
    const full = env({ backend });
    const modelA = tinyModel(0, backend);
    await trainModel(full, onBackend(modelA));
    const weightsA = await weights(modelA);
    modelA.dispose();

    const controller = new AbortController();
    const part = env({ signal: controller.signal, backend });
    const modelB = tinyModel(0, backend);
    const interrupted = trainModel(part, onBackend(modelB, {
      loss: (batch, info) => {
        if (info.step === 4) controller.abort();
        return lmLoss(modelB, batch);
      },
    }));
    await expect(interrupted).rejects.toBeInstanceOf(InterruptedError);
    modelB.dispose();

    // Different starting weights: the checkpoint must replace them.
    const modelC = tinyModel(7, backend);
    const resumed = await trainModel({ ...part, signal: undefined, resume: true }, onBackend(modelC));
    expect(resumed.steps).toBe(10);
    expect(deterministic(part.run)).toEqual(deterministic(full.run));
    expect(await weights(modelC)).toEqual(weightsA);
    modelC.dispose();
  });
});
