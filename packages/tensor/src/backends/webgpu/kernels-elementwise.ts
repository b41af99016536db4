import type { DType } from '../../dtype.js';
import {
  ARITHMETIC_OPS,
  type ArithmeticOp,
  COMPARE_OPS,
  type CompareOp,
  UNARY_OPS,
  type UnaryOp,
} from '../../ops/defs.js';
import type { GpuKernel, GpuKernelTable } from './kernel.js';
import { runMap, SCALAR_AT } from './map.js';
import { MATH } from './wgsl-math.js';

/** Unary expressions over `a0` for float inputs. */
const UNARY_F32: { [K in UnaryOp]: string } = {
  neg: '-a0',
  abs: 'abs(a0)',
  sign: 'sign_f(a0)',
  exp: 'exp_f(a0)',
  log: 'log_f(a0)',
  log1p: 'log1p_f(a0)',
  expm1: 'expm1_f(a0)',
  sqrt: 'sqrt(a0)',
  rsqrt: '1.0 / sqrt(a0)',
  tanh: 'tanh_f(a0)',
  sigmoid: 'sigmoid_f(a0)',
  logSigmoid: '0.0 - softplus_f(-a0)',
  softplus: 'softplus_f(a0)',
  relu: 'select(0.0, a0, a0 > 0.0 || is_nan(a0))',
  gelu: 'gelu_f(a0)',
  geluTanh: 'gelu_tanh_f(a0)',
  silu: 'a0 * sigmoid_f(a0)',
  sin: 'sin_f(a0)',
  cos: 'cos_f(a0)',
  erf: 'erf_f(a0)',
  floor: 'floor(a0)',
  ceil: 'ceil(a0)',
  // WGSL round() rounds halves to even, as the cpu backend does
  round: 'round(a0)',
};

/** Unary expressions for integer inputs (i32, or bool read as u32 and computed as i32). */
const UNARY_INT: Partial<Record<UnaryOp, string>> = {
  neg: '-$v',
  abs: 'abs($v)',
  sign: 'sign($v)',
  relu: 'max($v, 0)',
  floor: '$v',
  ceil: '$v',
  round: '$v',
};

const ARITHMETIC_F32: { [K in ArithmeticOp]: string } = {
  add: 'a0 + a1',
  sub: 'a0 - a1',
  mul: 'a0 * a1',
  div: 'a0 / a1',
  pow: 'pow_f(a0, a1)',
  maximum: 'max_f(a0, a1)',
  minimum: 'min_f(a0, a1)',
};

/** Integer arithmetic wraps modulo 2^32 (WGSL i32 semantics), as Math.imul and Int32Array stores do. */
const ARITHMETIC_INT: Partial<Record<ArithmeticOp, string>> = {
  add: '$x + $y',
  sub: '$x - $y',
  mul: '$x * $y',
  maximum: 'max($x, $y)',
  minimum: 'min($x, $y)',
};

/** Float comparisons: any comparison with NaN is false except `ne`. */
const COMPARE_F32: { [K in CompareOp]: string } = {
  eq: '!nan2 && a0 == a1',
  ne: 'nan2 || a0 != a1',
  lt: '!nan2 && a0 < a1',
  le: '!nan2 && a0 <= a1',
  gt: '!nan2 && a0 > a1',
  ge: '!nan2 && a0 >= a1',
  logicalAnd: 'f32_nonzero(a0) != 0u && f32_nonzero(a1) != 0u',
  logicalOr: 'f32_nonzero(a0) != 0u || f32_nonzero(a1) != 0u',
  logicalXor: '(f32_nonzero(a0) != 0u) != (f32_nonzero(a1) != 0u)',
};

const COMPARE_INT: { [K in CompareOp]: string } = {
  eq: '$x == $y',
  ne: '$x != $y',
  lt: '$x < $y',
  le: '$x <= $y',
  gt: '$x > $y',
  ge: '$x >= $y',
  logicalAnd: '$x != 0 && $y != 0',
  logicalOr: '$x != 0 || $y != 0',
  logicalXor: '($x != 0) != ($y != 0)',
};

/** Output element of type `dtype` from an i32 value `v`: bool keeps the raw bits, as a Uint8Array store would wrap. */
function fromInt(dtype: DType, v: string): string {
  return dtype === 'bool' ? `bitcast<u32>(${v})` : v;
}

function toInt(dtype: DType, a: string): string {
  return dtype === 'bool' ? `bitcast<i32>(${a})` : a;
}

/** Fills `$x` and `$y` of an integer formula with the two inputs read as i32. */
function substitute(formula: string, left: DType, right: DType): string {
  return formula.replaceAll('$x', `(${toInt(left, 'a0')})`).replaceAll('$y', `(${toInt(right, 'a1')})`);
}

function unaryKernel(op: UnaryOp): GpuKernel<UnaryOp> {
  return (ctx, [x], _attrs, out) => {
    if (x.dtype === 'f32')
      return runMap(ctx, {
        op,
        key: op,
        inputs: [x],
        outShape: out.shape,
        outDtype: out.dtype,
        expr: UNARY_F32[op],
        helpers: MATH,
      });
    const body = UNARY_INT[op];
    const v = `(${toInt(x.dtype, 'a0')})`;
    // The front end casts float-only ops (exp, log, ...) to f32 first, so any other op here runs in f32.
    const expr = body
      ? fromInt(out.dtype, body.replaceAll('$v', v))
      : `${out.dtype === 'i32' ? 'i32' : 'u32'}(${UNARY_F32[op].replaceAll('a0', `f32${v}`)})`;
    return runMap(ctx, {
      op,
      key: op,
      inputs: [x],
      outShape: out.shape,
      outDtype: out.dtype,
      expr,
      helpers: MATH,
    });
  };
}

function arithmeticKernel(op: ArithmeticOp): GpuKernel<ArithmeticOp> {
  return (ctx, [a, b], _attrs, out) => {
    if (out.dtype === 'f32')
      return runMap(ctx, {
        op,
        key: op,
        inputs: [a, b],
        outShape: out.shape,
        outDtype: 'f32',
        expr: ARITHMETIC_F32[op],
        helpers: MATH,
      });
    const body = ARITHMETIC_INT[op] ?? ARITHMETIC_INT.add!;
    const expr = fromInt(out.dtype, substitute(body, a.dtype, b.dtype));
    return runMap(ctx, { op, key: op, inputs: [a, b], outShape: out.shape, outDtype: out.dtype, expr });
  };
}

function compareKernel(op: CompareOp): GpuKernel<CompareOp> {
  return (ctx, [a, b], _attrs, out) => {
    if (a.dtype === 'f32') {
      const expr = `select(0u, 1u, ${COMPARE_F32[op].replaceAll('nan2', '(is_nan(a0) || is_nan(a1))')})`;
      return runMap(ctx, {
        op,
        key: op,
        inputs: [a, b],
        outShape: out.shape,
        outDtype: 'bool',
        expr,
        helpers: MATH,
      });
    }
    const expr = `select(0u, 1u, ${substitute(COMPARE_INT[op], a.dtype, b.dtype)})`;
    return runMap(ctx, { op, key: op, inputs: [a, b], outShape: out.shape, outDtype: 'bool', expr });
  };
}

/** Integer bounds of clamp for an i32 input: clamping to trunc(bound) matches clamping then truncating on store. */
function intBound(value: number): number {
  return Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.trunc(value)));
}

const castKernel: GpuKernel<'cast'> = (ctx, [x], { dtype }, out) => {
  const from = x.dtype;
  let expr = 'a0';
  if (from === 'f32' && dtype === 'i32') expr = 'to_i32(a0)';
  else if (from === 'f32' && dtype === 'bool') expr = 'f32_nonzero(a0)';
  else if (from === 'i32' && dtype === 'f32') expr = 'f32(a0)';
  else if (from === 'bool' && dtype === 'f32') expr = 'f32(a0 & 0xffu)';
  else if (from === 'i32' && dtype === 'bool') expr = 'select(0u, 1u, a0 != 0)';
  else if (from === 'bool' && dtype === 'i32') expr = 'bitcast<i32>(a0 & 0xffu)';
  return runMap(ctx, {
    op: 'cast',
    key: `cast-${dtype}`,
    inputs: [x],
    outShape: out.shape,
    outDtype: out.dtype,
    expr,
    helpers: MATH,
  });
};

const clampKernel: GpuKernel<'clamp'> = (ctx, [x], { min, max }, out) => {
  if (x.dtype === 'f32') {
    const expr = `select(min(mf(${SCALAR_AT + 1}u), max(mf(${SCALAR_AT}u), a0)), a0, is_nan(a0))`;
    const scalars = [
      { value: min, type: 'f32' as const },
      { value: max, type: 'f32' as const },
    ];
    return runMap(ctx, {
      op: 'clamp',
      key: 'clamp',
      inputs: [x],
      outShape: out.shape,
      outDtype: 'f32',
      expr,
      helpers: MATH,
      scalars,
    });
  }
  const v = toInt(x.dtype, 'a0');
  const expr = fromInt(out.dtype, `min(mi(${SCALAR_AT + 1}u), max(mi(${SCALAR_AT}u), ${v}))`);
  const scalars = [
    { value: intBound(min), type: 'i32' as const },
    { value: intBound(max), type: 'i32' as const },
  ];
  return runMap(ctx, {
    op: 'clamp',
    key: 'clamp',
    inputs: [x],
    outShape: out.shape,
    outDtype: out.dtype,
    expr,
    scalars,
  });
};

function tableOf<K extends string, V>(names: readonly K[], make: (name: K) => V): { [P in K]: V } {
  return Object.fromEntries(names.map((n) => [n, make(n)])) as { [P in K]: V };
}

export const ELEMENTWISE_KERNELS: GpuKernelTable<
  UnaryOp | ArithmeticOp | CompareOp | 'logicalNot' | 'isFinite' | 'where' | 'clamp' | 'cast'
> = {
  ...(tableOf(UNARY_OPS, unaryKernel) as GpuKernelTable<UnaryOp>),
  ...(tableOf(ARITHMETIC_OPS, arithmeticKernel) as GpuKernelTable<ArithmeticOp>),
  ...(tableOf(COMPARE_OPS, compareKernel) as GpuKernelTable<CompareOp>),
  logicalNot: (ctx, [x], _attrs, out) =>
    runMap(ctx, {
      op: 'logicalNot',
      key: 'not',
      inputs: [x],
      outShape: out.shape,
      outDtype: 'bool',
      expr: 'select(0u, 1u, a0 == 0u)',
    }),
  isFinite: (ctx, [x], _attrs, out) => {
    const expr = x.dtype === 'f32' ? 'select(0u, 1u, is_finite(a0))' : '1u';
    return runMap(ctx, {
      op: 'isFinite',
      key: 'finite',
      inputs: [x],
      outShape: out.shape,
      outDtype: 'bool',
      expr,
    });
  },
  where: (ctx, [c, a, b], _attrs, out) =>
    runMap(ctx, {
      op: 'where',
      key: 'where',
      inputs: [c, a, b],
      outShape: out.shape,
      outDtype: out.dtype,
      expr: 'select(a2, a1, a0 != 0u)',
    }),
  clamp: clampKernel,
  cast: castKernel,
};
