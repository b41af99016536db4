import { describe, expect, it } from 'vitest';
import { fromArray, randn, scope, stack, type Tensor } from '../src/index.js';

/** Naive float64 product of nested row-major matrices. */
function referenceProduct(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0].map((_, j) => row.reduce((total, v, l) => total + v * b[l][j], 0)));
}

function rows(t: Tensor): number[][] {
  const [r, c] = t.shape;
  const data = t.dataSync();
  return Array.from({ length: r }, (_, i) => Array.from(data.subarray(i * c, (i + 1) * c)));
}

describe('cpu matmul operand layouts', () => {
  const cases: [string, (x: Tensor) => Tensor][] = [
    ['row-major', (x) => x],
    ['transposed', (x) => x.transpose().contiguous().transpose()],
    // every other column of an interleaved copy: the same values with column stride 2
    ['strided slice', (x) => stack([x, x.neg()], -1).reshape([x.shape[0], 2 * x.shape[1]]).slice([0, 0], [null, null], [1, 2])],
  ];
  for (const [aName, aLayout] of cases) {
    for (const [bName, bLayout] of cases) {
      it(`${aName} times ${bName}`, () => {
        scope(() => {
          const a = randn([5, 7], { seed: 1, dtype: 'f64' });
          const b = randn([7, 4], { seed: 2, dtype: 'f64' });
          const expected = referenceProduct(rows(a), rows(b));
          const actual = rows(aLayout(a).matmul(bLayout(b)));
          for (let i = 0; i < 5; i++) for (let j = 0; j < 4; j++) expect(actual[i][j]).toBeCloseTo(expected[i][j], 12);
        });
      });
    }
  }

  it('broadcast batch with transposed right operand', () => {
    scope(() => {
      const x = randn([3, 2, 6], { seed: 3, dtype: 'f64' }); // (B, T, C)
      const w = randn([5, 6], { seed: 4, dtype: 'f64' }); // (out, C), used as w^T
      const y = x.matmul(w.transpose()); // (B, T, out)
      const wt = rows(w.transpose().contiguous());
      const data = x.dataSync();
      for (let batch = 0; batch < 3; batch++) {
        const slice = [0, 1].map((t) => Array.from(data.subarray((batch * 2 + t) * 6, (batch * 2 + t + 1) * 6)));
        const expected = referenceProduct(slice, wt);
        const got = y.slice([batch], [batch + 1]).reshape([2, 5]);
        const actual = rows(got);
        for (let t = 0; t < 2; t++) for (let j = 0; j < 5; j++) expect(actual[t][j]).toBeCloseTo(expected[t][j], 12);
      }
    });
  });

  it('empty inner dimension gives zeros', () => {
    scope(() => {
      const a = fromArray(new Float32Array(0), [2, 0]);
      const b = fromArray(new Float32Array(0), [0, 3]);
      expect(Array.from(a.matmul(b).dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
    });
  });
});
