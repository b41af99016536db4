/**
 * The reference-model store. A trained model is filed under the hash of everything that decides its
 * weights: the recipe (architecture, optimisation, base model, code-relevant settings), the candidate
 * pool's content, the member indices it trained on and its seed. So
 *   - growing an audit from 16 to 64 models trains only the 48 new ones,
 *   - an interrupted audit resumes without retraining the models already filed,
 *   - a changed recipe or data set hashes to new keys and can never pick up stale models.
 * A model is filed by writing `<key>.tmp/` and renaming it to `<key>/` once complete, so a crash
 * never leaves a half-written model under a valid key.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CausalLM } from '@lab/models';
import { loadModel, saveModel } from '@lab/models/node';
import type { MethodContext } from '@lab/trainer';
import { ModelStoreError } from './errors.js';

export interface ModelSpec {
  /** Hash of the recipe: architecture, optimiser, steps or epochs, base model. */
  recipeHash: string;
  /** Hash of the candidate pool (token ids), so a changed data set changes every key. */
  dataHash: string;
  /** Candidate indices the model trains on. */
  members: readonly number[];
  seed: number;
}

/** sha256 of a JSON value with sorted object keys, so equal settings always hash equal. */
export function hashJson(value: unknown): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (v && typeof v === 'object')
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
      );
    return v;
  };
  return createHash('sha256')
    .update(JSON.stringify(canonical(value)))
    .digest('hex');
}

export function modelKey(spec: ModelSpec): string {
  return hashJson({
    recipe: spec.recipeHash,
    data: spec.dataHash,
    members: [...spec.members].sort((a, b) => a - b),
    seed: spec.seed,
  }).slice(0, 32);
}

export class ModelStore {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  path(key: string): string {
    return join(this.dir, key);
  }

  has(key: string): boolean {
    return existsSync(join(this.path(key), 'spec.json'));
  }

  async save(key: string, model: CausalLM, spec: ModelSpec): Promise<void> {
    const tmp = `${this.path(key)}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    await saveModel(tmp, model);
    writeFileSync(
      join(tmp, 'spec.json'),
      `${JSON.stringify({ key, ...spec, members: spec.members.length, savedAt: new Date().toISOString() }, null, 2)}\n`,
    );
    rmSync(this.path(key), { recursive: true, force: true });
    renameSync(tmp, this.path(key));
  }

  async load(key: string, backend?: string): Promise<CausalLM> {
    if (!this.has(key))
      throw new ModelStoreError(this.dir, key, 'is not in the store; train it first (trainInStore)');
    return loadModel(this.path(key), { backend });
  }

  spec(key: string): unknown {
    return JSON.parse(readFileSync(join(this.path(key), 'spec.json'), 'utf8'));
  }
}

export interface StoreJob {
  /** Position of the model in the keep matrix (0 is the default target). */
  index: number;
  /** Folder-name prefix of the job (default: the index). */
  name?: string;
  spec: ModelSpec;
}

export interface StoreOutcome {
  keys: string[];
  trained: number;
  reused: number;
}

/**
 * Makes sure every job's model is in the store, training the missing ones through ctx.trainMany
 * (each in `jobs/<index>-<key>/` of the run, with its own checkpoints, so an interruption in the
 * middle of one model resumes from its last checkpoint). `train` returns the trained model; it runs
 * inside the job's context, whose `own` frees the model afterwards.
 */
export async function trainInStore<C>(
  ctx: MethodContext<C>,
  store: ModelStore,
  jobs: readonly StoreJob[],
  train: (job: StoreJob, jobCtx: MethodContext<C>) => Promise<CausalLM>,
): Promise<StoreOutcome> {
  const keys = jobs.map((j) => modelKey(j.spec));
  const missing = jobs.filter((_, i) => !store.has(keys[i]));
  ctx.log.info('reference models', {
    wanted: jobs.length,
    inStore: jobs.length - missing.length,
    toTrain: missing.length,
    store: store.dir,
  });
  // TODO: switch to trainMany's concurrency once it runs jobs in parallel; it runs them one by one for now.
  await ctx.trainMany(
    missing.map((job) => ({
      id: `${job.name ?? job.index}-${modelKey(job.spec)}`,
      seed: job.spec.seed,
      job,
    })),
    async ({ job }, jobCtx) => {
      const model = await train(job, jobCtx);
      const key = modelKey(job.spec);
      await store.save(key, model, job.spec);
      return { key };
    },
  );
  for (const [i, key] of keys.entries()) {
    if (!store.has(key))
      throw new ModelStoreError(
        store.dir,
        key,
        `(model ${jobs[i].index}) is missing after training; its job folder marks it finished, so delete ${ctx.run.root}/jobs and run again`,
      );
  }
  return { keys, trained: missing.length, reused: jobs.length - missing.length };
}
