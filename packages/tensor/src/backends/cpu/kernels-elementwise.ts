import { allocateArray, castScalar } from '../../dtype.js';
import type { ArithmeticOp, CompareOp, UnaryOp } from '../../ops/defs.js';
import { sizeOf } from '../../shape.js';
import type { CpuKernel, CpuKernelTable } from './kernel.js';
import { erf, gelu, geluTanh, logSigmoid, roundHalfEven, sigmoid, softplus } from './math.js';
import { type CpuView, dense } from './strided.js';

const UNARY: { [K in UnaryOp]: (x: number) => number } = {
  neg: (x) => -x,
  abs: Math.abs,
  sign: (x) => (Number.isNaN(x) ? x : Math.sign(x)),
  exp: Math.exp,
  log: Math.log,
  log1p: Math.log1p,
  expm1: Math.expm1,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  tanh: Math.tanh,
  sigmoid,
  logSigmoid,
  softplus,
  relu: (x) => (x > 0 || Number.isNaN(x) ? x : 0),
  gelu,
  geluTanh,
  silu: (x) => x * sigmoid(x),
  sin: Math.sin,
  cos: Math.cos,
  erf,
  floor: Math.floor,
  ceil: Math.ceil,
  round: roundHalfEven,
};

const ARITHMETIC: { [K in ArithmeticOp]: (a: number, b: number) => number } = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  maximum: Math.max,
  minimum: Math.min,
};

const COMPARE: { [K in CompareOp]: (a: number, b: number) => boolean } = {
  eq: (a, b) => a === b,
  ne: (a, b) => a !== b,
  lt: (a, b) => a < b,
  le: (a, b) => a <= b,
  gt: (a, b) => a > b,
  ge: (a, b) => a >= b,
  logicalAnd: (a, b) => a !== 0 && b !== 0,
  logicalOr: (a, b) => a !== 0 || b !== 0,
  logicalXor: (a, b) => (a !== 0) !== (b !== 0),
};

function mapUnary<P extends UnaryOp | 'logicalNot' | 'isFinite'>(fn: (x: number) => number): CpuKernel<P> {
  return ([x], _attrs, out) => {
    const source = dense(x);
    const result = allocateArray(out.dtype, source.length);
    for (let i = 0; i < source.length; i++) result[i] = fn(source[i]);
    return result;
  };
}

function mapBinary(fn: (a: number, b: number) => number | boolean): CpuKernel<ArithmeticOp | CompareOp> {
  return ([a, b], _attrs, out) => {
    const left = dense(a);
    const right = dense(b);
    const result = allocateArray(out.dtype, left.length);
    for (let i = 0; i < left.length; i++) result[i] = +fn(left[i], right[i]);
    return result;
  };
}

/** i32 products wrap modulo 2^32 as in C; a float multiply would round large products first. */
const multiplyI32: CpuKernel<'mul'> = ([a, b], _attrs, out) => {
  const left = dense(a);
  const right = dense(b);
  const result = new Int32Array(sizeOf(out.shape));
  for (let i = 0; i < result.length; i++) result[i] = Math.imul(left[i], right[i]);
  return result;
};

function tableOf<K extends string, F>(fns: { [P in K]: F }, make: (fn: F, op: K) => unknown): unknown {
  const table: Record<string, unknown> = {};
  for (const op of Object.keys(fns) as K[]) table[op] = make(fns[op], op);
  return table;
}

const unaryKernels = tableOf(UNARY, (fn) => mapUnary(fn)) as CpuKernelTable<UnaryOp>;
const arithmeticKernels = tableOf(ARITHMETIC, (fn, op) => {
  const floatKernel = mapBinary(fn);
  if (op !== 'mul') return floatKernel;
  return (inputs: readonly CpuView[], attrs: never, out: { dtype: string }) =>
    out.dtype === 'i32' ? multiplyI32(inputs, attrs, out as never) : floatKernel(inputs, attrs, out as never);
}) as CpuKernelTable<ArithmeticOp>;
const compareKernels = tableOf(COMPARE, (fn) => mapBinary(fn)) as CpuKernelTable<CompareOp>;

export const ELEMENTWISE_KERNELS: CpuKernelTable<UnaryOp | ArithmeticOp | CompareOp | 'logicalNot' | 'isFinite' | 'where' | 'clamp' | 'cast'> = {
  ...unaryKernels,
  ...arithmeticKernels,
  ...compareKernels,
  logicalNot: mapUnary((x) => +(x === 0)),
  isFinite: mapUnary((x) => +Number.isFinite(x)),
  where: ([c, a, b], _attrs, out) => {
    const condition = dense(c);
    const left = dense(a);
    const right = dense(b);
    const result = allocateArray(out.dtype, condition.length);
    for (let i = 0; i < condition.length; i++) result[i] = condition[i] !== 0 ? left[i] : right[i];
    return result;
  },
  clamp: ([x], { min, max }, out) => {
    const source = dense(x);
    const result = allocateArray(out.dtype, source.length);
    for (let i = 0; i < source.length; i++) {
      const v = source[i];
      result[i] = Number.isNaN(v) ? v : Math.min(max, Math.max(min, v));
    }
    return result;
  },
  cast: ([x], { dtype }) => {
    const source = dense(x);
    const result = allocateArray(dtype, source.length);
    for (let i = 0; i < source.length; i++) result[i] = castScalar(source[i], dtype);
    return result;
  },
};
