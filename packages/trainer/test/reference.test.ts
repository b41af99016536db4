import { join } from 'node:path';
import { applyLoRA, type CausalLM, loraParameters, sequenceLogProbs } from '@lab/models';
import { fromArray, noGrad, optim, scope, tensor } from '@lab/tensor';
import type { TokenizedExample } from '@lab/data';
import { afterEach, describe, expect, test } from 'vitest';
import { exportReferenceLogProbs, lmBatch, Reference, ReferenceSetupError } from '../src/index.js';
import { syntheticRows, tempDir, tinyModel } from './helpers.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

function cacheDir(): string {
  const d = tempDir('refcache');
  cleanups.push(d.remove);
  return d.path;
}

function own<M extends { dispose(): void }>(m: M): M {
  cleanups.push(() => m.dispose());
  return m;
}

/** Independent values: each row alone (batch of one, no padding), through @lab/models directly. */
async function rowByRow(model: CausalLM, rows: readonly TokenizedExample[]): Promise<number[][]> {
  const out: number[][] = [];
  for (const row of rows) {
    const ids = [...row.prompt, ...row.completion];
    const mask = ids.map((_, t) => (t >= row.prompt.length ? 1 : 0));
    const values = noGrad(() =>
      scope(() => {
        const lp = sequenceLogProbs(model, tensor([ids], { dtype: 'i32' }), tensor([mask], { dtype: 'f32' }));
        return Array.from(lp.tokenLogProbs.dataSync());
      }),
    );
    out.push(values);
  }
  return out;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const rows = syntheticRows(10);

describe('Reference cache', () => {
  test('first pass computes every row once', async () => {
    const model = own(tinyModel(0));
    const reference = await Reference.create({ mode: 'frozen-copy', model }, { cacheDir: cacheDir(), tokenizerHash: 'tok', batchSize: 4 });
    const values = await reference.tokenLogProbs(rows);
    expect(reference.stats.forwardRows).toBe(10);
    expect(reference.stats.forwardPasses).toBe(3);
    const expected = await rowByRow(model, rows);
    values.forEach((v, i) => {
      expect(maxDiff(v, expected[i])).toBeLessThan(1e-5);
    });
  });

  test('second run on the same data does no forward pass', async () => {
    const dir = cacheDir();
    const first = await Reference.create({ mode: 'frozen-copy', model: own(tinyModel(0)) }, { cacheDir: dir, tokenizerHash: 'tok' });
    const a = await first.tokenLogProbs(rows);
    // A fresh load of the same weights: same content hash, so the same cache entries.
    const second = await Reference.create({ mode: 'frozen-copy', model: own(tinyModel(0)) }, { cacheDir: dir, tokenizerHash: 'tok' });
    const b = await second.tokenLogProbs(rows);
    expect(second.stats.forwardPasses).toBe(0);
    expect(second.stats.cacheHits).toBe(10);
    b.forEach((v, i) => {
      expect(Array.from(v)).toEqual(Array.from(a[i]));
    });
  });

  test('a changed row is recomputed alone', async () => {
    const dir = cacheDir();
    await (await Reference.create({ mode: 'frozen-copy', model: own(tinyModel(0)) }, { cacheDir: dir, tokenizerHash: 'tok' })).precompute(rows);
    const changed = rows.map((r, i) => (i === 3 ? { prompt: r.prompt, completion: [...r.completion, 5] } : r));
    const reference = await Reference.create({ mode: 'frozen-copy', model: own(tinyModel(0)) }, { cacheDir: dir, tokenizerHash: 'tok' });
    await reference.tokenLogProbs(changed);
    expect(reference.stats.forwardRows).toBe(1);
    expect(reference.stats.cacheHits).toBe(9);
  });

  test('other weights, tokenizer or truncation miss', async () => {
    const dir = cacheDir();
    await (await Reference.create({ mode: 'frozen-copy', model: own(tinyModel(0)) }, { cacheDir: dir, tokenizerHash: 'tok' })).precompute(rows);
    const otherWeights = await Reference.create({ mode: 'frozen-copy', model: own(tinyModel(1)) }, { cacheDir: dir, tokenizerHash: 'tok' });
    await otherWeights.tokenLogProbs(rows);
    expect(otherWeights.stats.forwardRows).toBe(10);
    const otherTokenizer = await Reference.create({ mode: 'frozen-copy', model: own(tinyModel(0)) }, { cacheDir: dir, tokenizerHash: 'tok2' });
    await otherTokenizer.tokenLogProbs(rows);
    expect(otherTokenizer.stats.forwardRows).toBe(10);
    const otherTruncation = await Reference.create({ mode: 'frozen-copy', model: own(tinyModel(0)) }, { cacheDir: dir, tokenizerHash: 'tok', maxLength: 5 });
    await otherTruncation.tokenLogProbs(rows);
    expect(otherTruncation.stats.forwardRows).toBe(10);
  });

  test('batch tensor lines up with lmBatch', async () => {
    const reference = await Reference.create({ mode: 'frozen-copy', model: own(tinyModel(0)) }, { cacheDir: null, tokenizerHash: 'tok' });
    const part = rows.slice(0, 4);
    const logps = own(await reference.batchTokenLogProbs(part));
    const batch = lmBatch(part, { backend: 'cpu' });
    expect(logps.shape).toEqual([4, batch.length - 1]);
    batch.ids.dispose();
    batch.completionMask.dispose();
    const sums = own(await reference.sequenceLogProbs(part));
    const rowSums = (await rowByRow(reference.spec.mode === 'frozen-copy' ? reference.spec.model : tinyModel(), part)).map((v) => v.reduce((a, b) => a + b, 0));
    expect(maxDiff(sums.dataSync(), rowSums)).toBeLessThan(1e-5);
  });
});

describe('Reference modes', () => {
  function loraPolicy(): CausalLM {
    const policy = own(tinyModel(0));
    applyLoRA(policy, { rank: 2, targets: ['wq', 'wv'], seed: 3 });
    // Non-zero B, so the adapters change the outputs.
    for (const p of loraParameters(policy)) {
      if (p.shape[1] !== 2) continue;
      const value = fromArray(Float32Array.from({ length: p.size }, (_, i) => 0.3 * Math.sin(i + 1)), p.shape, { dtype: 'f32' });
      optim.assignStorage(p, value);
      value.dispose();
    }
    return policy;
  }

  test('adapters-off equals the base weights', async () => {
    const policy = loraPolicy();
    const reference = await Reference.create({ mode: 'adapters-off' }, { policy, cacheDir: null, tokenizerHash: 'tok' });
    const values = await reference.tokenLogProbs(rows.slice(0, 3));
    const base = await rowByRow(own(tinyModel(0)), rows.slice(0, 3));
    values.forEach((v, i) => {
      expect(maxDiff(v, base[i])).toBeLessThan(1e-5);
    });
    const adapted = await rowByRow(policy, rows.slice(0, 1));
    expect(maxDiff(values[0], adapted[0])).toBeGreaterThan(1e-4);
    expect(policy.adapterSwitch.enabled).toBe(true);
  });

  test('named adapter is swapped in and back out', async () => {
    const policy = loraPolicy();
    const names = policy.namedParameters().filter(([n]) => n.includes('lora_')).map(([n]) => n);
    const before = policy.namedParameters().filter(([n]) => n.includes('lora_')).map(([, t]) => Array.from(t.dataSync()));
    // The "named" adapter is all zeros, which makes the policy compute its base function.
    const weights = new Map(names.map((n) => [n, own(fromArray(new Float32Array(policy.namedParameters().find(([m]) => m === n)![1].size), policy.namedParameters().find(([m]) => m === n)![1].shape, { dtype: 'f32' }))]));
    const reference = await Reference.create({ mode: 'adapter', name: 'zero', weights }, { policy, cacheDir: null, tokenizerHash: 'tok' });
    const values = await reference.tokenLogProbs(rows.slice(0, 2));
    const base = await rowByRow(own(tinyModel(0)), rows.slice(0, 2));
    values.forEach((v, i) => {
      expect(maxDiff(v, base[i])).toBeLessThan(1e-5);
    });
    const after = policy.namedParameters().filter(([n]) => n.includes('lora_')).map(([, t]) => Array.from(t.dataSync()));
    expect(after).toEqual(before);
  });

  test('precomputed file replaces the model', async () => {
    const dir = cacheDir();
    const file = join(dir, 'reference.jsonl');
    const source = await Reference.create({ mode: 'frozen-copy', model: own(tinyModel(0)) }, { cacheDir: null, tokenizerHash: 'tok' });
    await exportReferenceLogProbs(source, rows, file, { tokenizerHash: 'tok' });
    const reference = await Reference.create({ mode: 'precomputed', file }, { cacheDir: null, tokenizerHash: 'tok' });
    const values = await reference.tokenLogProbs(rows);
    const expected = await source.tokenLogProbs(rows);
    values.forEach((v, i) => {
      expect(Array.from(v)).toEqual(Array.from(expected[i]));
    });
    expect(reference.stats.forwardPasses).toBe(0);
    await expect(reference.tokenLogProbs([{ prompt: [1], completion: [9, 9] }])).rejects.toThrow(/row 0 .* is not in/);
  });
});

describe('Reference setup errors', () => {
  async function setupError(run: () => Promise<unknown>): Promise<ReferenceSetupError> {
    const error = await run().catch((e) => e);
    expect(error).toBeInstanceOf(ReferenceSetupError);
    return error as ReferenceSetupError;
  }

  test('the policy itself as frozen copy', async () => {
    const policy = own(tinyModel());
    const error = await setupError(() => Reference.create({ mode: 'frozen-copy', model: policy }, { policy, tokenizerHash: 't' }));
    expect(error.message).toMatch(/second copy/);
  });

  test('adapters-off without adapters', async () => {
    const error = await setupError(() => Reference.create({ mode: 'adapters-off' }, { policy: own(tinyModel()), tokenizerHash: 't' }));
    expect(error.message).toMatch(/no LoRA adapters.*frozen-copy/);
  });

  test('adapters-off with a trainable base', async () => {
    const policy = own(tinyModel());
    applyLoRA(policy, { rank: 2, targets: 'wq', freezeBase: false });
    const error = await setupError(() => Reference.create({ mode: 'adapters-off' }, { policy, tokenizerHash: 't' }));
    expect(error.message).toMatch(/would drift/);
  });

  test('precomputed when logits are needed', async () => {
    const error = await setupError(() => Reference.create({ mode: 'precomputed', file: '/nonexistent.jsonl' }, { needs: 'logits', tokenizerHash: 't' }));
    expect(error.message).toMatch(/full reference logits/);
  });

  test('precomputed file that does not exist', async () => {
    const error = await setupError(() => Reference.create({ mode: 'precomputed', file: '/nonexistent.jsonl' }, { tokenizerHash: 't' }));
    expect(error.message).toMatch(/does not exist/);
  });
});
