import { DTypeError, ShapeError } from '../errors.js';
import { isFloat } from '../dtype.js';
import { shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { zerosLike } from './creation.js';
import type { ArithmeticOp, CompareOp, UnaryOp } from './defs.js';
import {
  add,
  cast,
  cos,
  div,
  eq,
  erf,
  exp,
  gt,
  le,
  log,
  logicalAnd,
  lt,
  mul,
  neg,
  pow,
  sigmoid,
  sign,
  sin,
  sub,
  tanh,
  where,
} from './elementwise.js';
import type { InferredOutput, RuleTable } from './rule.js';

const SQRT_HALF = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const GELU_TANH_C = Math.sqrt(2 / Math.PI);

function sameAsInput(inputs: readonly Tensor[]): InferredOutput {
  return { shape: [...inputs[0].shape], dtype: inputs[0].dtype };
}

function sameShapes(op: string, inputs: readonly Tensor[]): void {
  for (const t of inputs) {
    if (!shapesEqual(t.shape, inputs[0].shape)) throw new ShapeError(op, inputs.map((i) => i.shape), 'inputs must be broadcast to one shape first');
  }
}

type UnaryVjp = (x: Tensor, y: Tensor, g: Tensor) => Tensor;

/** d(op)/dx times the incoming gradient, for each unary op. */
const UNARY_VJP: { [K in UnaryOp]: UnaryVjp } = {
  neg: (_x, _y, g) => neg(g),
  abs: (x, _y, g) => mul(g, sign(x)),
  sign: (x) => zerosLike(x),
  exp: (_x, y, g) => mul(g, y),
  log: (x, _y, g) => div(g, x),
  log1p: (x, _y, g) => div(g, add(x, 1)),
  expm1: (_x, y, g) => mul(g, add(y, 1)),
  sqrt: (_x, y, g) => div(mul(g, 0.5), y),
  rsqrt: (_x, y, g) => mul(mul(g, -0.5), mul(y, mul(y, y))),
  tanh: (_x, y, g) => mul(g, sub(1, mul(y, y))),
  sigmoid: (_x, y, g) => mul(g, mul(y, sub(1, y))),
  logSigmoid: (x, _y, g) => mul(g, sigmoid(neg(x))),
  softplus: (x, _y, g) => mul(g, sigmoid(x)),
  relu: (x, _y, g) => where(gt(x, 0), g, 0),
  // d/dx x*Phi(x) = Phi(x) + x*phi(x)
  gelu: (x, _y, g) => {
    const cdf = mul(add(erf(mul(x, SQRT_HALF)), 1), 0.5);
    const pdf = mul(exp(mul(mul(x, x), -0.5)), INV_SQRT_2PI);
    return mul(g, add(cdf, mul(x, pdf)));
  },
  // y = 0.5 x (1 + tanh(u)), u = c (x + 0.044715 x^3): dy/dx = 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 * 0.044715 x^2)
  geluTanh: (x, _y, g) => {
    const x2 = mul(x, x);
    const t = tanh(mul(add(x, mul(mul(x2, x), 0.044715)), GELU_TANH_C));
    const du = mul(add(mul(x2, 3 * 0.044715), 1), GELU_TANH_C);
    const dy = add(mul(add(t, 1), 0.5), mul(mul(mul(x, 0.5), sub(1, mul(t, t))), du));
    return mul(g, dy);
  },
  // y = x s, s = sigmoid(x): dy/dx = s (1 + x (1 - s))
  silu: (x, _y, g) => {
    const s = sigmoid(x);
    return mul(g, mul(s, add(mul(x, sub(1, s)), 1)));
  },
  sin: (x, _y, g) => mul(g, cos(x)),
  cos: (x, _y, g) => neg(mul(g, sin(x))),
  erf: (x, _y, g) => mul(g, mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI))),
  floor: (x) => zerosLike(x),
  ceil: (x) => zerosLike(x),
  round: (x) => zerosLike(x),
};

function unaryRules(): RuleTable<UnaryOp> {
  const table = {} as Record<UnaryOp, unknown>;
  for (const op of Object.keys(UNARY_VJP) as UnaryOp[]) {
    table[op] = {
      infer: (inputs: readonly Tensor[]) => sameAsInput(inputs),
      vjp: ({ inputs, output, g }: { inputs: readonly Tensor[]; output: Tensor; g: Tensor }) => [UNARY_VJP[op](inputs[0], output, g)],
    };
  }
  return table as RuleTable<UnaryOp>;
}

type BinaryVjp = (a: Tensor, b: Tensor, y: Tensor, g: Tensor) => [Tensor, Tensor];

/** Ties send half the gradient to each side, as PyTorch does for maximum and minimum. */
function pickVjp(aWins: (a: Tensor, b: Tensor) => Tensor): BinaryVjp {
  return (a, b, _y, g) => {
    const half = mul(g, 0.5);
    const tie = eq(a, b);
    const ga = where(tie, half, where(aWins(a, b), g, 0));
    const gb = where(tie, half, where(aWins(a, b), 0, g));
    return [ga, gb];
  };
}

const ARITHMETIC_VJP: { [K in ArithmeticOp]: BinaryVjp } = {
  add: (_a, _b, _y, g) => [g, g],
  sub: (_a, _b, _y, g) => [g, neg(g)],
  mul: (a, b, _y, g) => [mul(g, b), mul(g, a)],
  div: (_a, b, y, g) => [div(g, b), neg(div(mul(g, y), b))],
  // d/da a^b = b a^(b-1), taken as 0 where b = 0 (else 0 * inf at a = 0); d/db a^b = a^b log(a), taken as 0 where a = 0
  pow: (a, b, y, g) => [
    where(eq(b, 0), 0, mul(g, mul(b, pow(a, sub(b, 1))))),
    where(eq(a, 0), 0, mul(g, mul(y, log(a)))),
  ],
  maximum: pickVjp((a, b) => gt(a, b)),
  minimum: pickVjp((a, b) => lt(a, b)),
};

function arithmeticRules(): RuleTable<ArithmeticOp> {
  const table = {} as Record<ArithmeticOp, unknown>;
  for (const op of Object.keys(ARITHMETIC_VJP) as ArithmeticOp[]) {
    table[op] = {
      infer: (inputs: readonly Tensor[]) => {
        sameShapes(op, inputs);
        if (inputs[0].dtype !== inputs[1].dtype) throw new DTypeError(op, inputs.map((i) => i.dtype), 'inputs must have one dtype');
        return sameAsInput(inputs);
      },
      vjp: ({ inputs, output, g }: { inputs: readonly Tensor[]; output: Tensor; g: Tensor }) =>
        ARITHMETIC_VJP[op](inputs[0], inputs[1], output, g),
    };
  }
  return table as RuleTable<ArithmeticOp>;
}

const COMPARE: readonly CompareOp[] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr', 'logicalXor'];

function compareRules(): RuleTable<CompareOp> {
  const table = {} as Record<CompareOp, unknown>;
  for (const op of COMPARE) {
    table[op] = {
      infer: (inputs: readonly Tensor[]) => {
        sameShapes(op, inputs);
        return { shape: [...inputs[0].shape], dtype: 'bool' };
      },
      vjp: null,
    };
  }
  return table as RuleTable<CompareOp>;
}

type OtherElementwise = 'logicalNot' | 'isFinite' | 'where' | 'clamp' | 'cast';

const otherRules: RuleTable<OtherElementwise> = {
  logicalNot: { infer: (inputs) => ({ shape: [...inputs[0].shape], dtype: 'bool' }), vjp: null },
  isFinite: { infer: (inputs) => ({ shape: [...inputs[0].shape], dtype: 'bool' }), vjp: null },
  where: {
    infer: (inputs) => {
      sameShapes('where', inputs);
      return { shape: [...inputs[1].shape], dtype: inputs[1].dtype };
    },
    vjp: ({ inputs, g }) => [null, where(inputs[0], g, 0), where(inputs[0], 0, g)],
  },
  clamp: {
    infer: sameAsInput,
    vjp: ({ inputs, attrs, g }) => [where(logicalAnd(le(attrs.min, inputs[0]), le(inputs[0], attrs.max)), g, 0)],
  },
  cast: {
    infer: (inputs, attrs) => ({ shape: [...inputs[0].shape], dtype: attrs.dtype }),
    vjp: ({ inputs, g }) => [isFloat(inputs[0].dtype) && isFloat(g.dtype) ? cast(g, inputs[0].dtype) : null],
  },
};

export const ELEMENTWISE_RULES = { ...unaryRules(), ...arithmeticRules(), ...compareRules(), ...otherRules };
