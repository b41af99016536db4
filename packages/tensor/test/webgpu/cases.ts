// Conformance cases, parameterized by backend name: each case builds the same inputs on a backend
// and on the cpu reference, runs one computation, and compares the outputs and the gradients of
// sum(output * w) for fixed random weights w. The cpu backend computes in float64 and rounds once,
// so it is an independent reference for the f32 GPU kernels.
import { expect } from 'vitest';
import * as T from '../../src/index.js';
import { type DType, fromArray, scopeAsync, type Tensor } from '../../src/index.js';
import { randomValues } from '../helpers.js';

export interface HostInput {
  shape: number[];
  dtype?: DType;
  /** Explicit values, or else uniform in [low, high) from `seed`. */
  values?: number[];
  seed?: number;
  low?: number;
  high?: number;
  /** Whether a float input takes part in the gradient comparison (default true). */
  grad?: boolean;
}

export interface Tolerance {
  atol: number;
  rtol: number;
}

export interface ConformanceCase {
  name: string;
  inputs: HostInput[];
  run: (...xs: Tensor[]) => Tensor | Tensor[];
  /** Compare gradients too (default true). */
  grad?: boolean;
  tol?: Partial<Tolerance>;
  gradTol?: Partial<Tolerance>;
}

/** f32 kernels against a float64 reference: a few units in the last place, more after long sums. */
export const DEFAULT_TOL: Tolerance = { atol: 2e-6, rtol: 2e-5 };
export const GRAD_TOL: Tolerance = { atol: 1e-5, rtol: 1e-4 };

const F32_MIN = -3.4028234663852886e38;
const INF = Number.POSITIVE_INFINITY;

const rnd = (shape: number[], seed: number, low = -2, high = 2): HostInput => ({ shape, seed, low, high });
const pos = (shape: number[], seed: number, low = 0.2, high = 3): HostInput => ({ shape, seed, low, high });
const ints = (shape: number[], values: number[]): HostInput => ({ shape, dtype: 'i32', values, grad: false });
const bools = (shape: number[], values: number[]): HostInput => ({
  shape,
  dtype: 'bool',
  values,
  grad: false,
});
const fixed = (shape: number[], values: number[], grad = true): HostInput => ({ shape, values, grad });

const UNARY_DOMAINS: [string, (x: Tensor) => Tensor, boolean][] = [
  ['neg', (x) => x.neg(), false],
  ['abs', (x) => x.abs(), false],
  ['sign', (x) => x.sign(), false],
  ['exp', (x) => x.exp(), false],
  ['log', (x) => x.log(), true],
  ['log1p', (x) => x.log1p(), true],
  ['expm1', (x) => x.expm1(), false],
  ['sqrt', (x) => x.sqrt(), true],
  ['rsqrt', (x) => x.rsqrt(), true],
  ['tanh', (x) => x.tanh(), false],
  ['sigmoid', (x) => x.sigmoid(), false],
  ['logSigmoid', (x) => x.logSigmoid(), false],
  ['softplus', (x) => x.softplus(), false],
  ['relu', (x) => x.relu(), false],
  ['gelu', (x) => x.gelu(), false],
  ['geluTanh', (x) => x.gelu('tanh'), false],
  ['silu', (x) => x.silu(), false],
  ['sin', (x) => x.sin(), false],
  ['cos', (x) => x.cos(), false],
  ['erf', (x) => x.erf(), false],
  ['floor', (x) => x.floor(), false],
  ['ceil', (x) => x.ceil(), false],
  ['round', (x) => x.round(), false],
];

const unaryCases: ConformanceCase[] = UNARY_DOMAINS.map(([name, fn, positive], i) => ({
  name: `${name} of a transposed view`,
  inputs: [positive ? pos([3, 5], 10 + i) : rnd([3, 5], 10 + i, -3, 3)],
  run: (x) => fn(x.transpose()),
}));

/** Large, tiny, signed-zero and non-finite inputs for every unary op, forward only. */
const EXTREMES = [
  0,
  -0,
  1e-7,
  -1e-7,
  0.5,
  -0.5,
  2.5,
  -2.5,
  30,
  -30,
  90,
  -90,
  1e30,
  -1e30,
  INF,
  -INF,
  Number.NaN,
];
const extremeCases: ConformanceCase[] = UNARY_DOMAINS.map(([name, fn]) => ({
  name: `${name} of extreme values`,
  inputs: [fixed([EXTREMES.length], EXTREMES, false)],
  run: fn,
  grad: false,
  // sin and cos of 1e30 depend on each library's range reduction, so only finiteness is compared
  tol: name === 'sin' || name === 'cos' ? { atol: 2, rtol: 0 } : { atol: 2e-6, rtol: 4e-5 },
}));

const binaryCases: ConformanceCase[] = [
  { name: 'add broadcast row', inputs: [rnd([4, 3], 1), rnd([3], 2)], run: (a, b) => a.add(b) },
  { name: 'sub broadcast column', inputs: [rnd([4, 3], 3), rnd([4, 1], 4)], run: (a, b) => a.sub(b) },
  { name: 'mul of two views', inputs: [rnd([3, 4], 5), rnd([4, 3], 6)], run: (a, b) => a.mul(b.transpose()) },
  { name: 'div by positive', inputs: [rnd([2, 3, 2], 7), pos([2, 1, 2], 8)], run: (a, b) => a.div(b) },
  { name: 'pow positive base', inputs: [pos([6], 9), rnd([6], 10, -2, 2)], run: (a, b) => a.pow(b) },
  {
    name: 'pow integer exponents',
    inputs: [fixed([6], [-2, -1.5, 0, 0.5, 3, -3], false), fixed([6], [3, 2, 2, -1, 0.5, -2], false)],
    run: (a, b) => a.pow(b),
    grad: false,
  },
  { name: 'maximum with scalar', inputs: [rnd([5], 11)], run: (a) => a.maximum(0.1) },
  { name: 'minimum two tensors', inputs: [rnd([5], 12), rnd([5], 13)], run: (a, b) => a.minimum(b) },
  {
    name: 'nan propagates through arithmetic',
    inputs: [fixed([4], [Number.NaN, 1, INF, -INF], false), fixed([4], [1, Number.NaN, INF, INF], false)],
    run: (a, b) => [a.add(b), a.mul(b), a.div(b), a.maximum(b), a.minimum(b)],
    grad: false,
  },
  {
    name: 'i32 arithmetic wraps',
    inputs: [ints([4], [2147483647, -5, 7, -2147483648]), ints([4], [1, 3, -2, -1])],
    run: (a, b) => [a.add(b), a.sub(b), a.mul(b), a.maximum(b), a.minimum(b)],
  },
  {
    name: 'i32 div promotes to f32',
    inputs: [ints([3], [7, -7, 1]), ints([3], [2, 2, 3])],
    run: (a, b) => a.div(b),
  },
];

const COMPARISONS: [string, (a: Tensor, b: Tensor) => Tensor][] = [
  ['eq', (a, b) => a.eq(b)],
  ['ne', (a, b) => a.ne(b)],
  ['lt', (a, b) => a.lt(b)],
  ['le', (a, b) => a.le(b)],
  ['gt', (a, b) => a.gt(b)],
  ['ge', (a, b) => a.ge(b)],
  ['logicalAnd', (a, b) => a.logicalAnd(b)],
  ['logicalOr', (a, b) => a.logicalOr(b)],
  ['logicalXor', (a, b) => a.logicalXor(b)],
];
const CMP_A = [1, 2, Number.NaN, 0, -0, INF, 3, -1];
const CMP_B = [1, 3, Number.NaN, -0, 0, INF, 2, Number.NaN];
const compareCases: ConformanceCase[] = [
  ...COMPARISONS.map(([name, fn]) => ({
    name: `${name} f32 with nan and zeros`,
    inputs: [fixed([8], CMP_A, false), fixed([8], CMP_B, false)],
    run: fn,
    grad: false,
  })),
  ...COMPARISONS.map(([name, fn]) => ({
    name: `${name} i32 broadcast`,
    inputs: [ints([2, 3], [0, 1, 2, 3, -4, 5]), ints([3], [1, 0, 2])],
    run: fn,
  })),
  {
    name: 'logicalNot and isFinite',
    inputs: [fixed([6], [0, 1, Number.NaN, INF, -INF, -0], false)],
    run: (a) => [a.logicalNot(), a.isFinite()],
    grad: false,
  },
  {
    name: 'where broadcast condition',
    inputs: [bools([3, 1], [1, 0, 1]), rnd([3, 4], 14), rnd([4], 15)],
    run: (c, a, b) => a.where(c, b),
  },
  {
    name: 'clamp f32 and nan',
    inputs: [fixed([6], [-3, -0.5, 0, 0.7, 9, Number.NaN], false)],
    run: (a) => [a.clamp(-1, 1), a.clamp(null, 0.5), a.clamp(0, null)],
    grad: false,
  },
  { name: 'clamp gradient inside range', inputs: [rnd([7], 16)], run: (a) => a.clamp(-0.5, 0.5) },
  {
    name: 'clamp i32 with fractional bounds',
    inputs: [ints([5], [-3, -1, 0, 2, 9])],
    run: (a) => a.clamp(-1.5, 2.5),
  },
  {
    name: 'cast between all dtypes',
    inputs: [fixed([7], [-2.7, -0.5, 0, 0.5, 2.7, 3e9, Number.NaN], false)],
    run: (a) => [
      a.cast('i32'),
      a.cast('bool'),
      a.cast('i32').cast('f32'),
      a.cast('bool').cast('i32'),
      a.cast('bool').cast('f32'),
    ],
    grad: false,
  },
];

const reduceCases: ConformanceCase[] = [
  {
    name: 'sum over all and axes',
    inputs: [rnd([3, 4, 5], 20)],
    run: (x) => [x.sum(), x.sum(1), x.sum([0, 2], true)],
  },
  { name: 'sum of a permuted view', inputs: [rnd([4, 6], 21)], run: (x) => x.transpose().sum(1) },
  { name: 'mean var std', inputs: [rnd([5, 7], 22)], run: (x) => [x.mean(0), x.var(1), x.std()] },
  { name: 'prod rows', inputs: [rnd([3, 6], 23, 0.5, 1.5)], run: (x) => x.prod(1) },
  { name: 'prod with a zero', inputs: [fixed([2, 3], [1, 0, 3, 2, 2, 2])], run: (x) => x.prod(1) },
  { name: 'max min rows', inputs: [rnd([4, 9], 24)], run: (x) => [x.max(1), x.min(0)] },
  {
    name: 'max min with nan',
    inputs: [fixed([2, 3], [1, Number.NaN, 3, -INF, -INF, -INF], false)],
    run: (x) => [x.max(1), x.min(1)],
    grad: false,
  },
  {
    name: 'logsumexp large and masked',
    inputs: [fixed([3, 3], [1000, 999, 998, -INF, -INF, -INF, 1, 2, 3], false)],
    run: (x) => x.logsumexp(1),
    grad: false,
  },
  { name: 'logsumexp gradient', inputs: [rnd([3, 5], 25)], run: (x) => x.logsumexp(-1) },
  {
    name: 'sum long row splits workgroups',
    inputs: [rnd([2, 1500], 26)],
    run: (x) => [x.sum(1), x.max(1), x.logsumexp(1)],
    tol: { atol: 1e-4, rtol: 1e-5 },
  },
  { name: 'sum many short rows', inputs: [rnd([130, 3], 27)], run: (x) => [x.sum(1), x.argmax(1)] },
  {
    name: 'sum of i32 and bool',
    inputs: [ints([2, 3], [1, 2, 3, 4, 5, 6]), bools([2, 3], [1, 0, 1, 1, 1, 0])],
    run: (a, b) => [a.sum(1), b.sum(0), a.max(), b.prod(1)],
  },
  {
    name: 'argmax argmin with ties',
    inputs: [fixed([2, 4], [1, 3, 3, 2, 5, 5, 5, 5], false)],
    run: (x) => [x.argmax(1), x.argmin(1), x.argmax()],
    grad: false,
  },
  {
    name: 'argmax with nan',
    inputs: [fixed([5], [1, Number.NaN, 9, Number.NaN, 2], false)],
    run: (x) => [x.argmax(), x.argmin()],
    grad: false,
  },
];

const movementCases: ConformanceCase[] = [
  {
    name: 'contiguous of a permute',
    inputs: [rnd([2, 3, 4], 30)],
    run: (x) => x.permute([2, 0, 1]).contiguous(),
  },
  {
    name: 'slice with steps and its gradient',
    inputs: [rnd([5, 6], 31)],
    run: (x) => x.slice([1, 0], [5, 6], [2, 3]).mul(2),
  },
  {
    name: 'reshape of a transposed view',
    inputs: [rnd([3, 4], 32)],
    run: (x) => x.transpose().reshape([2, 6]),
  },
  {
    name: 'concat three along axis 1',
    inputs: [rnd([2, 2], 33), rnd([2, 3], 34), rnd([2, 1], 35)],
    run: (a, b, c) => T.concat([a, b, c], 1),
  },
  {
    name: 'stack and split',
    inputs: [rnd([3, 2], 36), rnd([3, 2], 37)],
    run: (a, b) =>
      T.stack([a, b], 1)
        .split([1, 2], 0)
        .map((t) => t.mul(3)),
  },
  {
    name: 'pad with value',
    inputs: [rnd([2, 3], 38)],
    run: (x) =>
      x.pad(
        [
          [1, 0],
          [2, 1],
        ],
        0.5,
      ),
  },
  {
    name: 'pad i32 and bool',
    inputs: [ints([2], [4, 5]), bools([2], [1, 0])],
    run: (a, b) => [a.pad([[1, 1]], -7), b.pad([[0, 2]], 1)],
  },
  {
    name: 'gather along axis 1',
    inputs: [rnd([3, 4], 39), ints([3, 2], [0, 3, 1, 1, 2, 0])],
    run: (x, i) => x.gather(1, i),
  },
  {
    name: 'indexSelect rows with repeats',
    inputs: [rnd([4, 3], 40), ints([5], [3, 0, 3, 1, 1])],
    run: (x, i) => x.indexSelect(0, i),
  },
  {
    name: 'indexAdd duplicates add up',
    inputs: [rnd([4, 2], 41), ints([3], [1, 1, 3]), rnd([3, 2], 42)],
    run: (x, i, s) => T.indexAdd(x, 0, i, s),
  },
  {
    name: 'scatterAdd with larger source',
    inputs: [rnd([3, 3], 43), ints([2, 2], [0, 2, 2, 2]), rnd([2, 3], 44)],
    run: (x, i, s) => x.scatterAdd(1, i, s),
  },
  {
    name: 'oneHot of i32',
    inputs: [ints([2, 2], [0, 3, 2, 1])],
    run: (i) => [T.oneHot(i, 4), T.oneHot(i, 4, 'i32')],
  },
  {
    name: 'tril and triu with offsets',
    inputs: [rnd([2, 3, 4], 45)],
    run: (x) => [x.tril(), x.triu(1), x.tril(-1)],
  },
  { name: 'expand then sum back', inputs: [rnd([3, 1], 46)], run: (x) => x.broadcastTo([2, 3, 4]).mul(x) },
];

const linalgCases: ConformanceCase[] = [
  { name: 'matmul 2d odd sizes', inputs: [rnd([5, 7], 50), rnd([7, 3], 51)], run: (a, b) => a.matmul(b) },
  {
    name: 'matmul aligned vec4 path',
    inputs: [rnd([8, 12], 52), rnd([12, 16], 53)],
    run: (a, b) => a.matmul(b),
  },
  {
    name: 'matmul transposed right operand',
    inputs: [rnd([6, 8], 54), rnd([12, 8], 55)],
    run: (a, b) => a.matmul(b.transpose()),
  },
  {
    name: 'matmul batched broadcast',
    inputs: [rnd([2, 1, 3, 4], 56), rnd([3, 4, 5], 57)],
    run: (a, b) => a.matmul(b),
  },
  {
    name: 'matmul vector operands',
    inputs: [rnd([4], 58), rnd([4, 3], 59), rnd([3], 60)],
    run: (v, m, w) => [v.matmul(m), m.matmul(w)],
  },
  {
    name: 'matmul 40x36 by 36x33 tiles',
    inputs: [rnd([40, 36], 61), rnd([36, 33], 62)],
    run: (a, b) => a.matmul(b),
    tol: { atol: 1e-5, rtol: 1e-5 },
  },
  {
    name: 'matmul i32',
    inputs: [ints([2, 3], [1, 2, 3, 4, 5, 6]), ints([3, 2], [1, 0, -1, 2, 3, 1])],
    run: (a, b) => a.matmul(b),
  },
];

const fusedCases: ConformanceCase[] = [
  {
    name: 'softmax last and first axis',
    inputs: [rnd([3, 5], 70)],
    run: (x) => [x.softmax(-1), x.softmax(0)],
  },
  { name: 'logSoftmax of a view', inputs: [rnd([4, 6], 71)], run: (x) => x.transpose().logSoftmax(-1) },
  {
    name: 'softmax masked and extreme rows',
    inputs: [
      fixed(
        [5, 3],
        [-INF, -INF, -INF, F32_MIN, F32_MIN, -INF, -1000, -1000, -INF, F32_MIN, 0, -INF, 1000, 1000, 999],
        false,
      ),
    ],
    run: (x) => [x.softmax(-1), x.logSoftmax(-1)],
    grad: false,
  },
  { name: 'softmax long row', inputs: [rnd([2, 700], 72, -5, 5)], run: (x) => x.softmax(-1) },
  {
    name: 'crossEntropy mean with ignore',
    inputs: [rnd([4, 5], 73), ints([4], [1, -100, 4, 0])],
    run: (z, t) => T.crossEntropy(z, t),
  },
  {
    name: 'crossEntropy label smoothing none',
    inputs: [rnd([2, 3, 4], 74), ints([2, 3], [0, 1, 2, 3, 3, 0])],
    run: (z, t) => T.crossEntropy(z, t, { labelSmoothing: 0.1, reduction: 'none' }),
  },
  {
    name: 'layerNorm with affine',
    inputs: [rnd([3, 8], 75), rnd([8], 76), rnd([8], 77)],
    run: (x, w, b) => T.layerNorm(x, w, b),
  },
  {
    name: 'rmsNorm of a view',
    inputs: [rnd([6, 4], 78), rnd([6], 79)],
    run: (x, w) => T.rmsNorm(x.transpose(), w),
  },
  {
    name: 'attention causal',
    inputs: [rnd([1, 2, 4, 8], 80), rnd([1, 2, 4, 8], 81), rnd([1, 2, 4, 8], 82)],
    run: (q, k, v) => T.attention(q, k, v, { causal: true }),
  },
  {
    name: 'attention grouped heads and mask',
    inputs: [
      rnd([2, 4, 3, 4], 83),
      rnd([2, 2, 5, 4], 84),
      rnd([2, 2, 5, 6], 85),
      bools([3, 5], [1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1]),
    ],
    run: (q, k, v, m) => T.attention(q, k, v, { mask: m, scale: 0.7 }),
  },
  {
    name: 'attention permuted inputs',
    inputs: [rnd([1, 3, 2, 4], 86), rnd([1, 5, 2, 4], 87), rnd([1, 5, 2, 4], 88)],
    run: (q, k, v) =>
      T.attention(q.permute([0, 2, 1, 3]), k.permute([0, 2, 1, 3]), v.permute([0, 2, 1, 3]), {
        causal: true,
      }),
  },
  {
    name: 'attention more keys than workgroup memory',
    inputs: [rnd([1, 1, 2, 4], 89), rnd([1, 1, 2100, 4], 90), rnd([1, 1, 2100, 4], 91)],
    run: (q, k, v) => T.attention(q, k, v, { causal: true }),
    tol: { atol: 1e-5, rtol: 1e-4 },
  },
];

const orderCases: ConformanceCase[] = [
  {
    name: 'argsort stable with nan both ways',
    inputs: [fixed([2, 6], [3, 1, Number.NaN, 1, -0, 0, 2, 2, -INF, INF, 2, Number.NaN], false)],
    run: (x) => [x.argsort(-1), x.argsort(-1, true)],
    grad: false,
  },
  { name: 'sort along axis 0', inputs: [rnd([5, 3], 100)], run: (x) => x.sort(0).values },
  { name: 'topk largest', inputs: [rnd([2, 9], 101)], run: (x) => x.topk(3).values },
  {
    name: 'argsort i32 and bool',
    inputs: [ints([6], [5, -1, 5, 0, -7, 2]), bools([5], [1, 0, 1, 0, 0])],
    run: (a, b) => [a.argsort(), b.argsort(0, true)],
  },
  {
    name: 'argsort long row bitonic network',
    inputs: [rnd([2, 1300], 102)],
    run: (x) => x.argsort(-1),
    grad: false,
  },
  {
    name: 'cumsum forward reverse exclusive',
    inputs: [rnd([3, 5], 103)],
    run: (x) => [x.cumsum(1), x.cumsum(0, { reverse: true }), x.cumsum(1, { exclusive: true })],
  },
  {
    name: 'cumprod with zeros and its gradient',
    inputs: [fixed([2, 4], [2, 0, 3, 0.5, 1.5, -1, 0, 2])],
    run: (x) => [x.cumprod(1), x.cumprod(1, { reverse: true, exclusive: true })],
  },
  {
    name: 'cumsum of bool and i32',
    inputs: [bools([5], [1, 1, 0, 1, 0]), ints([4], [3, -1, 4, 1])],
    run: (b, a) => [b.cumsum(0), a.cumprod(0)],
  },
  {
    name: 'quantile interpolates',
    inputs: [rnd([11], 104)],
    run: (x) => T.quantile(x, [0.1, 0.5, 0.9]),
    grad: false,
  },
];

const creationCases: ConformanceCase[] = [
  {
    name: 'full of each dtype',
    inputs: [],
    run: () => [
      T.full([2, 3], 2.5),
      T.full([3], -2.7, { dtype: 'i32' }),
      T.full([2], 0.25, { dtype: 'bool' }),
      T.zeros([0, 4]),
    ],
  },
  {
    name: 'rand equals the cpu bit for bit',
    inputs: [],
    run: () => [T.rand([3, 7], { seed: 7 }), T.rand([5], { seed: 2 ** 31 + 5 })],
    grad: false,
    tol: { atol: 0, rtol: 0 },
  },
  {
    name: 'randn from shared uniforms',
    inputs: [],
    run: () => T.randn([4, 4], { seed: 3 }),
    grad: false,
    tol: { atol: 1e-5, rtol: 1e-5 },
  },
  {
    name: 'empty tensors pass through',
    inputs: [fixed([0, 3], [])],
    run: (x) => [x.exp(), x.sum(0), x.add(1).reshape([3, 0])],
    grad: false,
  },
  {
    name: 'size-1 tensors and scalars',
    inputs: [rnd([1, 1], 110), rnd([], 111)],
    run: (a, s) => [a.mul(s), a.softmax(-1), a.sum(), s.exp()],
  },
];

/** Every case, grouped as the tables above. */
export const CASES: ConformanceCase[] = [
  ...unaryCases,
  ...extremeCases,
  ...binaryCases,
  ...compareCases,
  ...reduceCases,
  ...movementCases,
  ...linalgCases,
  ...fusedCases,
  ...orderCases,
  ...creationCases,
];

function hostValues(input: HostInput): number[] {
  const size = input.shape.reduce((p, q) => p * q, 1);
  if (input.values) return input.values;
  return randomValues(size, input.seed ?? 1, input.low ?? -1, input.high ?? 1);
}

export interface CaseResult {
  outputs: number[][];
  grads: (number[] | null)[];
}

function isFloatDtype(dtype: DType | undefined): boolean {
  return dtype === undefined || dtype === 'f32' || dtype === 'f64';
}

/** Runs a case on one backend, made current so that creation ops inside `run` use it. */
export async function runCase(c: ConformanceCase, backend: string): Promise<CaseResult> {
  const previous = T.currentBackendName();
  T.useBackend(backend);
  try {
    return await scopeAsync(async () => {
      const leaves = c.inputs.map((input) =>
        fromArray(hostValues(input), input.shape, { dtype: input.dtype ?? 'f32', backend }),
      );
      const graded = c.inputs.map(
        (input, i) => c.grad !== false && isFloatDtype(input.dtype) && input.grad !== false && leaves[i],
      );
      for (const leaf of graded) if (leaf) leaf.setRequiresGrad();
      const result = c.run(...leaves);
      const outs = Array.isArray(result) ? result : [result];
      const outputs = await Promise.all(outs.map(async (t) => Array.from(await t.data())));
      const grads: (number[] | null)[] = [];
      const floatOuts = outs.filter((t) => t.requiresGrad && t.dtype === 'f32');
      if (graded.some(Boolean) && floatOuts.length > 0) {
        let loss: Tensor | null = null;
        floatOuts.forEach((t, i) => {
          const weights = fromArray(randomValues(t.size, 1000 + i, -1, 1), t.shape, { backend });
          const term = t.mul(weights).sum();
          loss = loss === null ? term : loss.add(term);
        });
        (loss as unknown as Tensor).backward();
        for (const leaf of graded)
          grads.push(leaf && leaf.grad !== null ? Array.from(await leaf.grad.data()) : null);
      }
      return { outputs, grads };
    });
  } finally {
    T.useBackend(previous);
  }
}

/** Element-wise comparison: NaN only matches NaN, an infinity only the same infinity. */
export function expectClose(
  actual: readonly number[],
  expected: readonly number[],
  tol: Tolerance,
  label: string,
): void {
  expect(actual.length, `${label}: element count`).toBe(expected.length);
  const bad: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const [a, e] = [actual[i], expected[i]];
    const ok = Number.isNaN(e)
      ? Number.isNaN(a)
      : Number.isFinite(e)
        ? Math.abs(a - e) <= tol.atol + tol.rtol * Math.abs(e)
        : a === e;
    if (!ok) bad.push(`[${i}] got ${a}, expected ${e}`);
  }
  expect(
    bad.slice(0, 6),
    `${label}: ${bad.length} of ${expected.length} outside atol ${tol.atol}, rtol ${tol.rtol}`,
  ).toEqual([]);
}

/** Runs `c` on `backend` and on the cpu reference and compares outputs and gradients. */
export async function expectConformance(c: ConformanceCase, backend: string): Promise<void> {
  const reference = await runCase(c, 'cpu');
  const actual = await runCase(c, backend);
  const tol = { ...DEFAULT_TOL, ...c.tol };
  const gradTol = { ...GRAD_TOL, ...c.gradTol };
  expect(actual.outputs.length, 'output count').toBe(reference.outputs.length);
  reference.outputs.forEach((expected, i) => {
    expectClose(actual.outputs[i], expected, tol, `output ${i}`);
  });
  expect(actual.grads.length, 'gradient count').toBe(reference.grads.length);
  reference.grads.forEach((expected, i) => {
    if (expected === null) expect(actual.grads[i], `gradient ${i}`).toBeNull();
    else expectClose(actual.grads[i] ?? [], expected, gradTol, `gradient of input ${i}`);
  });
}
