// Reductions, movement, indexing, ordering and creation primitives against the cpu backend.
import { describe, expect, it } from 'vitest';
import * as T from '../../src/index.js';
import { checkNoLeaks } from '../helpers.js';
import { BACKENDS, checkCase, expectClose, input } from './harness.js';

checkNoLeaks();

const index = (values: number[], shape: number[] = [values.length]) => T.fromArray(values, shape, { dtype: 'i32', backend: 'cpu' });

describe.each(BACKENDS)('%s reduction conformance', (backend) => {
  const reductions = [
    ['sum', T.sum],
    ['prod', T.prod],
    ['max', T.max],
    ['min', T.min],
    ['logsumexp', T.logsumexp],
  ] as const;
  const axesCases: [string, number | number[] | undefined, boolean][] = [
    ['last axis', -1, false],
    ['middle axis kept', 1, true],
    ['first axis', 0, false],
    ['outer pair', [0, 1], false],
    ['split axes', [0, 2], true],
    ['all axes', undefined, false],
  ];
  for (const [name, fn] of reductions) {
    it.each(axesCases)(`${name} over %s`, async (_label, axes, keepDims) => {
      const low = name === 'prod' ? 0.5 : -2;
      const high = name === 'prod' ? 1.5 : 2;
      await checkCase(backend, { inputs: () => [input([4, 6, 9], 20, low, high)], fn: (x) => fn(x, axes, keepDims), grad: [0] });
    });
  }

  it('mean and variance compose reductions', async () => {
    await checkCase(backend, { inputs: () => [input([5, 33], 21, -2, 2)], fn: (x) => T.add(T.mean(x, -1), T.variance(x, 0).sum()), grad: [0] });
  });

  it('integer sum matches exactly', async () => {
    await checkCase(backend, { inputs: () => [input([6, 7], 22, -50, 50, 'i32')], fn: (x) => T.sum(x, 1) });
  });

  it.each([
    ['argmax', T.argmax],
    ['argmin', T.argmin],
  ] as const)('%s over each axis', async (_name, fn) => {
    for (const axis of [0, 1, 2]) {
      await checkCase(backend, { inputs: () => [T.scope(() => T.round(T.mul(input([5, 6, 7], 23), 3)))], fn: (x) => fn(x, axis) });
    }
  });
});

describe.each(BACKENDS)('%s movement conformance', (backend) => {
  it('contiguous copy of a transpose', async () => {
    await checkCase(backend, { inputs: () => [input([3, 4, 5], 30)], fn: (x) => T.contiguous(T.permute(x, [2, 0, 1])), grad: [0] });
  });

  it('strided slice and its gradient', async () => {
    // slice's backward is unslice
    await checkCase(backend, { inputs: () => [input([6, 9], 31)], fn: (x) => T.mul(T.slice(x, [1, 0], [6, 9], [2, 3]), 2), grad: [0] });
  });

  it('concat along the middle axis', async () => {
    await checkCase(backend, { inputs: () => [input([2, 3, 4], 32), input([2, 5, 4], 33)], fn: (a, b) => T.concat([a, b], 1), grad: [0, 1] });
  });

  it('pad with a constant', async () => {
    await checkCase(backend, { inputs: () => [input([3, 4], 34)], fn: (x) => T.pad(x, [[1, 2], [0, 3]], -7), grad: [0] });
  });

  it('gather along an axis', async () => {
    await checkCase(backend, { inputs: () => [input([4, 5], 35), index([0, 4, 4, 1, 2, 3, 0, 0], [4, 2])], fn: (x, i) => T.gather(x, 1, i), grad: [0] });
  });

  it('indexSelect rows with repeats', async () => {
    // indexSelect's backward is indexAdd
    await checkCase(backend, { inputs: () => [input([5, 3], 36), index([4, 0, 4, 2])], fn: (x, i) => T.indexSelect(x, 0, i), grad: [0] });
  });

  it('indexAdd accumulates repeated rows', async () => {
    await checkCase(backend, { inputs: () => [input([5, 3], 37), index([1, 1, 3]), input([3, 3], 38)], fn: (x, i, s) => T.indexAdd(x, 0, i, s), grad: [0, 2] });
  });

  it('scatterAdd into columns', async () => {
    await checkCase(backend, { inputs: () => [input([3, 4], 39), index([0, 3, 3, 1, 1, 1], [3, 2]), input([3, 2], 40)], fn: (x, i, s) => T.scatterAdd(x, 1, i, s), grad: [0, 2] });
  });

  it('oneHot of class indices', async () => {
    await checkCase(backend, { inputs: () => [index([2, 0, 3, 3])], fn: (i) => T.oneHot(i, 5) });
  });

  it('tril and triu with offsets', async () => {
    await checkCase(backend, { inputs: () => [input([2, 4, 5], 41)], fn: (x) => T.add(T.tril(x, -1), T.triu(x, 2)), grad: [0] });
  });
});

describe.each(BACKENDS)('%s ordering and creation conformance', (backend) => {
  it('argsort and sort descending', async () => {
    await checkCase(backend, { inputs: () => [T.scope(() => T.round(T.mul(input([3, 8], 50), 4)))], fn: (x) => T.argsort(x, -1, true) });
    await checkCase(backend, { inputs: () => [input([3, 8], 51)], fn: (x) => T.sort(x, 0).values, grad: [0] });
  });

  it('cumsum and cumprod with options', async () => {
    await checkCase(backend, { inputs: () => [input([3, 6], 52)], fn: (x) => T.cumsum(x, 1, { reverse: true }), grad: [0] });
    // cumprod's backward is cumprodGrad, and a zero element checks its division-free gradient
    const withZero = () => [T.fromArray([0.5, 0, 2, -1, 1.5, 3, 0.25, -2], [2, 4], { backend: 'cpu' })];
    await checkCase(backend, { inputs: withZero, fn: (x) => T.cumprod(x, 1, { exclusive: true }), grad: [0] });
  });

  it('rand draws the same numbers', () => {
    T.scope(() => {
      const expected = T.rand([7, 5], { seed: 3, backend: 'cpu' });
      const actual = T.rand([7, 5], { seed: 3, backend });
      expect(actual.backend.name).toBe(backend);
      expectClose(actual, expected, { atol: 0, rtol: 0 });
    });
  });

  it('full fills every dtype', async () => {
    for (const dtype of ['f32', 'f64', 'i32', 'bool'] as const) {
      await checkCase(backend, { inputs: () => [input([2, 3], 53, -1, 1, dtype)], fn: (x) => T.fullLike(x, 2.75) });
    }
  });
});
