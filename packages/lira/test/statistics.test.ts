// Per-example statistics of a tiny GPT: the mean log-probability must match @lab/models'
// sequenceLogProbs, and the mean logit-scaled confidence must match log(p / (1 - p)) computed in
// float64 from a softmax written out here (safe at these moderate logits).

import { sequenceLogProbs } from '@lab/models';
import { fromArray, memory, noGrad, scope } from '@lab/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { sequenceStatistics } from '../src/index.js';
import { tinyGpt, tinyRows } from './helpers.js';

const model = tinyGpt(4);
const rows = tinyRows(5);
afterAll(() => {
  model.dispose();
  expect(memory().tensors).toBe(0);
});

function ids(): number[] {
  return rows.flatMap((r) => [...r.prompt, ...r.completion]);
}

describe('sequence statistics', () => {
  it('loss matches sequenceLogProbs', async () => {
    const stats = await sequenceStatistics(model, rows, { batchSize: 2, backend: 'cpu' });
    const expected = scope(() =>
      noGrad(() =>
        Array.from(
          sequenceLogProbs(model, fromArray(new Int32Array(ids()), [5, 5], { dtype: 'i32' })).mean.dataSync(),
        ),
      ),
    );
    expect(stats.loss).toHaveLength(5);
    for (let b = 0; b < 5; b++) expect(stats.loss[b]).toBeCloseTo(expected[b], 5);
  });

  it('phi matches the log odds', async () => {
    const stats = await sequenceStatistics(model, rows, { batchSize: 5, backend: 'cpu' });
    const all = ids();
    const logits = scope(() =>
      noGrad(() =>
        Array.from(model.forward(fromArray(new Int32Array(all), [5, 5], { dtype: 'i32' })).dataSync()),
      ),
    ); // (5, 5, V)
    const V = 12;
    for (let b = 0; b < 5; b++) {
      let total = 0;
      for (let t = 0; t < 4; t++) {
        const row = logits.slice((b * 5 + t) * V, (b * 5 + t + 1) * V);
        const exps = row.map(Math.exp);
        const p = exps[all[b * 5 + t + 1]] / exps.reduce((a, c) => a + c, 0);
        total += Math.log(p / (1 - p));
      }
      expect(stats.phi[b]).toBeCloseTo(total / 4, 5);
    }
  });

  it('batch size does not change the numbers', async () => {
    const one = await sequenceStatistics(model, rows, { batchSize: 1, backend: 'cpu' });
    const all = await sequenceStatistics(model, rows, { batchSize: 5, backend: 'cpu' });
    for (let b = 0; b < 5; b++) expect(one.loss[b]).toBeCloseTo(all.loss[b], 6);
  });
});
