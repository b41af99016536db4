// Every elementwise primitive on the backend under test against the cpu backend, forward and backward.
import { describe, it } from 'vitest';
import * as T from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { checkNoLeaks } from '../helpers.js';
import { BACKENDS, checkCase, input, type OpCase } from './harness.js';

checkNoLeaks();

type Unary = (x: Tensor) => Tensor;

/** Input range per unary op: inside the domain, and wide enough to reach both tails. */
const UNARY: [string, Unary, number, number][] = [
  ['neg', T.neg, -3, 3],
  ['abs', T.abs, -3, 3],
  ['sign', T.sign, -3, 3],
  ['exp', T.exp, -20, 20],
  ['log', T.log, 1e-3, 50],
  ['log1p', T.log1p, -0.9, 20],
  ['expm1', T.expm1, -5, 5],
  ['sqrt', T.sqrt, 0, 50],
  ['rsqrt', T.rsqrt, 0.01, 50],
  ['tanh', T.tanh, -6, 6],
  ['sigmoid', T.sigmoid, -12, 12],
  ['logSigmoid', T.logSigmoid, -30, 30],
  ['softplus', T.softplus, -30, 30],
  ['relu', T.relu, -3, 3],
  ['gelu', (x) => T.gelu(x), -8, 8],
  ['geluTanh', (x) => T.gelu(x, 'tanh'), -8, 8],
  ['silu', T.silu, -12, 12],
  ['sin', T.sin, -6, 6],
  ['cos', T.cos, -6, 6],
  ['erf', T.erf, -4.5, 4.5],
  ['floor', T.floor, -3, 3],
  ['ceil', T.ceil, -3, 3],
  ['round', T.round, -3, 3],
];

const BINARY: [string, (a: Tensor, b: Tensor) => Tensor, number][] = [
  ['add', T.add, -2],
  ['sub', T.sub, -2],
  ['mul', T.mul, -2],
  ['div', T.div, 0.5],
  ['pow', T.pow, 0.5],
  ['maximum', T.maximum, -2],
  ['minimum', T.minimum, -2],
];

const COMPARE: [string, (a: Tensor, b: Tensor) => Tensor][] = [
  ['eq', T.eq],
  ['ne', T.ne],
  ['lt', T.lt],
  ['le', T.le],
  ['gt', T.gt],
  ['ge', T.ge],
];

/** Values on a coarse grid, so comparisons meet equal elements. */
function grid(shape: number[], seed: number): Tensor {
  return T.scope(() => T.round(T.mul(input(shape, seed, -2, 2), 2)));
}

describe.each(BACKENDS)('%s elementwise conformance', (backend) => {
  it.each(UNARY)('unary %s forward and gradient', async (_name, fn, low, high) => {
    // 3 x 37 elements: the vector loop and a scalar tail of one element
    await checkCase(backend, { inputs: () => [input([3, 37], 1, low, high)], fn, grad: [0], tolerance: { atol: 1e-6, rtol: 4e-6 } });
  });

  it.each(BINARY)('binary %s with broadcasting', async (name, fn, low) => {
    const c: OpCase = { inputs: () => [input([3, 1, 5], 2, low, 2), input([4, 5], 3, low, 2)], fn, grad: [0, 1] };
    if (name === 'pow') c.tolerance = { atol: 1e-6, rtol: 4e-6 };
    await checkCase(backend, c);
  });

  it.each(COMPARE)('compare %s gives bool', async (_name, fn) => {
    await checkCase(backend, { inputs: () => [grid([4, 6], 4), grid([6], 5)], fn });
  });

  it('logical ops on bool inputs', async () => {
    const inputs = () => T.scope(() => [T.gt(input([5, 7], 6), 0), T.gt(input([5, 7], 7), 0)]);
    await checkCase(backend, { inputs, fn: T.logicalAnd });
    await checkCase(backend, { inputs, fn: T.logicalOr });
    await checkCase(backend, { inputs, fn: T.logicalXor });
    await checkCase(backend, { inputs, fn: (a) => T.logicalNot(a) });
  });

  it('isFinite flags inf and nan', async () => {
    const inputs = () => [T.tensor([1, Number.POSITIVE_INFINITY, Number.NaN, -Number.MAX_VALUE, Number.NEGATIVE_INFINITY, 0], { backend: 'cpu' })];
    await checkCase(backend, { inputs, fn: (x) => T.isFinite(x) });
  });

  it('where selects with broadcasting', async () => {
    const inputs = () => T.scope(() => [T.gt(input([4, 1], 8), 0), input([4, 6], 9), input([6], 10)]);
    await checkCase(backend, { inputs, fn: (c, a, b) => T.where(c, a, b), grad: [1, 2] });
  });

  it('clamp with both bounds', async () => {
    await checkCase(backend, { inputs: () => [input([5, 9], 11, -3, 3)], fn: (x) => T.clamp(x, -1, 1.5), grad: [0] });
  });

  it('cast between every dtype pair', async () => {
    const dtypes = ['f32', 'f64', 'i32', 'bool'] as const;
    for (const from of dtypes) {
      for (const to of dtypes) {
        await checkCase(backend, { inputs: () => [input([3, 5], 12, -4, 4, from)], fn: (x) => T.cast(x, to) });
      }
    }
  });

  it('integer arithmetic matches exactly', async () => {
    const inputs = () => [input([4, 5], 13, -1000, 1000, 'i32'), input([5], 14, -1000, 1000, 'i32')];
    await checkCase(backend, { inputs, fn: T.add });
    await checkCase(backend, { inputs, fn: T.mul });
    await checkCase(backend, { inputs, fn: T.maximum });
  });

  it('f64 arithmetic matches exactly', async () => {
    const inputs = () => [input([4, 5], 15, -3, 3, 'f64'), input([4, 5], 16, 0.5, 3, 'f64')];
    await checkCase(backend, { inputs, fn: (a, b) => T.exp(T.div(a, b)), grad: [0, 1], gradTolerance: { atol: 0, rtol: 0 } });
  });
});
