import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { ArgumentError, scope, ShapeError, type Tensor, tensor } from '../src/index.js';
import {
  checkNoLeaks,
  expectAllClose,
  expectGradcheck,
  expectSecondOrder,
  randomTensor,
  randomValues,
  stridesOf,
  valuesOf,
} from './helpers.js';

checkNoLeaks();

const f64 = (values: T.NestedArray) => tensor(values, { dtype: 'f64' });
const F32_MIN = -3.4028234663852886e38;
const INF = Number.POSITIVE_INFINITY;

/** Multiplies batched row-major matrices (rank >= 2) in float64 loops, broadcasting the batch axes. */
function matmulReference(
  a: number[],
  aShape: number[],
  b: number[],
  bShape: number[],
): { values: number[]; shape: number[] } {
  const [m, k] = aShape.slice(-2);
  const n = bShape[bShape.length - 1];
  const aBatch = aShape.slice(0, -2);
  const bBatch = bShape.slice(0, -2);
  const rank = Math.max(aBatch.length, bBatch.length);
  const pad = (s: number[]) => [...new Array<number>(rank - s.length).fill(1), ...s];
  const [pa, pb] = [pad(aBatch), pad(bBatch)];
  const batch = pa.map((d, i) => Math.max(d, pb[i]));
  const count = batch.reduce((p, q) => p * q, 1);
  const values: number[] = [];
  for (let flat = 0; flat < count; flat++) {
    const index = batch.map((d, i) => Math.floor(flat / stridesOf(batch)[i]) % d);
    const offsetA = index.reduce((t, v, i) => t + (pa[i] === 1 ? 0 : v) * stridesOf(pa)[i], 0) * m * k;
    const offsetB = index.reduce((t, v, i) => t + (pb[i] === 1 ? 0 : v) * stridesOf(pb)[i], 0) * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let dot = 0;
        for (let l = 0; l < k; l++) dot += a[offsetA + i * k + l] * b[offsetB + l * n + j];
        values.push(dot);
      }
    }
  }
  return { values, shape: [...batch, m, n] };
}

describe('matmul', () => {
  const BATCHED: [number[], number[]][] = [
    [
      [2, 3],
      [3, 4],
    ],
    [
      [2, 1, 3, 4],
      [3, 4, 2],
    ],
    [
      [1, 2, 3],
      [4, 3, 2],
    ],
    [
      [2, 0],
      [0, 3],
    ],
  ];

  it.each(BATCHED)('%j x %j broadcasts batch axes', (aShape, bShape) => {
    scope(() => {
      const a = randomTensor(aShape, 91);
      const b = randomTensor(bShape, 92);
      const { values, shape } = matmulReference(valuesOf(a), aShape, valuesOf(b), bShape);
      const y = T.matmul(a, b);
      expect(y.shape).toEqual(shape);
      expectAllClose(y, values, { atol: 1e-14 });
    });
  });

  it('1-D operands lose their added axis', () => {
    scope(() => {
      const v = f64([1, 2, 3]);
      const m = f64([
        [1, 0],
        [0, 1],
        [1, 1],
      ]); // (3, 2)
      expectAllClose(T.matmul(v, m), [4, 5], { atol: 0 });
      expect(T.matmul(v, m).shape).toEqual([2]);
      expectAllClose(T.matmul(T.transpose(m), v), [4, 5], { atol: 0 });
      const dot = T.matmul(v, v);
      expect(dot.shape).toEqual([]);
      expectAllClose(dot, [14], { atol: 0 });
      const batched = T.matmul(v, T.stack([m, T.mul(m, 2)])); // (2, 2)
      expectAllClose(batched, [4, 5, 8, 10], { atol: 0 });
      expect(T.matmul(T.stack([T.transpose(m), T.transpose(m)]), v).shape).toEqual([2, 2]);
    });
  });

  it('reads transposed, stepped and broadcast operands', () => {
    scope(() => {
      const base = randomTensor([4, 6], 93);
      const data = valuesOf(base);
      const a = T.transpose(base); // (6, 4)
      const aValues = [0, 1, 2, 3, 4, 5].flatMap((j) => [0, 1, 2, 3].map((i) => data[i * 6 + j]));
      const b = T.slice(randomTensor([8, 3], 94), [0, 0], [8, 3], [2, 1]); // (4, 3)
      const bValues = valuesOf(T.contiguous(b));
      expectAllClose(T.matmul(a, b), matmulReference(aValues, [6, 4], bValues, [4, 3]).values, {
        atol: 1e-14,
      });
      const row = T.broadcastTo(f64([[1, 2, 3]]), [2, 3]); // stride-0 rows
      expectAllClose(T.matmul(row, f64([[1], [1], [1]])), [6, 6], { atol: 0 });
    });
  });

  it('inner mismatch raises ShapeError with both shapes', () => {
    scope(() => {
      expect(() => T.matmul(T.zeros([2, 3]), T.zeros([4, 2]))).toThrow(ShapeError);
      expect(() => T.matmul(T.zeros([2, 3]), T.zeros([4, 2]))).toThrow(/matmul.*\[2, 3\], \[4, 2\]/);
      expect(() => T.matmul(T.zeros([2, 2, 3]), T.zeros([3, 3, 1]))).toThrow(ShapeError);
    });
  });

  it('gradient matches finite differences with broadcasting', () => {
    scope(() => {
      expectGradcheck(T.matmul, [randomTensor([2, 1, 2, 3], 95), randomTensor([3, 3, 2], 96)]);
      expectGradcheck(T.matmul, [randomTensor([3], 97), randomTensor([2, 3, 2], 98)]);
      expectGradcheck(T.matmul, [randomTensor([2, 3], 99), randomTensor([3], 100)]);
      expectGradcheck(
        (a, b) => T.matmul(T.transpose(a), b),
        [randomTensor([3, 2], 101), randomTensor([3, 2], 102)],
      );
    });
  });

  it('second derivative matches finite differences', () => {
    scope(() => {
      const loss = (a: Tensor, b: Tensor) => T.sum(T.square(T.matmul(a, b)));
      expectSecondOrder(loss, [randomTensor([2, 3], 103), randomTensor([3, 2], 104)]);
    });
  });
});

function softmaxReference(row: number[]): number[] {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const s = e.reduce((p, q) => p + q, 0);
  return e.map((v) => v / s);
}

/** Applies `rowFn` to every row along `axis` of a 2-D (rows, cols) array. */
function alongAxis(
  data: number[],
  [rows, cols]: number[],
  axis: number,
  rowFn: (row: number[]) => number[],
): number[] {
  const out = new Array<number>(data.length);
  const [outer, inner] = axis === 1 ? [rows, cols] : [cols, rows];
  for (let o = 0; o < outer; o++) {
    const at = (i: number) => (axis === 1 ? o * cols + i : i * cols + o);
    const result = rowFn(Array.from({ length: inner }, (_, i) => data[at(i)]));
    result.forEach((v, i) => {
      out[at(i)] = v;
    });
  }
  return out;
}

describe('softmax and logSoftmax', () => {
  const logSoftmaxReference = (row: number[]) => softmaxReference(row).map(Math.log);

  it.each([0, 1, -1])('forward along axis %i', (axis) => {
    scope(() => {
      const x = randomTensor([3, 4], 111, -3, 3);
      const a = axis < 0 ? axis + 2 : axis;
      expectAllClose(T.softmax(x, axis), alongAxis(valuesOf(x), [3, 4], a, softmaxReference), {
        atol: 1e-15,
        rtol: 1e-14,
      });
      expectAllClose(T.logSoftmax(x, axis), alongAxis(valuesOf(x), [3, 4], a, logSoftmaxReference), {
        atol: 1e-14,
      });
    });
  });

  it('reads a transposed input', () => {
    scope(() => {
      const x = randomTensor([4, 3], 112, -3, 3);
      const expected = alongAxis(valuesOf(x), [4, 3], 0, softmaxReference); // softmax over rows of x^T
      const y = T.softmax(T.transpose(x), 1);
      expectAllClose(T.transpose(y), expected, { atol: 1e-15, rtol: 1e-14 });
    });
  });

  it('all -inf row gives zeros', () => {
    scope(() => {
      const x = f64([
        [-INF, -INF, -INF],
        [0, 0, 0],
      ]);
      expectAllClose(T.softmax(x), [0, 0, 0, 1 / 3, 1 / 3, 1 / 3], { atol: 1e-16 });
      expectAllClose(T.logSoftmax(x), [-INF, -INF, -INF, -Math.log(3), -Math.log(3), -Math.log(3)], {
        atol: 1e-15,
      });
    });
  });

  it('f32 min row gives halves', () => {
    scope(() => {
      const x = tensor([[F32_MIN, F32_MIN]]);
      expect(valuesOf(T.softmax(x))).toEqual([0.5, 0.5]);
      expectAllClose(T.logSoftmax(x), [-Math.LN2, -Math.LN2], { atol: 1e-7 });
    });
  });

  it('-1000 row gives halves', () => {
    scope(() => {
      expect(valuesOf(T.softmax(tensor([[-1000, -1000]])))).toEqual([0.5, 0.5]);
      expectAllClose(T.logSoftmax(tensor([[-1000, -1000]])), [-Math.LN2, -Math.LN2], { atol: 1e-7 });
    });
  });

  it('f32 min beside 0 gives 0 and 1', () => {
    scope(() => {
      expect(valuesOf(T.softmax(tensor([[F32_MIN, 0]])))).toEqual([0, 1]);
      expect(valuesOf(T.logSoftmax(tensor([[F32_MIN, 0]])))).toEqual([Math.fround(F32_MIN), 0]);
    });
  });

  it('gradients of extreme rows are finite', () => {
    scope(() => {
      const rows = [
        [-INF, -INF, -INF],
        [F32_MIN, F32_MIN, 0],
        [-1000, -1000, -1000],
      ];
      const x = f64(rows).setRequiresGrad();
      const w = f64([
        [1, 2, 3],
        [1, 2, 3],
        [1, 2, 3],
      ]);
      T.sum(T.mul(T.softmax(x), w)).backward();
      const g = valuesOf(x.grad!);
      expect(g.every(Number.isFinite), `softmax gradient ${g}`).toBe(true);
      // equal logits: dy/dx = y * (w - sum(w * y)) = (1/3) * ([1, 2, 3] - 2)
      expectAllClose(g.slice(6), [-1 / 3, 0, 1 / 3], { atol: 1e-15 });
    });
  });

  it('NaN and +inf rows give NaN', () => {
    scope(() => {
      const y = valuesOf(
        T.softmax(
          f64([
            [Number.NaN, 1],
            [INF, 1],
          ]),
        ),
      );
      expect(y.every(Number.isNaN), `got ${y}`).toBe(true);
    });
  });

  it('size-1 and empty axes', () => {
    scope(() => {
      expectAllClose(T.softmax(f64([[3], [-2]]), 1), [1, 1], { atol: 0 });
      expectAllClose(T.logSoftmax(f64([[3], [-2]]), 1), [0, 0], { atol: 0 });
      expect(T.softmax(T.zeros([2, 0]), 1).shape).toEqual([2, 0]);
      expect(T.softmax(T.zeros([0, 3]), 1).shape).toEqual([0, 3]);
    });
  });

  it.each([0, 1])('gradients along axis %i match finite differences', (axis) => {
    scope(() => {
      const x = randomTensor([3, 4], 113, -2, 2);
      expectGradcheck((t) => T.softmax(t, axis), [x]);
      expectGradcheck((t) => T.logSoftmax(t, axis), [x]);
    });
  });

  it('second derivatives match finite differences', () => {
    scope(() => {
      const x = randomTensor([2, 3], 114, -2, 2);
      const w = randomTensor([2, 3], 115);
      expectSecondOrder((t) => T.sum(T.mul(T.softmax(t), w)), [x]);
      expectSecondOrder((t) => T.sum(T.mul(T.logSoftmax(t, 0), w)), [x]);
    });
  });
});

/** Per-row cross-entropy -sum_c q_c log p_c with q = (1 - s) onehot + s / C. */
function crossEntropyReference(
  logits: number[][],
  targets: number[],
  smoothing: number,
  ignoreIndex: number,
): number[] {
  return logits.map((row, r) => {
    if (targets[r] === ignoreIndex) return 0;
    const logP = softmaxReference(row).map(Math.log);
    return -logP.reduce(
      (acc, lp, c) => acc + ((c === targets[r] ? 1 - smoothing : 0) + smoothing / row.length) * lp,
      0,
    );
  });
}

describe('crossEntropy', () => {
  const logits = [
    [2, -1, 0.5],
    [0.1, 0.2, 0.3],
    [-3, 4, 1],
    [1, 1, 1],
  ];
  const targets = [0, 2, -100, 1];

  it.each([0, 0.1, 1])('per-row loss with label smoothing %f', (smoothing) => {
    scope(() => {
      const y = T.crossEntropy(f64(logits), tensor(targets, { dtype: 'i32' }), {
        reduction: 'none',
        labelSmoothing: smoothing,
      });
      expect(y.shape).toEqual([4]);
      expectAllClose(y, crossEntropyReference(logits, targets, smoothing, -100), { atol: 1e-14 });
    });
  });

  it('mean averages over rows not ignored', () => {
    scope(() => {
      const rows = crossEntropyReference(logits, targets, 0, -100);
      const t = tensor(targets, { dtype: 'i32' });
      expectAllClose(T.crossEntropy(f64(logits), t), [(rows[0] + rows[1] + rows[3]) / 3], { atol: 1e-14 });
      expectAllClose(T.crossEntropy(f64(logits), t, { reduction: 'sum' }), [rows[0] + rows[1] + rows[3]], {
        atol: 1e-14,
      });
    });
  });

  it('custom ignoreIndex skips its rows', () => {
    scope(() => {
      const custom = [0, 2, 1, 1];
      const y = T.crossEntropy(f64(logits), tensor(custom, { dtype: 'i32' }), {
        ignoreIndex: 1,
        reduction: 'none',
      });
      expectAllClose(y, crossEntropyReference(logits, custom, 0, 1), { atol: 1e-14 });
    });
  });

  it('mean over zero valid rows is NaN', () => {
    scope(() => {
      const t = tensor([-100, -100], { dtype: 'i32' });
      const mean = valuesOf(
        T.crossEntropy(
          f64([
            [1, 2],
            [3, 4],
          ]),
          t,
        ),
      )[0];
      expect(Number.isNaN(mean)).toBe(true);
      expect(
        valuesOf(
          T.crossEntropy(
            f64([
              [1, 2],
              [3, 4],
            ]),
            t,
            { reduction: 'sum' },
          ),
        ),
      ).toEqual([0]);
    });
  });

  it('leading axes are flattened and restored', () => {
    scope(() => {
      const x = randomTensor([2, 2, 3], 121, -2, 2);
      const t = tensor(
        [
          [0, 2],
          [1, 1],
        ],
        { dtype: 'i32' },
      );
      const rows = valuesOf(x);
      const expected = crossEntropyReference(
        [0, 1, 2, 3].map((r) => rows.slice(r * 3, r * 3 + 3)),
        [0, 2, 1, 1],
        0,
        -100,
      );
      const y = T.crossEntropy(x, t, { reduction: 'none' });
      expect(y.shape).toEqual([2, 2]);
      expectAllClose(y, expected, { atol: 1e-14 });
    });
  });

  it('transposed logits and zero rows', () => {
    scope(() => {
      const x = randomTensor([3, 4], 124, -2, 2); // classes on axis 0 of x, so x^T is (4 rows, 3 classes)
      const data = valuesOf(x);
      const rows = [0, 1, 2, 3].map((r) => [0, 1, 2].map((c) => data[c * 4 + r]));
      const t = [2, 0, 1, 1];
      expectAllClose(
        T.crossEntropy(T.transpose(x), tensor(t, { dtype: 'i32' }), { reduction: 'none' }),
        crossEntropyReference(rows, t, 0, -100),
        { atol: 1e-14 },
      );
      const empty = T.crossEntropy(T.zeros([0, 3]), tensor([], { dtype: 'i32' }), { reduction: 'none' });
      expect(empty.shape).toEqual([0]);
    });
  });

  it('f32 min logits give log 2', () => {
    scope(() => {
      // logsumexp = m + log 2 rounds to m here, so the loss must be formed from (m - z_t) + log(total)
      const y = T.crossEntropy(tensor([[F32_MIN, F32_MIN]]), tensor([0], { dtype: 'i32' }), {
        reduction: 'none',
      });
      expectAllClose(y, [Math.LN2], { atol: 1e-7 });
    });
  });

  it('-inf logit off target keeps the loss finite', () => {
    scope(() => {
      const y = T.crossEntropy(f64([[0, -INF]]), tensor([0], { dtype: 'i32' }), { reduction: 'none' });
      expectAllClose(y, [0], { atol: 0 });
    });
  });

  it('large logits stay finite', () => {
    scope(() => {
      const y = T.crossEntropy(
        tensor([
          [1000, -1000],
          [F32_MIN, 0],
        ]),
        tensor([1, 0], { dtype: 'i32' }),
        { reduction: 'none' },
      );
      expectAllClose(y, [2000, -Math.fround(F32_MIN)], { rtol: 1e-7 });
    });
  });

  it('gradient matches finite differences', () => {
    scope(() => {
      const x = randomTensor([4, 3], 122, -2, 2);
      const t = tensor([2, -100, 0, 1], { dtype: 'i32' });
      for (const reduction of ['mean', 'sum', 'none'] as const) {
        expectGradcheck((z) => T.crossEntropy(z, t, { reduction }), [x]);
        expectGradcheck((z) => T.crossEntropy(z, t, { reduction, labelSmoothing: 0.2 }), [x]);
      }
    });
  });

  it('second derivative matches finite differences', () => {
    scope(() => {
      const t = tensor([2, 0, -100], { dtype: 'i32' });
      expectSecondOrder(
        (z) => T.crossEntropy(z, t, { labelSmoothing: 0.1 }),
        [randomTensor([3, 3], 123, -2, 2)],
      );
    });
  });

  it('bad targets raise typed errors', () => {
    scope(() => {
      expect(() => T.crossEntropy(f64([[1, 2]]), tensor([2], { dtype: 'i32' }))).toThrow(ArgumentError);
      expect(() => T.crossEntropy(f64([[1, 2]]), tensor([0, 1], { dtype: 'i32' }))).toThrow(ShapeError);
      expect(() =>
        T.crossEntropy(f64([[1, 2]]), tensor([0], { dtype: 'i32' }), { labelSmoothing: 1.5 }),
      ).toThrow(ArgumentError);
    });
  });
});

function normalizeReference(row: number[], eps: number, centered: boolean): number[] {
  const n = row.length;
  const mean = centered ? row.reduce((p, q) => p + q, 0) / n : 0;
  const second = row.reduce((p, q) => p + (q - mean) ** 2, 0) / n;
  return row.map((v) => (v - mean) / Math.sqrt(second + eps));
}

describe('layerNorm and rmsNorm', () => {
  it('layerNorm with weight and bias', () => {
    scope(() => {
      const x = randomTensor([3, 4], 131, -2, 2);
      const w = f64([1, 2, -1, 0.5]);
      const b = f64([0, 1, 0, -1]);
      const data = valuesOf(x);
      const [wv, bv] = [valuesOf(w), valuesOf(b)];
      const expected = [0, 1, 2].flatMap((r) =>
        normalizeReference(data.slice(r * 4, r * 4 + 4), 1e-5, true).map((v, c) => v * wv[c] + bv[c]),
      );
      expectAllClose(T.layerNorm(x, w, b), expected, { atol: 1e-13 });
      expectAllClose(
        T.layerNorm(T.transpose(x), undefined, undefined, 0.1),
        [0, 1, 2, 3].flatMap((c) =>
          normalizeReference(
            [0, 1, 2].map((r) => data[r * 4 + c]),
            0.1,
            true,
          ),
        ),
        { atol: 1e-13 },
      );
    });
  });

  it('rmsNorm with weight', () => {
    scope(() => {
      const x = randomTensor([2, 5], 132, -2, 2);
      const w = randomTensor([5], 133);
      const data = valuesOf(x);
      const wv = valuesOf(w);
      const expected = [0, 1].flatMap((r) =>
        normalizeReference(data.slice(r * 5, r * 5 + 5), 1e-6, false).map((v, c) => v * wv[c]),
      );
      expectAllClose(T.rmsNorm(x, w), expected, { atol: 1e-13 });
    });
  });

  it('size-1 last axis and empty batch', () => {
    scope(() => {
      expectAllClose(T.layerNorm(f64([[5], [-3]]), undefined, f64([0.5])), [0.5, 0.5], { atol: 0 });
      expect(T.rmsNorm(T.zeros([0, 4])).shape).toEqual([0, 4]);
      expect(() => T.layerNorm(T.zeros([2, 3]), T.ones([4]))).toThrow(ShapeError);
    });
  });

  it('gradients match finite differences', () => {
    scope(() => {
      const x = randomTensor([2, 4], 134, -2, 2);
      const w = randomTensor([4], 135);
      const b = randomTensor([4], 136);
      expectGradcheck((t, ww, bb) => T.layerNorm(t, ww, bb, 1e-3), [x, w, b]);
      expectGradcheck((t, ww) => T.rmsNorm(t, ww, 1e-3), [x, w]);
    });
  });

  it('second derivatives match finite differences', () => {
    scope(() => {
      const x = randomTensor([2, 3], 137, -2, 2);
      const w = randomTensor([2, 3], 138);
      expectSecondOrder((t) => T.sum(T.mul(T.layerNorm(t, undefined, undefined, 1e-3), w)), [x]);
      expectSecondOrder((t) => T.sum(T.mul(T.rmsNorm(t, undefined, 1e-3), w)), [x]);
    });
  });
});

interface AttentionSetup {
  shape: { b: number; h: number; hkv: number; t: number; s: number; d: number };
  causal: boolean;
  /** allowed[b][j]: a padding mask over keys, or null. */
  padding: boolean[][] | null;
}

/** Computes scaled dot-product attention in float64 loops. Query head h reads k and v head h / (H / Hkv). */
function attentionReference(q: number[], k: number[], v: number[], setup: AttentionSetup): number[] {
  const { b: batch, h: heads, hkv, t: tq, s, d } = setup.shape;
  const out: number[] = [];
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const kvHead = Math.floor(h / (heads / hkv));
      for (let i = 0; i < tq; i++) {
        const scores: number[] = [];
        for (let j = 0; j < s; j++) {
          const allowed =
            (!setup.causal || j <= i + s - tq) && (setup.padding === null || setup.padding[b][j]);
          let dot = 0;
          for (let c = 0; c < d; c++)
            dot += q[((b * heads + h) * tq + i) * d + c] * k[((b * hkv + kvHead) * s + j) * d + c];
          scores.push(allowed ? dot / Math.sqrt(d) : Number.NEGATIVE_INFINITY);
        }
        const weights = scores.every((x) => x === Number.NEGATIVE_INFINITY)
          ? scores.map(() => 0)
          : softmaxReference(scores);
        for (let c = 0; c < d; c++)
          out.push(weights.reduce((acc, w, j) => acc + w * v[((b * hkv + kvHead) * s + j) * d + c], 0));
      }
    }
  }
  return out;
}

function attentionInputs(setup: AttentionSetup, seed: number): [Tensor, Tensor, Tensor, Tensor | undefined] {
  const { b, h, hkv, t, s, d } = setup.shape;
  const mask = setup.padding ? tensor(setup.padding.map((row) => [[row]])) : undefined; // (B, 1, 1, S)
  return [
    randomTensor([b, h, t, d], seed),
    randomTensor([b, hkv, s, d], seed + 1),
    randomTensor([b, hkv, s, d], seed + 2),
    mask,
  ];
}

describe('attention', () => {
  const SETUPS: [string, AttentionSetup][] = [
    ['plain', { shape: { b: 1, h: 2, hkv: 2, t: 3, s: 3, d: 2 }, causal: false, padding: null }],
    [
      'causal with more keys',
      { shape: { b: 1, h: 1, hkv: 1, t: 2, s: 4, d: 2 }, causal: true, padding: null },
    ],
    [
      'padding mask',
      {
        shape: { b: 2, h: 1, hkv: 1, t: 2, s: 3, d: 2 },
        causal: false,
        padding: [
          [true, true, false],
          [true, false, false],
        ],
      },
    ],
    [
      'grouped-query causal',
      { shape: { b: 1, h: 4, hkv: 2, t: 3, s: 3, d: 2 }, causal: true, padding: null },
    ],
  ];

  it.each(SETUPS)('%s forward matches loops', (_name, setup) => {
    scope(() => {
      const [q, k, v, mask] = attentionInputs(setup, 141);
      const y = T.attention(q, k, v, { causal: setup.causal, mask });
      expect(y.shape).toEqual([setup.shape.b, setup.shape.h, setup.shape.t, setup.shape.d]);
      expectAllClose(y, attentionReference(valuesOf(q), valuesOf(k), valuesOf(v), setup), { atol: 1e-14 });
    });
  });

  it.each(SETUPS)('%s gradient matches finite differences', (_name, setup) => {
    scope(() => {
      const [q, k, v, mask] = attentionInputs(setup, 142);
      expectGradcheck((a, b, c) => T.attention(a, b, c, { causal: setup.causal, mask }), [q, k, v]);
    });
  });

  it('fully masked rows give zeros and finite gradients', () => {
    scope(() => {
      const setup: AttentionSetup = {
        shape: { b: 2, h: 1, hkv: 1, t: 2, s: 2, d: 2 },
        causal: false,
        padding: [
          [false, false],
          [true, false],
        ],
      };
      const [q, k, v, mask] = attentionInputs(setup, 143);
      for (const t of [q, k, v]) t.setRequiresGrad();
      const y = T.attention(q, k, v, { mask });
      expectAllClose(T.slice(y, [0], [1]), [0, 0, 0, 0], { atol: 0 });
      T.sum(T.mul(y, y)).backward();
      for (const t of [q, k, v]) expect(valuesOf(t.grad!).every(Number.isFinite)).toBe(true);
      expectAllClose(T.slice(q.grad!, [0], [1]), [0, 0, 0, 0], { atol: 0 });
      expectGradcheck((a, b, c) => T.attention(a, b, c, { mask }), [q.detach(), k.detach(), v.detach()]);
    });
  });

  it('second derivative matches finite differences', () => {
    scope(() => {
      const setup = SETUPS[3][1];
      const [q, k, v] = attentionInputs(setup, 144);
      expectSecondOrder((a, b, c) => T.sum(T.square(T.attention(a, b, c, { causal: true }))), [q, k, v]);
    });
  });

  it('f32 output accumulates in double', () => {
    scope(() => {
      // q = 0 gives weight 1/8 to each of 8 keys: 1/8 + 7 * (4e-8 / 8). Each 5e-9 step is under half an
      // f32 ulp at 1/8 (2^-27 = 7.45e-9), so adding them one by one in f32 would leave 0.125.
      const values = [1, ...new Array<number>(7).fill(4e-8)];
      const y = T.attention(
        T.zeros([1, 1, 1, 1]),
        T.zeros([1, 1, 8, 1]),
        tensor(values, { shape: [1, 1, 8, 1] }),
      );
      expect(valuesOf(y)).toEqual([Math.fround(0.125 + (7 * 4e-8) / 8)]);
    });
  });

  it('reads transposed and broadcast inputs', () => {
    scope(() => {
      const setup = SETUPS[0][1];
      const [q, k, v] = attentionInputs(setup, 145);
      const kT = T.transpose(T.contiguous(T.transpose(k))); // same values, strides of a (B, H, D, S) buffer
      const expected = attentionReference(valuesOf(q), valuesOf(k), valuesOf(v), setup);
      expectAllClose(T.attention(q, kT, v), expected, { atol: 1e-14 });
      const vRow = T.broadcastTo(T.slice(v, [0, 0, 0], [1, 2, 1]), [1, 2, 3, 2]); // every key has key 0's value
      const vRowValues = valuesOf(T.contiguous(vRow));
      expectAllClose(
        T.attention(q, k, vRow),
        attentionReference(valuesOf(q), valuesOf(k), vRowValues, setup),
        { atol: 1e-14 },
      );
    });
  });

  it('zero keys or zero queries', () => {
    scope(() => {
      const y = T.attention(T.ones([1, 1, 2, 3]), T.zeros([1, 1, 0, 3]), T.zeros([1, 1, 0, 3]));
      expectAllClose(y, [0, 0, 0, 0, 0, 0], { atol: 0 });
      expect(T.attention(T.ones([1, 1, 0, 3]), T.ones([1, 1, 2, 3]), T.ones([1, 1, 2, 3])).shape).toEqual([
        1, 1, 0, 3,
      ]);
    });
  });

  it('custom scale and bad shapes', () => {
    scope(() => {
      const q = f64([[[[1, 0]]]]); // (1, 1, 1, 2)
      const k = f64([
        [
          [
            [1, 0],
            [0, 1],
          ],
        ],
      ]); // (1, 1, 2, 2)
      const v = f64([
        [
          [
            [1, 0],
            [0, 1],
          ],
        ],
      ]);
      // with scale 2 the scores are [2, 0], so the weights are [e^2, 1] / (e^2 + 1)
      const w = Math.exp(2) / (Math.exp(2) + 1);
      expectAllClose(T.attention(q, k, v, { scale: 2 }), [w, 1 - w], { atol: 1e-15 });
      expect(() => T.attention(q, T.zeros([1, 1, 2, 3]), v)).toThrow(ShapeError);
      expect(() => T.attention(T.zeros([1, 3, 1, 2]), T.zeros([1, 2, 2, 2]), T.zeros([1, 2, 2, 2]))).toThrow(
        ShapeError,
      );
      expect(() => T.attention(q, k, v, { mask: tensor([true, false, true]) })).toThrow(ShapeError);
    });
  });
});

describe('fused ops on random f32 data', () => {
  it('softmax rows sum to one', () => {
    scope(() => {
      const x = tensor(randomValues(64, 151, -20, 20), { shape: [8, 8] });
      expectAllClose(T.sum(T.softmax(x), 1), new Array<number>(8).fill(1), { atol: 1e-6 });
    });
  });
});
