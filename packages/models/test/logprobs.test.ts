import { crossEntropy, memory, mul, narrow, noGrad, reshape, scope, sum, tensor } from '@lab/tensor';
import { afterAll, describe, expect, test } from 'vitest';
import { Llama, sequenceLogProbs } from '../src/index.js';
import { expectClose } from './helpers.js';

const V = 11;
const model = new Llama(
  { dim: 16, hiddenDim: 24, nLayers: 2, nHeads: 4, nKvHeads: 2, vocabSize: V, maxSeqLen: 16 },
  { seed: 7 },
);
afterAll(() => model.dispose());

const IDS = [
  [1, 4, 2, 7, 3, 9],
  [1, 6, 6, 5, 0, 0], // right-padded: the last two are padding
];
// Prompt tokens and padding off: row 0 scores ids 3..5, row 1 scores ids 2..3.
const MASK = [
  [0, 0, 0, 1, 1, 1],
  [0, 0, 1, 1, 0, 0],
];

/** log p(ids[t+1] | ids[..t]) from host logits in float64: logit of the target minus log-sum-exp. */
function directLogProbs(logits: ArrayLike<number>, ids: number[][]): number[][] {
  const T = ids[0].length;
  return ids.map((row, b) =>
    row.slice(1).map((target, t) => {
      const base = (b * T + t) * V;
      const values = Array.from({ length: V }, (_, v) => logits[base + v]);
      const max = Math.max(...values);
      const lse = max + Math.log(values.reduce((s, x) => s + Math.exp(x - max), 0));
      return values[target] - lse;
    }),
  );
}

describe('sequenceLogProbs', () => {
  test('per-token values match a direct computation', () => {
    const logits = noGrad(() => scope(() => model.forward(tensor(IDS, { dtype: 'i32' })).dataSync()));
    const direct = directLogProbs(logits, IDS);
    const masked = direct.map((row, b) => row.map((v, t) => (MASK[b][t + 1] ? v : 0)));
    const ids = tensor(IDS, { dtype: 'i32' });
    const mask = tensor(MASK, { dtype: 'f32' });
    const result = sequenceLogProbs(model, ids, mask, { grad: false });
    expect(result.tokenLogProbs.shape).toEqual([2, 5]);
    expectClose(result.tokenLogProbs.dataSync(), masked.flat(), 1e-6, 1e-6);
    expectClose(
      result.sum.dataSync(),
      masked.map((r) => r.reduce((a, b) => a + b, 0)),
      1e-5,
      1e-6,
    );
    expect(Array.from(result.count.dataSync())).toEqual([3, 2]);
    expectClose(
      result.mean.dataSync(),
      [masked[0].reduce((a, b) => a + b) / 3, masked[1].reduce((a, b) => a + b) / 2],
      1e-5,
      1e-6,
    );
    for (const t of [...Object.values(result), ids, mask]) t.dispose();
  });

  test('target-aligned mask equals the shifted mask', () => {
    scope(() => {
      const ids = tensor(IDS, { dtype: 'i32' });
      const full = sequenceLogProbs(model, ids, tensor(MASK, { dtype: 'bool' }), { grad: false });
      const shifted = sequenceLogProbs(
        model,
        ids,
        tensor(
          MASK.map((r) => r.slice(1)),
          { dtype: 'f32' },
        ),
        { grad: false },
      );
      expect(Array.from(shifted.tokenLogProbs.dataSync())).toEqual(Array.from(full.tokenLogProbs.dataSync()));
      expect(Array.from(shifted.mask.dataSync())).toEqual(MASK.flatMap((r) => r.slice(1)));
    });
  });

  test('padded row equals the row alone', () => {
    scope(() => {
      const batched = sequenceLogProbs(model, tensor(IDS, { dtype: 'i32' }), tensor(MASK, { dtype: 'f32' }), {
        grad: false,
      });
      const alone = sequenceLogProbs(
        model,
        tensor([IDS[1].slice(0, 4)], { dtype: 'i32' }),
        tensor([MASK[1].slice(0, 4)], { dtype: 'f32' }),
        { grad: false },
      );
      expectClose([batched.sum.dataSync()[1]], alone.sum.dataSync(), 1e-6, 1e-6);
    });
  });

  test('gradients match the cross-entropy path', () => {
    const parameter = model.layers.at(1).attention.wk.weight;
    const viaLogProbs = scope(() => {
      const result = sequenceLogProbs(model, tensor(IDS, { dtype: 'i32' }), tensor(MASK, { dtype: 'f32' }));
      sum(result.sum).neg().backward();
      const g = parameter.grad!.dataSync();
      model.zeroGrad();
      return g;
    });
    const viaCrossEntropy = scope(() => {
      const ids = tensor(IDS, { dtype: 'i32' });
      const logits = narrow(model.forward(ids), 1, 0, 5); // (2, 5, V)
      const perToken = crossEntropy(reshape(logits, [10, V]), reshape(narrow(ids, 1, 1, 5), [10]), {
        reduction: 'none',
      });
      sum(
        mul(
          perToken,
          tensor(
            MASK.flatMap((r) => r.slice(1)),
            { dtype: 'f32' },
          ),
        ),
      ).backward();
      const g = parameter.grad!.dataSync();
      model.zeroGrad();
      return g;
    });
    expect(Math.max(...Array.from(viaCrossEntropy, Math.abs))).toBeGreaterThan(1e-4);
    expectClose(viaLogProbs, viaCrossEntropy, 1e-6, 1e-4);
  });

  test('no-gradient call keeps only its results', () => {
    const ids = tensor(IDS, { dtype: 'i32' });
    const before = memory().tensors;
    const result = sequenceLogProbs(model, ids, undefined, { grad: false });
    expect(memory().tensors - before).toBe(5);
    expect(result.tokenLogProbs.requiresGrad).toBe(false);
    expect(Array.from(result.count.dataSync())).toEqual([5, 5]);
    for (const t of Object.values(result)) t.dispose();
    ids.dispose();
  });

  test('row without scored tokens has zero mean', () => {
    scope(() => {
      const result = sequenceLogProbs(
        model,
        tensor(IDS, { dtype: 'i32' }),
        tensor([MASK[0], [0, 0, 0, 0, 0, 0]], { dtype: 'f32' }),
        { grad: false },
      );
      expect(Array.from(result.mean.dataSync())[1]).toBe(0);
      expect(Array.from(result.count.dataSync())[1]).toBe(0);
    });
  });

  test('bad shapes and modes are rejected', () => {
    scope(() => {
      const ids = tensor(IDS, { dtype: 'i32' });
      expect(() => sequenceLogProbs(model, ids, tensor([[1, 1]], { dtype: 'f32' }))).toThrow(
        /lossMask has shape \[1, 2\]/,
      );
      expect(() => sequenceLogProbs(model, tensor([[1]], { dtype: 'i32' }))).toThrow(/T >= 2/);
      expect(() => noGrad(() => sequenceLogProbs(model, ids, undefined, { grad: true }))).toThrow(
        /inside noGrad/,
      );
    });
  });
});
