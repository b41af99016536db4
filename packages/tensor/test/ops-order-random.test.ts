import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { ArgumentError, GradError, scope, type Tensor, tensor } from '../src/index.js';
import { philoxBlock } from '../src/random/philox.js';
import {
  checkNoLeaks,
  expectAllClose,
  expectGradcheck,
  expectSecondOrder,
  randomTensor,
  randomValues,
  valuesOf,
} from './helpers.js';

checkNoLeaks();

const f64 = (values: T.NestedArray) => tensor(values, { dtype: 'f64' });
const i32 = (values: T.NestedArray) => tensor(values, { dtype: 'i32' });

describe('sort, argsort and topk', () => {
  it('argsort is stable and puts NaN last', () => {
    scope(() => {
      const x = tensor([3, 1, Number.NaN, 1, 2, 3]);
      expect(valuesOf(T.argsort(x))).toEqual([1, 3, 4, 0, 5, 2]);
      // descending keeps equal keys in their original order and puts NaN first
      expect(valuesOf(T.argsort(x, -1, true))).toEqual([2, 0, 5, 4, 1, 3]);
    });
  });

  it('sort along axis 0 of a transposed view', () => {
    scope(() => {
      const x = T.transpose(
        f64([
          [5, 1, 4],
          [2, 3, 0],
        ]),
      ); // (3, 2): [[5, 2], [1, 3], [4, 0]]
      const { values, indices } = T.sort(x, 0);
      expectAllClose(values, [1, 0, 4, 2, 5, 3], { atol: 0 });
      expect(valuesOf(indices)).toEqual([1, 2, 2, 0, 0, 1]);
    });
  });

  it('sort matches a JS sort on random rows', () => {
    scope(() => {
      const x = randomTensor([3, 7], 161);
      const data = valuesOf(x);
      const expected = [0, 1, 2].flatMap((r) => data.slice(r * 7, r * 7 + 7).sort((a, b) => a - b));
      expectAllClose(T.sort(x).values, expected, { atol: 0 });
    });
  });

  it('topk takes the largest or smallest with ties in index order', () => {
    scope(() => {
      const x = tensor([
        [1, 5, 3, 5],
        [2, 2, 9, 0],
      ]);
      const top = T.topk(x, 2);
      expectAllClose(top.values, [5, 5, 9, 2], { atol: 0 });
      expect(valuesOf(top.indices)).toEqual([1, 3, 2, 0]);
      const bottom = T.topk(x, 3, -1, false);
      expectAllClose(bottom.values, [1, 3, 5, 0, 2, 2], { atol: 0 });
      expect(valuesOf(bottom.indices)).toEqual([0, 2, 1, 3, 0, 1]);
      expect(T.topk(x, 0).values.shape).toEqual([2, 0]);
      expect(() => T.topk(x, 5)).toThrow(ArgumentError);
    });
  });

  it('sort and topk gradients reach the picked elements', () => {
    scope(() => {
      const x = randomTensor([2, 5], 162);
      expectGradcheck((t) => T.sort(t, 1, true).values, [x]);
      expectGradcheck((t) => T.topk(t, 2, 0).values, [x]);
    });
  });

  it('empty rows and i32 input', () => {
    scope(() => {
      expect(T.argsort(T.zeros([3, 0])).shape).toEqual([3, 0]);
      expect(valuesOf(T.argsort(i32([3, -1, 2])))).toEqual([1, 2, 0]);
    });
  });
});

/** NumPy's default quantile: position q (n - 1) in the sorted values, linear between neighbours. */
function quantileReference(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = q * (sorted.length - 1);
  const lo = Math.floor(position);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (position - lo) * (sorted[hi] - sorted[lo]);
}

describe('quantile', () => {
  it('interpolates linearly like numpy', () => {
    scope(() => {
      // numpy.quantile([4, 1, 3, 2], [0, 0.25, 0.5, 1]) = [1, 1.75, 2.5, 4]
      const x = f64([4, 1, 3, 2]);
      expectAllClose(T.quantile(x, 0.5), [2.5], { atol: 1e-15 });
      const several = T.quantile(x, [0, 0.25, 0.5, 1]);
      expect(several.shape).toEqual([4]);
      expectAllClose(several, [1, 1.75, 2.5, 4], { atol: 1e-15 });
    });
  });

  it('along an axis with keepDims', () => {
    scope(() => {
      const x = f64([
        [3, 1, 2],
        [6, 5, 4],
      ]);
      expectAllClose(T.quantile(x, 0.5, 1), [2, 5], { atol: 0 });
      expect(T.quantile(x, 0.5, 1, true).shape).toEqual([2, 1]);
      expect(T.quantile(x, 0.5, undefined, true).shape).toEqual([1, 1]);
      const both = T.quantile(x, [0.25, 0.75], 0); // (2 q, 3)
      expect(both.shape).toEqual([2, 3]);
      expectAllClose(both, [3.75, 2, 2.5, 5.25, 4, 3.5], { atol: 1e-15 });
    });
  });

  it('matches the reference on random data', () => {
    scope(() => {
      const values = randomValues(11, 163);
      for (const q of [0.1, 0.33, 0.9])
        expectAllClose(T.quantile(f64(values), q), [quantileReference(values, q)], { atol: 1e-15 });
    });
  });

  it('a row with NaN gives NaN', () => {
    scope(() => {
      // numpy.quantile([[1, 2, 3], [nan, 1, 2]], 0.5, axis=1) = [2, nan]
      expectAllClose(
        T.quantile(
          f64([
            [1, 2, 3],
            [Number.NaN, 1, 2],
          ]),
          0.5,
          1,
        ),
        [2, Number.NaN],
        { atol: 0 },
      );
      expectAllClose(T.quantile(f64([1, Number.NaN, 3]), [0, 1]), [Number.NaN, Number.NaN], { atol: 0 });
    });
  });

  it('rejects q outside [0, 1] and empty axes', () => {
    scope(() => {
      expect(() => T.quantile(f64([1, 2]), 1.5)).toThrow(ArgumentError);
      expect(() => T.quantile(T.zeros([0]), 0.5)).toThrow(ArgumentError);
    });
  });

  it('gradient matches finite differences', () => {
    scope(() => {
      expectGradcheck((t) => T.quantile(t, [0.3, 0.8], 1), [randomTensor([2, 5], 164)]);
    });
  });
});

/** Cumulative scan of one row in float64: inclusive or exclusive, forward or reversed. */
function scanReference(
  row: number[],
  combine: (a: number, b: number) => number,
  identity: number,
  reverse: boolean,
  exclusive: boolean,
): number[] {
  const order = reverse ? [...row].reverse() : row;
  const out: number[] = [];
  let running = identity;
  for (const v of order) {
    if (exclusive) out.push(running);
    running = combine(running, v);
    if (!exclusive) out.push(running);
  }
  return reverse ? out.reverse() : out;
}

describe('cumsum and cumprod', () => {
  const OPTIONS = [
    { reverse: false, exclusive: false },
    { reverse: true, exclusive: false },
    { reverse: false, exclusive: true },
    { reverse: true, exclusive: true },
  ];
  const SCANS: [string, typeof T.cumsum, (a: number, b: number) => number, number][] = [
    ['cumsum', T.cumsum, (a, b) => a + b, 0],
    ['cumprod', T.cumprod, (a, b) => a * b, 1],
  ];
  const CASES = SCANS.flatMap(([name, run, combine, identity]) =>
    OPTIONS.map((options) => ({ name, run, combine, identity, ...options })),
  );

  it.each(CASES)(
    '$name reverse $reverse exclusive $exclusive forward',
    ({ run, combine, identity, reverse, exclusive }) => {
      scope(() => {
        const x = randomTensor([3, 4], 171, 0.5, 2);
        const data = valuesOf(x);
        const rows = [0, 1, 2].flatMap((r) =>
          scanReference(data.slice(r * 4, r * 4 + 4), combine, identity, reverse, exclusive),
        );
        expectAllClose(run(x, 1, { reverse, exclusive }), rows, { atol: 1e-14 });
        // axis 0 of the transposed view is the same scan
        expectAllClose(T.transpose(run(T.transpose(x), 0, { reverse, exclusive })), rows, { atol: 1e-14 });
      });
    },
  );

  it.each(CASES)('$name reverse $reverse exclusive $exclusive gradient', ({ run, reverse, exclusive }) => {
    scope(() => {
      const x = f64([
        [0.5, -1.5, 0, 2],
        [1.2, 0.7, -0.3, 0],
      ]); // zeros included: cumprod must not divide
      expectGradcheck((t) => run(t, 1, { reverse, exclusive }), [x]);
      expectGradcheck((t) => run(t, 0, { reverse, exclusive }), [x]);
      expectGradcheck((t) => run(T.transpose(t), 1, { reverse, exclusive }), [x]);
    });
  });

  it('cumsum second derivative matches finite differences', () => {
    scope(() => {
      expectSecondOrder(
        (t) => T.sum(T.square(T.cumsum(t, 0, { reverse: true }))),
        [randomTensor([3, 2], 172)],
      );
    });
  });

  it('cumprod second derivative raises GradError', () => {
    scope(() => {
      const x = randomTensor([4], 173, 0.5, 2);
      const firstGradient = (t: Tensor) => T.grad((u: Tensor) => T.sum(T.cumprod(u)))(t)[0];
      expect(() => T.grad((t: Tensor) => T.sum(firstGradient(t)))(x)).toThrow(GradError);
      expect(() => T.grad((t: Tensor) => T.sum(firstGradient(t)))(x)).toThrow(/cumprod/);
    });
  });

  it('bool cumsum counts and empty scans', () => {
    scope(() => {
      const y = T.cumsum(tensor([true, false, true]));
      expect(y.dtype).toBe('i32');
      expect(valuesOf(y)).toEqual([1, 1, 2]);
      expect(T.cumprod(T.zeros([2, 0]), 1).shape).toEqual([2, 0]);
    });
  });
});

describe('Philox4x32-10', () => {
  // Known-answer vectors published with Random123 for philox4x32 with 10 rounds.
  const VECTORS: [number[], [number, number], number[]][] = [
    [
      [0, 0, 0, 0],
      [0, 0],
      [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
    ],
    [
      [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
      [0xffffffff, 0xffffffff],
      [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
    ],
    [
      [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
      [0xa4093822, 0x299f31d0],
      [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
    ],
  ];

  it.each(VECTORS)('counter %j key %j', (counter, [k0, k1], expected) => {
    const out = new Uint32Array(4);
    philoxBlock(counter, k0, k1, out);
    expect(Array.from(out)).toEqual(expected);
  });

  it('rand takes the top 24 bits of each word', () => {
    scope(() => {
      // seed 7 is key (7, 0), and the first draw of a fresh generator starts at counter 0
      const block = new Uint32Array(4);
      philoxBlock([0, 0, 0, 0], 7, 0, block);
      const second = new Uint32Array(4);
      philoxBlock([1, 0, 0, 0], 7, 0, second);
      const expected = [...block, ...second.slice(0, 2)].map((w) => (w >>> 8) / 2 ** 24);
      expect(valuesOf(T.rand([6], { seed: 7, dtype: 'f64' }))).toEqual(expected);
    });
  });
});

describe('random draws', () => {
  it('empty draws have the requested shape', () => {
    scope(() => {
      expect(T.rand([0, 3]).shape).toEqual([0, 3]);
      expect(T.randn([2, 0]).shape).toEqual([2, 0]);
      expect(T.dropout(T.zeros([0]), 0.5).shape).toEqual([0]);
    });
  });

  it('same seed gives the same numbers', () => {
    scope(() => {
      expect(valuesOf(T.rand([50], { seed: 3 }))).toEqual(valuesOf(T.rand([50], { seed: 3 })));
      expect(valuesOf(T.randn([50], { seed: 3 }))).toEqual(valuesOf(T.randn([50], { seed: 3 })));
      expect(valuesOf(T.rand([50], { seed: 3 }))).not.toEqual(valuesOf(T.rand([50], { seed: 4 })));
    });
  });

  it('a generator continues where it stopped', () => {
    scope(() => {
      const generator = new T.Generator(9);
      const first = valuesOf(T.rand([3], { generator }));
      const second = valuesOf(T.rand([3], { generator }));
      expect(second).not.toEqual(first);
      // 3 numbers take one block, so the second draw starts at block 1, element 4 of one long draw
      const long = valuesOf(T.rand([8], { seed: 9 }));
      expect(second).toEqual(long.slice(4, 7));
    });
  });

  it('rand mean and variance are uniform', () => {
    scope(() => {
      const n = 100_000;
      const u = valuesOf(T.rand([n], { seed: 11, dtype: 'f64' }));
      expect(u.every((v) => v >= 0 && v < 1)).toBe(true);
      const mean = u.reduce((p, q) => p + q, 0) / n;
      const variance = u.reduce((p, q) => p + (q - mean) ** 2, 0) / n;
      // standard errors: sqrt(1/12 / n) = 9.1e-4 for the mean, sqrt((1/80 - 1/144) / n) = 2.4e-4 for the variance
      expect(Math.abs(mean - 0.5)).toBeLessThan(5 * 9.1e-4);
      expect(Math.abs(variance - 1 / 12)).toBeLessThan(5 * 2.4e-4);
    });
  });

  it('randn moments are standard normal', () => {
    scope(() => {
      const n = 100_000;
      const z = valuesOf(T.randn([n], { seed: 12, dtype: 'f64' }));
      const moment = (k: number) => z.reduce((p, q) => p + q ** k, 0) / n;
      // standard errors: 1/sqrt(n) for the mean, sqrt(2/n) for the variance, sqrt(96/n) for the 4th moment
      expect(Math.abs(moment(1))).toBeLessThan(5 / Math.sqrt(n));
      expect(Math.abs(moment(2) - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
      expect(Math.abs(moment(3))).toBeLessThan(5 * Math.sqrt(15 / n));
      expect(Math.abs(moment(4) - 3)).toBeLessThan(5 * Math.sqrt(96 / n));
      expect(z.every(Number.isFinite)).toBe(true);
    });
  });

  it('bernoulli frequency matches p', () => {
    scope(() => {
      const n = 50_000;
      const draws = T.bernoulli(0.3, [n], { seed: 13 });
      expect(draws.dtype).toBe('bool');
      const rate = valuesOf(draws).reduce((p, q) => p + q, 0) / n;
      expect(Math.abs(rate - 0.3)).toBeLessThan(5 * Math.sqrt((0.3 * 0.7) / n));
      const perElement = valuesOf(T.bernoulli(tensor([0, 1, 0, 1]), undefined, { seed: 14 }));
      expect(perElement).toEqual([0, 1, 0, 1]);
    });
  });

  it('categorical frequencies follow softmax of the logits', () => {
    scope(() => {
      const logits = [1, 0, -1, 2];
      const n = 20_000;
      const samples = T.categorical(tensor([logits]), n, { seed: 15 }); // (1, n)
      expect(samples.shape).toEqual([1, n]);
      expect(samples.dtype).toBe('i32');
      const counts = [0, 0, 0, 0];
      for (const s of valuesOf(samples)) counts[s] += 1;
      const e = logits.map(Math.exp);
      const probabilities = e.map((v) => v / e.reduce((p, q) => p + q, 0));
      const chiSquare = counts.reduce(
        (acc, c, i) => acc + (c - n * probabilities[i]) ** 2 / (n * probabilities[i]),
        0,
      );
      // 3 degrees of freedom: P(chi^2 > 21.1) = 1e-4
      expect(chiSquare).toBeLessThan(21.1);
    });
  });

  it('categorical never draws a -inf class at the largest uniform', () => {
    scope(() => {
      // Block 7113731 under key (0, 0) has lane 1 = 0xffffff7e, so u = 1 - 2^-24 there: the largest value
      // rand can return. That lane is (sample 0, class 1) of a (1, 2 samples, 2 classes) draw.
      const block = new Uint32Array(4);
      philoxBlock([7113731, 0, 0, 0], 0, 0, block);
      expect(block[1] >>> 8).toBe(0xffffff);
      const generator = new T.Generator(0);
      generator.setState({ key: [0, 0], counter: 7113731 });
      const samples = T.categorical(tensor([[0, Number.NEGATIVE_INFINITY]]), 2, { generator });
      expect(valuesOf(samples)).toEqual([0, 0]);
    });
  });

  it('categorical never draws a -inf class', () => {
    scope(() => {
      const samples = valuesOf(
        T.categorical(
          tensor([
            [0, Number.NEGATIVE_INFINITY, 0],
            [Number.NEGATIVE_INFINITY, 5, Number.NEGATIVE_INFINITY],
          ]),
          500,
          { seed: 16 },
        ),
      );
      expect(samples.slice(0, 500).every((s) => s !== 1)).toBe(true);
      expect(samples.slice(500).every((s) => s === 1)).toBe(true);
    });
  });
});

describe('dropout', () => {
  it('zeroes a fraction p and scales the rest', () => {
    scope(() => {
      const n = 20_000;
      const y = valuesOf(T.dropout(T.ones([n], { dtype: 'f64' }), 0.25, true, { seed: 17 }));
      const zeros = y.filter((v) => v === 0).length;
      expect(Math.abs(zeros / n - 0.25)).toBeLessThan(5 * Math.sqrt((0.25 * 0.75) / n));
      expect(y.every((v) => v === 0 || v === 1 / 0.75)).toBe(true);
    });
  });

  it('gradient uses the same mask', () => {
    scope(() => {
      const x = randomTensor([200], 174).setRequiresGrad();
      const y = T.dropout(x, 0.5, true, { seed: 18 });
      T.sum(y).backward();
      const kept = valuesOf(y).map((v) => (v === 0 ? 0 : 2));
      expect(valuesOf(x.grad!)).toEqual(kept);
    });
  });

  it('eval mode and p = 0 return the input', () => {
    scope(() => {
      const x = f64([1, -2, 3]);
      expect(valuesOf(T.dropout(x, 0.5, false))).toEqual([1, -2, 3]);
      expect(valuesOf(T.dropout(x, 0))).toEqual([1, -2, 3]);
      expect(() => T.dropout(x, 1)).toThrow(ArgumentError);
    });
  });
});
