// The reference-model store with a tiny recipe, counting trainings: growth trains only the new
// models, an interrupted audit resumes without retraining, and a changed recipe or data set never
// reuses a stored model.
import { join } from 'node:path';
import { memory } from '@lab/tensor';
import { afterEach, describe, expect, it } from 'vitest';
import {
  hashJson,
  keepMatrix,
  ModelStore,
  memberIndices,
  modelKey,
  rowsHash,
  type StoreJob,
  trainInStore,
} from '../src/index.js';
import { tempDir, tinyContext, tinyRows, trainTiny } from './helpers.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.reverse()) c();
  cleanups = [];
  expect(memory().tensors).toBe(0);
});

const POOL = 8;

function jobsFor(models: number, recipe: unknown, rows = tinyRows(POOL)): StoreJob[] {
  const recipeHash = hashJson(recipe);
  const dataHash = rowsHash(rows);
  return keepMatrix(models, POOL, 3).map((row, m) => ({
    index: m,
    spec: { recipeHash, dataHash, members: memberIndices(row), seed: 100 + m },
  }));
}

function setup() {
  const dir = tempDir('store');
  cleanups.push(dir.remove);
  return { store: new ModelStore(join(dir.path, 'models')), runRoot: (name: string) => join(dir.path, name) };
}

function counter(rows = tinyRows(POOL)) {
  let count = 0;
  const train = async (job: StoreJob, jobCtx: Parameters<typeof trainTiny>[0]) => {
    count += 1;
    return trainTiny(
      jobCtx,
      job.spec.members.map((i) => rows[i]),
      job.spec.seed,
    );
  };
  return { train, count: () => count };
}

describe('model store', () => {
  it('growth from 16 to 64 trains 48', async () => {
    const { store, runRoot } = setup();
    const recipe = { lr: 1e-2, steps: 1 };
    const c = counter();
    const first = tinyContext(runRoot('run-16'));
    cleanups.push(first.free);
    const small = await trainInStore(first.ctx, store, jobsFor(16, recipe), c.train);
    expect(small.trained).toBe(16);
    expect(c.count()).toBe(16);

    // A new run folder: only the store carries the models over.
    const second = tinyContext(runRoot('run-64'));
    cleanups.push(second.free);
    const large = await trainInStore(second.ctx, store, jobsFor(64, recipe), c.train);
    expect(large.trained).toBe(48);
    expect(large.reused).toBe(16);
    expect(c.count()).toBe(64);
    expect(large.keys.slice(0, 16)).toEqual(small.keys);
  }, 60_000);

  it('interrupted audit resumes without retraining', async () => {
    const { store, runRoot } = setup();
    const recipe = { lr: 1e-2, steps: 1 };
    const jobs = jobsFor(6, recipe);
    let count = 0;
    const rows = tinyRows(POOL);
    const failing = async (job: StoreJob, jobCtx: Parameters<typeof trainTiny>[0]) => {
      if (count === 3) throw new Error('simulated interruption');
      count += 1;
      return trainTiny(
        jobCtx,
        job.spec.members.map((i) => rows[i]),
        job.spec.seed,
      );
    };
    const first = tinyContext(runRoot('run'));
    cleanups.push(first.free);
    await expect(trainInStore(first.ctx, store, jobs, failing)).rejects.toThrow(/simulated interruption/);
    expect(count).toBe(3);
    expect(jobs.filter((j) => store.has(modelKey(j.spec)))).toHaveLength(3);

    const c = counter(rows);
    const again = tinyContext(runRoot('run'));
    cleanups.push(again.free);
    const outcome = await trainInStore(again.ctx, store, jobs, c.train);
    expect(c.count()).toBe(3);
    expect(outcome.reused).toBe(3);
    expect(jobs.every((j) => store.has(modelKey(j.spec)))).toBe(true);
  }, 60_000);

  it('changed recipe or data retrains', async () => {
    const { store, runRoot } = setup();
    const c = counter();
    const a = tinyContext(runRoot('a'));
    cleanups.push(a.free);
    await trainInStore(a.ctx, store, jobsFor(4, { lr: 1e-2, steps: 1 }), c.train);
    expect(c.count()).toBe(4);

    const b = tinyContext(runRoot('b'));
    cleanups.push(b.free);
    const changedRecipe = await trainInStore(b.ctx, store, jobsFor(4, { lr: 2e-2, steps: 1 }), c.train);
    expect(changedRecipe.reused).toBe(0);
    expect(c.count()).toBe(8);

    const d = tinyContext(runRoot('d'));
    cleanups.push(d.free);
    const changedData = await trainInStore(
      d.ctx,
      store,
      jobsFor(4, { lr: 1e-2, steps: 1 }, tinyRows(POOL, 1)),
      counter(tinyRows(POOL, 1)).train,
    );
    expect(changedData.reused).toBe(0);
    expect(changedData.trained).toBe(4);
  }, 60_000);

  it('stored model loads back with its weights', async () => {
    const { store, runRoot } = setup();
    const c = counter();
    const run = tinyContext(runRoot('w'));
    cleanups.push(run.free);
    const jobs = jobsFor(2, { lr: 1e-2 });
    const outcome = await trainInStore(run.ctx, store, jobs, c.train);
    const loaded = await store.load(outcome.keys[0], 'cpu');
    const again = await store.load(outcome.keys[0], 'cpu');
    const [name, first] = loaded.namedParameters()[0];
    expect(name.length).toBeGreaterThan(0);
    expect(Array.from(await first.data())).toEqual(Array.from(await again.namedParameters()[0][1].data()));
    loaded.dispose();
    again.dispose();
  });
});
