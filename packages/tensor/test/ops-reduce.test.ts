import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { ArgumentError, scope, type Tensor, tensor } from '../src/index.js';
import {
  checkNoLeaks,
  expectAllClose,
  expectGradcheck,
  expectSecondOrder,
  randomTensor,
  reduceReference,
  valuesOf,
} from './helpers.js';

checkNoLeaks();

const f64 = (values: T.NestedArray) => tensor(values, { dtype: 'f64' });
const total = (v: number[]) => v.reduce((p, q) => p + q, 0);
const average = (v: number[]) => total(v) / v.length;
const variance = (v: number[], correction: number) =>
  total(v.map((x) => (x - average(v)) ** 2)) / (v.length - correction);

type Axes = number | number[] | undefined;

interface ReduceCase {
  name: string;
  run: (x: Tensor, axes: Axes, keepDims: boolean) => Tensor;
  reference: (values: number[]) => number;
}

const REDUCTIONS: ReduceCase[] = [
  { name: 'sum', run: T.sum, reference: total },
  { name: 'mean', run: T.mean, reference: average },
  { name: 'max', run: T.max, reference: (v) => v.reduce((p, q) => Math.max(q, p)) },
  { name: 'min', run: T.min, reference: (v) => v.reduce((p, q) => Math.min(q, p)) },
  { name: 'prod', run: T.prod, reference: (v) => v.reduce((p, q) => p * q, 1) },
  { name: 'logsumexp', run: T.logsumexp, reference: (v) => Math.log(total(v.map(Math.exp))) },
  { name: 'var', run: (x, a, k) => T.variance(x, a, k), reference: (v) => variance(v, 1) },
  { name: 'std', run: (x, a, k) => T.std(x, a, k), reference: (v) => Math.sqrt(variance(v, 1)) },
];

const AXES: Axes[] = [undefined, 0, 1, -1, [0, 2], [1, 2], [0, 1, 2]];
const SHAPE = [2, 3, 4];

function normalized(axes: Axes): number[] {
  if (axes === undefined) return [0, 1, 2];
  const list = typeof axes === 'number' ? [axes] : axes;
  return list.map((a) => (a < 0 ? a + SHAPE.length : a));
}

function expectedShape(axes: Axes, keepDims: boolean): number[] {
  const reduced = normalized(axes);
  const kept = keepDims ? [1] : [];
  return SHAPE.flatMap((d, i) => (reduced.includes(i) ? kept : [d]));
}

const FORWARD = REDUCTIONS.flatMap((c) =>
  AXES.flatMap((axes) => [false, true].map((keepDims) => ({ ...c, axes, keepDims }))),
);

describe('reductions forward', () => {
  it.each(FORWARD)('$name over $axes keepDims $keepDims', ({ run, reference, axes, keepDims }) => {
    scope(() => {
      const x = randomTensor(SHAPE, 61, 0.5, 1.5); // (2, 3, 4), positive so prod stays well scaled
      const y = run(x, axes, keepDims);
      expect(y.shape).toEqual(expectedShape(axes, keepDims));
      expectAllClose(y, reduceReference(valuesOf(x), SHAPE, normalized(axes), reference), {
        atol: 1e-13,
        rtol: 1e-12,
      });
    });
  });

  it('var and std honor the correction', () => {
    scope(() => {
      const values = [1, 2, 4, 7];
      // mean 3.5, squared deviations 6.25 + 2.25 + 0.25 + 12.25 = 21
      expectAllClose(T.variance(f64(values), undefined, false, 0), [21 / 4], { atol: 1e-15 });
      expectAllClose(T.std(f64(values), undefined, false, 1), [Math.sqrt(21 / 3)], { atol: 1e-15 });
    });
  });

  it('f32 sum accumulates in double', () => {
    scope(() => {
      // 2^24 + 1 + 1 = 16777218 is exact in f32, while adding 1 to 2^24 in f32 rounds back to 2^24
      expect(valuesOf(T.sum(tensor([16777216, 1, 1])))).toEqual([16777218]);
    });
  });

  it('bool sum counts and i32 mean is float', () => {
    scope(() => {
      const count = T.sum(tensor([true, false, true, true]));
      expect(count.dtype).toBe('i32');
      expect(valuesOf(count)).toEqual([3]);
      const m = T.mean(tensor([1, 2], { dtype: 'i32' }));
      expect(m.dtype).toBe('f32');
      expect(valuesOf(m)).toEqual([1.5]);
    });
  });
});

describe('reductions backward', () => {
  const cases = REDUCTIONS.flatMap((c) => [undefined, 1, [0, 2]].map((axes) => ({ ...c, axes })));

  it.each(cases)('$name over $axes matches finite differences', ({ run, axes }) => {
    scope(() => {
      const x = randomTensor([2, 3, 2], 62, 0.5, 1.5);
      expectGradcheck((t) => run(t, axes, false), [x]);
      expectGradcheck((t) => run(t, axes, true), [x]);
    });
  });

  it.each(REDUCTIONS)('$name second derivative matches finite differences', ({ run }) => {
    scope(() => {
      const x = randomTensor([2, 3], 63, 0.5, 1.5);
      expectSecondOrder((t) => T.sum(T.mul(run(t, 1, false), run(t, 1, false))), [x]);
    });
  });

  it('full max splits ties evenly', () => {
    scope(() => {
      const x = f64([1, 3, 3, 2]).setRequiresGrad();
      T.max(x).backward();
      expectAllClose(x.grad!, [0, 0.5, 0.5, 0], { atol: 0 });
    });
  });

  it('axis max and min split ties evenly', () => {
    scope(() => {
      const x = f64([
        [1, 3, 3],
        [2, 2, 0],
      ]).setRequiresGrad();
      T.sum(T.max(x, 1)).backward();
      expectAllClose(x.grad!, [0, 0.5, 0.5, 0.5, 0.5, 0], { atol: 0 });
      const z = f64([
        [4, 4, 4],
        [1, 5, 1],
      ]).setRequiresGrad();
      T.sum(T.min(z, 1)).backward();
      expectAllClose(z.grad!, [1 / 3, 1 / 3, 1 / 3, 0.5, 0, 0.5], { atol: 1e-15 });
    });
  });

  it('prod gradient handles a zero factor', () => {
    scope(() => {
      // d/dx_i prod(x) = product of the others: [0*3*4, 2*3*4... ] with x = [2, 0, 3, 4]
      const x = f64([2, 0, 3, 4]).setRequiresGrad();
      T.prod(x).backward();
      expectAllClose(x.grad!, [0, 24, 0, 0], { atol: 0 });
    });
  });
});

describe('argmax and argmin', () => {
  it('per-axis indices match a loop', () => {
    scope(() => {
      const x = randomTensor(SHAPE, 64);
      const data = valuesOf(x);
      const argOf = (better: (a: number, b: number) => boolean) => (v: number[]) =>
        v.reduce((best, value, i) => (better(value, v[best]) ? i : best), 0);
      for (const axis of [0, 1, 2]) {
        expectAllClose(
          T.argmax(x, axis),
          reduceReference(
            data,
            SHAPE,
            [axis],
            argOf((a, b) => a > b),
          ),
          { atol: 0 },
        );
        expectAllClose(
          T.argmin(x, axis),
          reduceReference(
            data,
            SHAPE,
            [axis],
            argOf((a, b) => a < b),
          ),
          { atol: 0 },
        );
      }
      expect(T.argmax(x, 1, true).shape).toEqual([2, 1, 4]);
      expect(T.argmax(x, -1).dtype).toBe('i32');
    });
  });

  it('flattened argmax indexes the whole tensor', () => {
    scope(() => {
      const x = tensor([
        [1, 9, 2],
        [8, 3, 0],
      ]);
      expect(valuesOf(T.argmax(x))).toEqual([1]);
      expect(valuesOf(T.argmin(x))).toEqual([5]);
      expect(T.argmax(x, undefined, true).shape).toEqual([1, 1]);
    });
  });

  it('ties return the first index', () => {
    scope(() => {
      expect(valuesOf(T.argmax(tensor([1, 3, 3, 2])))).toEqual([1]);
      expect(valuesOf(T.argmax(tensor([5, 5, 5, 5])))).toEqual([0]);
      expect(valuesOf(T.argmin(tensor([3, 1, 1, 2])))).toEqual([1]);
      expect(valuesOf(T.argmin(tensor([5, 5, 5, 5])))).toEqual([0]);
    });
  });

  it('ties in a long row return the first index', () => {
    scope(() => {
      const values = new Float32Array(1024);
      values[100] = 7;
      values[900] = 7;
      expect(valuesOf(T.argmax(tensor(values)))).toEqual([100]);
      const negated = values.map((v) => -v);
      expect(valuesOf(T.argmin(tensor(negated)))).toEqual([100]);
    });
  });

  it('NaN counts as the extreme', () => {
    scope(() => {
      const x = tensor([1, Number.NaN, 5, Number.NaN]);
      expect(valuesOf(T.argmax(x))).toEqual([1]);
      expect(valuesOf(T.argmin(x))).toEqual([1]);
    });
  });

  it('empty input raises ArgumentError', () => {
    scope(() => {
      expect(() => T.argmax(T.zeros([0]))).toThrow(ArgumentError);
    });
  });
});

describe('reductions edge cases', () => {
  it('empty reductions give identities', () => {
    scope(() => {
      const empty = T.zeros([0], { dtype: 'f64' });
      expect(valuesOf(T.sum(empty))).toEqual([0]);
      expect(valuesOf(T.prod(empty))).toEqual([1]);
      expect(valuesOf(T.logsumexp(empty))).toEqual([Number.NEGATIVE_INFINITY]);
      expect(Number.isNaN(valuesOf(T.mean(empty))[0])).toBe(true);
      expect(() => T.max(empty)).toThrow(ArgumentError);
      expect(() => T.min(empty)).toThrow(ArgumentError);
    });
  });

  it('reducing an empty axis or keeping one', () => {
    scope(() => {
      expect(valuesOf(T.sum(T.zeros([2, 0]), 1))).toEqual([0, 0]);
      const kept = T.sum(T.zeros([0, 3]), 1, true);
      expect(kept.shape).toEqual([0, 1]);
      expect(T.max(T.zeros([0, 3]), 1).shape).toEqual([0]);
    });
  });

  it('empty input gradient is empty', () => {
    scope(() => {
      const x = T.zeros([0, 3], { dtype: 'f64' }).setRequiresGrad();
      T.sum(T.exp(x)).backward();
      expect(x.grad!.shape).toEqual([0, 3]);
    });
  });

  it('size-1 axes and rank 0', () => {
    scope(() => {
      const column = f64([[2], [-1], [5]]); // (3, 1)
      expectAllClose(T.sum(column, 1), [2, -1, 5], { atol: 0 });
      expectAllClose(T.max(column, 1, true), [2, -1, 5], { atol: 0 });
      expectAllClose(T.logsumexp(column, 1), [2, -1, 5], { atol: 1e-15 });
      const scalar = f64(4);
      expect(T.sum(scalar).shape).toEqual([]);
      expect(valuesOf(T.mean(scalar))).toEqual([4]);
    });
  });

  it('NaN propagates through every reduction', () => {
    scope(() => {
      const x = f64([1, Number.NaN, 3]);
      for (const run of [T.sum, T.mean, T.max, T.min, T.prod, T.logsumexp]) {
        expect(Number.isNaN(valuesOf(run(x))[0]), run.name).toBe(true);
      }
    });
  });

  it('logsumexp of large and infinite inputs', () => {
    scope(() => {
      expectAllClose(T.logsumexp(f64([1000, 1000])), [1000 + Math.LN2], { atol: 1e-12 });
      expectAllClose(T.logsumexp(f64([-1000, -1000])), [-1000 + Math.LN2], { atol: 1e-12 });
      expect(valuesOf(T.logsumexp(f64([Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY])))).toEqual([
        Number.NEGATIVE_INFINITY,
      ]);
      expect(valuesOf(T.logsumexp(f64([Number.POSITIVE_INFINITY, 0])))).toEqual([Number.POSITIVE_INFINITY]);
      expectAllClose(T.logsumexp(tensor([-3.4028234663852886e38, 0])), [0], { atol: 0 });
    });
  });

  it('logsumexp gradient at f32 min is a softmax', () => {
    scope(() => {
      // m + log(2) rounds to m at |m| = 3.4e38, so exp(x - output) would give weights of 1, not 1/2
      const x = tensor([-3.4028234663852886e38, -3.4028234663852886e38]).setRequiresGrad();
      T.logsumexp(x).backward();
      expect(valuesOf(x.grad!)).toEqual([0.5, 0.5]);
    });
  });

  it('logsumexp gradient of an all -inf group is zero', () => {
    scope(() => {
      const x = f64([
        [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY],
        [0, 0],
      ]).setRequiresGrad();
      T.sum(T.logsumexp(x, 1)).backward();
      expectAllClose(x.grad!, [0, 0, 0.5, 0.5], { atol: 0 });
    });
  });

  it('logsumexp gradient ignores -inf entries', () => {
    scope(() => {
      const x = f64([Number.NEGATIVE_INFINITY, 0, 0]).setRequiresGrad();
      T.logsumexp(x).backward();
      expectAllClose(x.grad!, [0, 0.5, 0.5], { atol: 1e-15 });
    });
  });
});

/** Views of a (4, 6) base and the row-major values each one shows. */
const VIEWS: [string, (x: Tensor) => Tensor, (d: number[]) => number[], number[]][] = [
  [
    'transposed',
    (x) => T.transpose(x),
    (d) => [0, 1, 2, 3, 4, 5].flatMap((j) => [0, 1, 2, 3].map((i) => d[i * 6 + j])),
    [6, 4],
  ],
  [
    'stepped slice',
    (x) => x.slice([0, 1], [4, 6], [2, 2]),
    (d) => [d[1], d[3], d[5], d[13], d[15], d[17]],
    [2, 3],
  ],
  [
    'broadcast',
    (x) => T.broadcastTo(x.slice([1, 0], [2, 6]), [3, 6]),
    (d) => [0, 1, 2].flatMap(() => d.slice(6, 12)),
    [3, 6],
  ],
];

describe('reduction kernels on views', () => {
  it.each(VIEWS)('reduce a %s input along each axis', (_name, makeView, shown, shape) => {
    scope(() => {
      const base = randomTensor([4, 6], 65);
      const view = makeView(base);
      const data = shown(valuesOf(base));
      for (const axis of [0, 1]) {
        expectAllClose(T.sum(view, axis), reduceReference(data, shape, [axis], total), { atol: 1e-14 });
        expectAllClose(
          T.max(view, axis),
          reduceReference(data, shape, [axis], (v) => Math.max(...v)),
          { atol: 0 },
        );
        expectAllClose(
          T.prod(view, axis),
          reduceReference(data, shape, [axis], (v) => v.reduce((p, q) => p * q, 1)),
          { atol: 1e-14 },
        );
        const firstMax = (v: number[]) => v.indexOf(Math.max(...v));
        expectAllClose(T.argmax(view, axis), reduceReference(data, shape, [axis], firstMax), { atol: 0 });
      }
    });
  });

  it.each(VIEWS)('gradient through a %s input', (_name, makeView) => {
    scope(() => {
      expectGradcheck((x) => T.logsumexp(makeView(x), 0), [randomTensor([4, 6], 66)]);
    });
  });
});
