import { Effect, Exit } from 'effect';
import { afterEach, describe, expect, test } from 'vitest';
import { ConfigError, createContext, lmBatch, lmLoss, Logger, RunDir, trainEffect } from '../src/index.js';
import type { Module } from '@lab/tensor';
import { syntheticRows, tempDir, tinyModel } from './helpers.js';

const quiet = new Logger({ consoleLevel: 'silent' });
let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

function context() {
  const dir = tempDir('many');
  cleanups.push(dir.remove);
  const owned: Module[] = [];
  cleanups.push(() => {
    for (const m of owned) m.dispose();
  });
  return createContext({
    method: 'test',
    config: {},
    seed: 0,
    backend: 'cpu',
    run: new RunDir(dir.path).ensure(),
    log: quiet,
    signal: new AbortController().signal,
    resume: true,
    stepsOverride: null,
    cacheDir: dir.path,
    roots: [dir.path],
    onData: () => {},
    refreshReport: async () => {},
    owned,
  });
}

const rows = syntheticRows(12);

describe('trainMany', () => {
  test('one recipe, many subsets and seeds', async () => {
    const ctx = context();
    let runs = 0;
    const jobs = [0, 1, 2].map((i) => ({ id: `model-${i}`, seed: 10 + i, rows: rows.filter((_, r) => r % 3 !== i) }));
    const recipe = async (job: (typeof jobs)[number], jobCtx: typeof ctx) => {
      runs += 1;
      const model = jobCtx.own(tinyModel(job.seed));
      const result = await jobCtx.trainModel({ model, rows: job.rows, collate: (r) => lmBatch(r, { backend: 'cpu' }), loss: (b) => lmLoss(model, b), optimizer: { lr: 1e-2 }, batchSize: 4, steps: 3, seed: job.seed, logEvery: 1 });
      return { id: job.id, seed: jobCtx.seed, finalLoss: result.trainMetrics.loss };
    };
    const results = await ctx.trainMany(jobs, recipe);
    expect(results.map((r) => r.seed)).toEqual([10, 11, 12]);
    expect(new Set(results.map((r) => r.finalLoss)).size).toBe(3);
    expect(new RunDir(`${ctx.run.root}/jobs/model-1`).readMetrics()).toHaveLength(3);

    // A second call finds every job finished and trains nothing.
    const again = await ctx.trainMany(jobs, recipe);
    expect(runs).toBe(3);
    expect(again).toEqual(results);
  });

  test('duplicate job ids are refused', async () => {
    const ctx = context();
    await expect(ctx.trainMany([{ id: 'a', seed: 0 }, { id: 'a', seed: 1 }], async () => 0)).rejects.toThrow(/unique/);
  });
});

describe('trainEffect', () => {
  test('config errors arrive typed in the error channel', async () => {
    const dir = tempDir('effect');
    cleanups.push(dir.remove);
    const exit = await Effect.runPromiseExit(trainEffect({ method: 'sft', config: { train: { steps: 0 } }, out: dir.path, backend: 'cpu', logger: quiet }));
    expect(Exit.isFailure(exit)).toBe(true);
    const error = Exit.isFailure(exit) ? (exit.cause.reasons[0] as { error?: unknown }).error : null;
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe('train.steps');
  });
});
