import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { scope, type Tensor, tensor } from '../src/index.js';
import {
  checkNoLeaks,
  erfReference,
  expectAllClose,
  expectGradcheck,
  expectSecondOrder,
  randomTensor,
  randomValues,
  valuesOf,
} from './helpers.js';

checkNoLeaks();

const f64 = (values: T.NestedArray) => tensor(values, { dtype: 'f64' });
const GELU_C = Math.sqrt(2 / Math.PI);

interface UnaryCase {
  name: string;
  run: (x: Tensor) => Tensor;
  reference: (x: number) => number;
  /** Inputs kept inside the domain and away from kinks. */
  domain: [number, number];
  differentiable: boolean;
}

// References written from the textbook formulas, not from the kernels.
const UNARY: UnaryCase[] = [
  { name: 'neg', run: T.neg, reference: (x) => -x, domain: [-3, 3], differentiable: true },
  { name: 'abs', run: T.abs, reference: (x) => (x < 0 ? -x : x), domain: [-3, 3], differentiable: true },
  {
    name: 'sign',
    run: T.sign,
    reference: (x) => Number(x > 0) - Number(x < 0),
    domain: [-3, 3],
    differentiable: true,
  },
  { name: 'exp', run: T.exp, reference: Math.exp, domain: [-3, 3], differentiable: true },
  { name: 'log', run: T.log, reference: Math.log, domain: [0.2, 4], differentiable: true },
  { name: 'log1p', run: T.log1p, reference: (x) => Math.log(1 + x), domain: [-0.6, 3], differentiable: true },
  { name: 'expm1', run: T.expm1, reference: (x) => Math.exp(x) - 1, domain: [-2, 2], differentiable: true },
  { name: 'sqrt', run: T.sqrt, reference: (x) => x ** 0.5, domain: [0.2, 4], differentiable: true },
  { name: 'rsqrt', run: T.rsqrt, reference: (x) => x ** -0.5, domain: [0.2, 4], differentiable: true },
  {
    name: 'tanh',
    run: T.tanh,
    reference: (x) => (Math.exp(2 * x) - 1) / (Math.exp(2 * x) + 1),
    domain: [-3, 3],
    differentiable: true,
  },
  {
    name: 'sigmoid',
    run: T.sigmoid,
    reference: (x) => 1 / (1 + Math.exp(-x)),
    domain: [-4, 4],
    differentiable: true,
  },
  {
    name: 'logSigmoid',
    run: T.logSigmoid,
    reference: (x) => -Math.log(1 + Math.exp(-x)),
    domain: [-4, 4],
    differentiable: true,
  },
  {
    name: 'softplus',
    run: T.softplus,
    reference: (x) => Math.log(1 + Math.exp(x)),
    domain: [-4, 4],
    differentiable: true,
  },
  { name: 'relu', run: T.relu, reference: (x) => Math.max(x, 0), domain: [-3, 3], differentiable: true },
  {
    name: 'gelu',
    run: (x) => T.gelu(x),
    reference: (x) => 0.5 * x * (1 + erfReference(x / Math.SQRT2)),
    domain: [-3, 3],
    differentiable: true,
  },
  {
    name: 'gelu tanh',
    run: (x) => T.gelu(x, 'tanh'),
    reference: (x) => 0.5 * x * (1 + Math.tanh(GELU_C * (x + 0.044715 * x ** 3))),
    domain: [-3, 3],
    differentiable: true,
  },
  {
    name: 'silu',
    run: T.silu,
    reference: (x) => x / (1 + Math.exp(-x)),
    domain: [-4, 4],
    differentiable: true,
  },
  { name: 'sin', run: T.sin, reference: Math.sin, domain: [-3, 3], differentiable: true },
  { name: 'cos', run: T.cos, reference: Math.cos, domain: [-3, 3], differentiable: true },
  { name: 'erf', run: T.erf, reference: erfReference, domain: [-3.5, 3.5], differentiable: true },
  { name: 'square', run: T.square, reference: (x) => x * x, domain: [-3, 3], differentiable: true },
  { name: 'reciprocal', run: T.reciprocal, reference: (x) => 1 / x, domain: [0.3, 3], differentiable: true },
  { name: 'floor', run: T.floor, reference: Math.floor, domain: [-3, 3], differentiable: false },
  { name: 'ceil', run: T.ceil, reference: Math.ceil, domain: [-3, 3], differentiable: false },
];

/** Draws `count` values over the domain, nudged off the kinks at 0 and at integers. */
function sampleDomain([low, high]: [number, number], seed: number, count = 6): number[] {
  return randomValues(count, seed, low, high).map((v) => (Math.abs(v - Math.round(v)) < 0.05 ? v + 0.1 : v));
}

describe('unary ops forward', () => {
  it.each(UNARY)('$name matches f64 reference', ({ run, reference, domain }) => {
    scope(() => {
      const xs = sampleDomain(domain, 11, 12);
      expectAllClose(run(f64(xs)), xs.map(reference), { atol: 1e-12, rtol: 1e-11 });
    });
  });

  it.each(UNARY)('$name rounds once to f32', ({ run, reference, domain }) => {
    scope(() => {
      const xs = sampleDomain(domain, 12, 12).map(Math.fround);
      const y = run(tensor(xs));
      expect(y.dtype).toBe('f32');
      expectAllClose(
        y,
        xs.map((x) => Math.fround(reference(x))),
        { atol: 1e-7, rtol: 1.2e-7 },
      );
    });
  });

  it.each(UNARY)('$name propagates NaN', ({ name, run }) => {
    scope(() => {
      const y = valuesOf(run(f64([Number.NaN])))[0];
      expect(Number.isNaN(y), `${name}(NaN) = ${y}`).toBe(true);
    });
  });

  it.each(UNARY)('$name keeps an empty shape', ({ run }) => {
    scope(() => {
      const y = run(T.zeros([0, 3], { dtype: 'f64' }));
      expect(y.shape).toEqual([0, 3]);
      expect(y.size).toBe(0);
    });
  });
});

describe('unary ops backward', () => {
  const differentiable = UNARY.filter((c) => c.differentiable);

  it.each(differentiable)('$name gradient matches finite differences', ({ run, domain }) => {
    scope(() => {
      const x = f64(sampleDomain(domain, 21, 5));
      expectGradcheck((t) => run(t), [x]);
    });
  });

  it.each(differentiable)('$name second derivative matches finite differences', ({ run, domain }) => {
    scope(() => {
      const x = f64(sampleDomain(domain, 22, 4));
      expectSecondOrder((t) => T.sum(run(t)), [x]);
    });
  });

  it('rounding ops have zero gradient', () => {
    scope(() => {
      const x = f64([-1.3, 0.4, 2.6]).setRequiresGrad();
      T.add(T.add(T.floor(x), T.ceil(x)), T.round(x))
        .sum()
        .backward();
      expectAllClose(x.grad!, [0, 0, 0], { atol: 0 });
    });
  });
});

describe('unary ops special values', () => {
  it('round halves to even', () => {
    scope(() => {
      const y = T.round(f64([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6, 3]));
      expectAllClose(y, [0, 2, 2, -0, -2, -2, 2, -3, 3], { atol: 0 });
    });
  });

  it('saturating ops stay finite at 1000', () => {
    scope(() => {
      const x = f64([-1000, 1000]);
      expectAllClose(T.sigmoid(x), [0, 1], { atol: 0 });
      expectAllClose(T.tanh(x), [-1, 1], { atol: 0 });
      expectAllClose(T.softplus(x), [0, 1000], { atol: 0 });
      expectAllClose(T.logSigmoid(x), [-1000, 0], { atol: 0 });
      expectAllClose(T.silu(x), [0, 1000], { atol: 0 });
      expectAllClose(T.gelu(x), [0, 1000], { atol: 0 });
      expectAllClose(T.gelu(x, 'tanh'), [0, 1000], { atol: 0 });
      expectAllClose(T.erf(f64([-10, 10])), [-1, 1], { atol: 0 });
      expectAllClose(T.exp(x), [0, Number.POSITIVE_INFINITY], { atol: 0 });
    });
  });

  it('saturating ops have finite gradients at 1000', () => {
    const ops: [string, (x: Tensor) => Tensor][] = [
      ['sigmoid', T.sigmoid],
      ['tanh', T.tanh],
      ['softplus', T.softplus],
      ['logSigmoid', T.logSigmoid],
      ['silu', T.silu],
      ['gelu', (x) => T.gelu(x)],
      ['gelu tanh', (x) => T.gelu(x, 'tanh')],
      ['erf', T.erf],
    ];
    for (const [name, op] of ops) {
      scope(() => {
        const x = f64([-1000, 1000]).setRequiresGrad();
        op(x).sum().backward();
        const g = valuesOf(x.grad!);
        expect(g.every(Number.isFinite), `${name} gradient ${g}`).toBe(true);
      });
    }
  });

  it('f32 exp overflows to infinity on store', () => {
    scope(() => {
      expectAllClose(T.exp(tensor([100])), [Number.POSITIVE_INFINITY]);
    });
  });
});

describe('logSigmoid and softplus stability', () => {
  it('minus logSigmoid equals softplus of minus x', () => {
    scope(() => {
      const xs = [-1000, -50, -3, -0.5, 0, 0.5, 3, 50, 1000];
      const lhs = T.neg(T.logSigmoid(f64(xs)));
      const rhs = T.softplus(T.neg(f64(xs)));
      expectAllClose(lhs, valuesOf(rhs), { atol: 0, rtol: 1e-15 });
    });
  });

  it('softplus at 1000 has slope one', () => {
    scope(() => {
      // loss = -logSigmoid(x) = softplus(-x) at x = -1000: value 1000, d/dx = -sigmoid(-x) = -1
      const x = f64([-1000]).setRequiresGrad();
      const loss = T.neg(T.logSigmoid(x)).sum();
      expect(valuesOf(loss)).toEqual([1000]);
      loss.backward();
      expect(valuesOf(x.grad!)).toEqual([-1]);
    });
  });

  it('f32 softplus of 100 is 100', () => {
    scope(() => {
      expect(valuesOf(T.softplus(tensor([100])))).toEqual([100]);
      expect(valuesOf(T.neg(T.logSigmoid(tensor([-100]))))).toEqual([100]);
    });
  });

  it('logSigmoid limits are exact zeros', () => {
    scope(() => {
      const [high, low] = valuesOf(T.logSigmoid(f64([1000, -1000])));
      expect(high).toBe(0);
      expect(low).toBe(-1000);
    });
  });
});

interface BinaryCase {
  name: string;
  run: (a: Tensor, b: Tensor) => Tensor;
  reference: (a: number, b: number) => number;
  aDomain: [number, number];
  bDomain: [number, number];
}

const BINARY: BinaryCase[] = [
  { name: 'add', run: T.add, reference: (a, b) => a + b, aDomain: [-2, 2], bDomain: [-2, 2] },
  { name: 'sub', run: T.sub, reference: (a, b) => a - b, aDomain: [-2, 2], bDomain: [-2, 2] },
  { name: 'mul', run: T.mul, reference: (a, b) => a * b, aDomain: [-2, 2], bDomain: [-2, 2] },
  { name: 'div', run: T.div, reference: (a, b) => a / b, aDomain: [-2, 2], bDomain: [0.5, 2] },
  {
    name: 'pow',
    run: T.pow,
    reference: (a, b) => Math.exp(b * Math.log(a)),
    aDomain: [0.3, 2],
    bDomain: [-1.5, 1.5],
  },
  {
    name: 'maximum',
    run: T.maximum,
    reference: (a, b) => Math.max(a, b),
    aDomain: [-2, 2],
    bDomain: [-2, 2],
  },
  {
    name: 'minimum',
    run: T.minimum,
    reference: (a, b) => Math.min(a, b),
    aDomain: [-2, 2],
    bDomain: [-2, 2],
  },
];

describe('binary ops', () => {
  it.each(BINARY)('$name broadcasts (2, 1) with (1, 3)', ({ run, reference, aDomain, bDomain }) => {
    scope(() => {
      const a = randomValues(2, 31, ...aDomain);
      const b = randomValues(3, 32, ...bDomain);
      const y = run(f64([[a[0]], [a[1]]]), f64([b]));
      expect(y.shape).toEqual([2, 3]);
      expectAllClose(
        y,
        [0, 1].flatMap((i) => b.map((bj) => reference(a[i], bj))),
        { atol: 1e-13, rtol: 1e-12 },
      );
    });
  });

  it.each(BINARY)('$name gradient matches finite differences', ({ run, aDomain, bDomain }) => {
    scope(() => {
      // (2, 3) against (3): the gradient of b sums over the broadcast axis
      const a = randomTensor([2, 3], 33, ...aDomain);
      const b = randomTensor([3], 34, ...bDomain);
      expectGradcheck(run, [a, b]);
    });
  });

  it.each(BINARY)('$name second derivative matches finite differences', ({ run, aDomain, bDomain }) => {
    scope(() => {
      const a = randomTensor([2, 2], 35, ...aDomain);
      const b = randomTensor([2], 36, ...bDomain);
      expectSecondOrder((x, y) => T.sum(T.mul(run(x, y), run(x, y))), [a, b]);
    });
  });

  it.each(BINARY)('$name propagates NaN', ({ run }) => {
    scope(() => {
      const y = valuesOf(run(f64([Number.NaN, 1]), f64([1, Number.NaN])));
      expect(y.every(Number.isNaN), `got ${y}`).toBe(true);
    });
  });

  it('empty broadcast keeps the zero axis', () => {
    scope(() => {
      const y = T.add(T.zeros([0, 3]), T.ones([1, 3]));
      expect(y.shape).toEqual([0, 3]);
    });
  });

  it('scalar operands take the tensor dtype', () => {
    scope(() => {
      const ints = tensor([1, 2, 3], { dtype: 'i32' });
      expect(T.add(ints, 2).dtype).toBe('i32');
      expect(T.add(ints, 0.5).dtype).toBe('f32');
      expectAllClose(T.sub(10, ints), [9, 8, 7], { atol: 0 });
      expectAllClose(T.div(ints, 2), [0.5, 1, 1.5], { atol: 0 });
      expect(T.mul(f64([1]), 3).dtype).toBe('f64');
    });
  });

  it('i32 arithmetic wraps modulo 2^32', () => {
    scope(() => {
      // 46341^2 = 2147488281 = 2^31 + 4633, which wraps to 2147488281 - 2^32 = -2147479015
      const big = tensor([46341, 2147483647], { dtype: 'i32' });
      expectAllClose(T.mul(big, tensor([46341, 1], { dtype: 'i32' })), [-2147479015, 2147483647], {
        atol: 0,
      });
      expectAllClose(T.add(big, 1), [46342, -2147483648], { atol: 0 });
    });
  });

  it('maximum and minimum split ties in half', () => {
    scope(() => {
      const a = f64([1, 2, 3]).setRequiresGrad();
      const b = f64([1, 5, 0]).setRequiresGrad();
      T.add(T.maximum(a, b), T.mul(T.minimum(a, b), 10))
        .sum()
        .backward();
      // tie at 0: max sends 1/2 to each side and min sends 10/2 to each side
      expectAllClose(a.grad!, [5.5, 10, 1], { atol: 0 });
      expectAllClose(b.grad!, [5.5, 1, 10], { atol: 0 });
    });
  });

  it('pow exponent gradient is zero at base zero', () => {
    scope(() => {
      const base = f64([0, 2]).setRequiresGrad();
      const exponent = f64([2, 3]).setRequiresGrad();
      T.pow(base, exponent).sum().backward();
      // d/db a^b = a^b log(a): 8 log 2 at a = 2, and 0 (not NaN) at a = 0
      expectAllClose(exponent.grad!, [0, 8 * Math.log(2)], { atol: 1e-14 });
      expectAllClose(base.grad!, [0, 12], { atol: 1e-14 });
    });
  });

  it('pow to the zero has zero base gradient', () => {
    scope(() => {
      // d/da a^0 = 0 everywhere, including a = 0 where b * a^(b - 1) would be 0 * inf
      const base = f64([0, 2]).setRequiresGrad();
      T.pow(base, f64([0, 0]))
        .sum()
        .backward();
      expectAllClose(base.grad!, [0, 0], { atol: 0 });
    });
  });
});

describe('clamp and where', () => {
  it('clamp limits both sides', () => {
    scope(() => {
      const x = f64([-2, -0.5, 0.25, 3, Number.NaN]);
      expectAllClose(T.clamp(x, -1, 1), [-1, -0.5, 0.25, 1, Number.NaN], { atol: 0 });
      expectAllClose(T.clamp(x, null, 0), [-2, -0.5, 0, 0, Number.NaN], { atol: 0 });
      expectAllClose(T.clamp(x, 0, null), [0, 0, 0.25, 3, Number.NaN], { atol: 0 });
    });
  });

  it('clamp gradient passes at the bounds', () => {
    scope(() => {
      const x = f64([-1, 0, 0.5, 1, 2]).setRequiresGrad();
      T.clamp(x, 0, 1).sum().backward();
      expectAllClose(x.grad!, [0, 1, 1, 1, 0], { atol: 0 });
    });
  });

  it('clamp gradient matches finite differences', () => {
    scope(() => {
      expectGradcheck((x) => T.clamp(x, -0.5, 0.5), [f64([-0.9, -0.3, 0.1, 0.45, 0.8])]);
    });
  });

  it('where broadcasts and routes gradients', () => {
    scope(() => {
      const condition = tensor([[true], [false]]); // (2, 1)
      const a = randomTensor([2, 3], 41);
      const b = randomTensor([3], 42);
      const y = T.where(condition, a, b);
      const [av, bv] = [valuesOf(a), valuesOf(b)];
      expectAllClose(y, [...av.slice(0, 3), ...bv], { atol: 0 });
      expectGradcheck((x, z) => T.where(condition, x, z), [a, b]);
    });
  });

  it('where accepts scalar branches', () => {
    scope(() => {
      const y = T.where(tensor([true, false, true]), 1, f64([5, 6, 7]));
      expect(y.dtype).toBe('f64');
      expectAllClose(y, [1, 6, 1], { atol: 0 });
    });
  });
});

describe('comparisons and logical ops', () => {
  const a = [1, 2, Number.NaN, 4];
  const b = [1, 3, Number.NaN, 0];
  const cases: [string, (x: Tensor, y: Tensor) => Tensor, number[]][] = [
    ['eq', T.eq, [1, 0, 0, 0]],
    ['ne', T.ne, [0, 1, 1, 1]],
    ['lt', T.lt, [0, 1, 0, 0]],
    ['le', T.le, [1, 1, 0, 0]],
    ['gt', T.gt, [0, 0, 0, 1]],
    ['ge', T.ge, [1, 0, 0, 1]],
  ];

  it.each(cases)('%s follows IEEE comparison', (_name, op, expected) => {
    scope(() => {
      const y = op(tensor(a), tensor(b));
      expect(y.dtype).toBe('bool');
      expect(valuesOf(y)).toEqual(expected);
    });
  });

  it('comparisons broadcast against a number', () => {
    scope(() => {
      const y = T.gt(
        tensor([
          [1, 5],
          [3, 2],
        ]),
        2,
      );
      expect(y.shape).toEqual([2, 2]);
      expect(valuesOf(y)).toEqual([0, 1, 1, 0]);
    });
  });

  it('logical ops follow truth tables', () => {
    scope(() => {
      const p = tensor([true, true, false, false]);
      const q = tensor([true, false, true, false]);
      expect(valuesOf(T.logicalAnd(p, q))).toEqual([1, 0, 0, 0]);
      expect(valuesOf(T.logicalOr(p, q))).toEqual([1, 1, 1, 0]);
      expect(valuesOf(T.logicalXor(p, q))).toEqual([0, 1, 1, 0]);
      expect(valuesOf(T.logicalNot(p))).toEqual([0, 0, 1, 1]);
    });
  });

  it('logical ops treat nonzero and NaN as true', () => {
    scope(() => {
      // as in PyTorch and NumPy, every value other than 0 (NaN included) is true
      const x = tensor([0, 2.5, -1, Number.NaN]);
      expect(valuesOf(T.logicalAnd(x, tensor([1, 1, 0, 1])))).toEqual([0, 1, 0, 1]);
      expect(valuesOf(T.logicalNot(x))).toEqual([1, 0, 0, 0]);
    });
  });

  it('isFinite flags NaN and infinities', () => {
    scope(() => {
      const y = T.isFinite(tensor([1, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, -0]));
      expect(valuesOf(y)).toEqual([1, 0, 0, 0, 1]);
    });
  });
});

describe('cast', () => {
  it('float to i32 truncates toward zero', () => {
    scope(() => {
      expect(valuesOf(T.cast(tensor([-1.7, -0.5, 0.5, 2.9]), 'i32'))).toEqual([-1, 0, 0, 2]);
    });
  });

  it('to bool is true for nonzero and NaN', () => {
    scope(() => {
      expect(valuesOf(T.cast(tensor([0, -0, 0.1, -3, Number.NaN]), 'bool'))).toEqual([0, 0, 1, 1, 1]);
    });
  });

  it('f64 and i32 to f32 round to nearest', () => {
    scope(() => {
      expect(valuesOf(T.cast(f64([0.1, 1 + 2 ** -30]), 'f32'))).toEqual([Math.fround(0.1), 1]);
      // 2^24 + 1 is the first integer f32 cannot hold, so it rounds to even (2^24)
      expect(valuesOf(T.cast(tensor([16777217], { dtype: 'i32' }), 'f32'))).toEqual([16777216]);
    });
  });

  it('full and pad store values as cast does', () => {
    scope(() => {
      expect(valuesOf(T.full([2], -1, { dtype: 'bool' }))).toEqual([1, 1]);
      expect(valuesOf(T.full([1], Number.NaN, { dtype: 'bool' }))).toEqual([1]);
      expect(valuesOf(T.full([1], -2.7, { dtype: 'i32' }))).toEqual([-2]);
      expect(valuesOf(T.pad(tensor([false]), [[1, 0]], 2))).toEqual([1, 0]);
    });
  });

  it('gradient flows back to f64', () => {
    scope(() => {
      const x = f64([0.5, -2]).setRequiresGrad();
      T.mul(T.cast(x, 'f32'), 3).sum().backward();
      expect(x.grad!.dtype).toBe('f64');
      expectAllClose(x.grad!, [3, 3], { atol: 0 });
    });
  });
});

/** Views of a (4, 6) base whose element values are easy to derive by hand. */
const VIEWS: [string, (x: Tensor) => Tensor, (data: number[]) => number[]][] = [
  [
    'transposed',
    (x) => T.transpose(x),
    (d) => [0, 1, 2, 3, 4, 5].flatMap((j) => [0, 1, 2, 3].map((i) => d[i * 6 + j])),
  ],
  ['stepped slice', (x) => x.slice([1, 0], [4, 6], [2, 3]), (d) => [d[6], d[9], d[18], d[21]]],
  ['negative-start slice', (x) => x.slice([-1, -2]), (d) => [d[22], d[23]]],
  [
    'broadcast row',
    (x) => T.broadcastTo(x.slice([2, 0], [3, 6]), [3, 6]),
    (d) => [0, 1, 2].flatMap(() => d.slice(12, 18)),
  ],
];

describe('elementwise kernels on views', () => {
  it.each(VIEWS)('unary ops read a %s input', (_name, makeView, expected) => {
    scope(() => {
      const base = randomTensor([4, 6], 51);
      const input = expected(valuesOf(base));
      expectAllClose(T.exp(makeView(base)), input.map(Math.exp), { atol: 1e-14, rtol: 1e-14 });
      expectAllClose(
        T.clamp(makeView(base), -0.5, 0.5),
        input.map((v) => Math.min(0.5, Math.max(-0.5, v))),
        { atol: 0 },
      );
      expectAllClose(T.cast(makeView(base), 'f32'), input.map(Math.fround), { atol: 0 });
    });
  });

  it.each(VIEWS)('binary ops read a %s input', (_name, makeView, expected) => {
    scope(() => {
      const base = randomTensor([4, 6], 52);
      const view = makeView(base);
      const other = randomTensor(view.shape, 53);
      const [x, y] = [expected(valuesOf(base)), valuesOf(other)];
      expectAllClose(
        T.sub(view, other),
        x.map((v, i) => v - y[i]),
        { atol: 1e-15 },
      );
      expectAllClose(
        T.sub(other, view),
        x.map((v, i) => y[i] - v),
        { atol: 1e-15 },
      );
      expectAllClose(
        T.where(T.gt(view, 0), view, other),
        x.map((v, i) => (v > 0 ? v : y[i])),
        { atol: 0 },
      );
    });
  });

  it.each(VIEWS)('gradient passes through a %s input', (_name, makeView) => {
    scope(() => {
      expectGradcheck((x) => T.mul(T.tanh(makeView(x)), makeView(x)), [randomTensor([4, 6], 54)]);
    });
  });
});
