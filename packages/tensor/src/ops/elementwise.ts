import { type DType, isFloat, promoteTypes } from '../dtype.js';
import { apply } from '../runtime.js';
import { broadcastShapes, shapesEqual } from '../shape.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { scalarLike } from './creation.js';
import type { ArithmeticOp, CompareOp, UnaryOp } from './defs.js';

type BinaryOp = ArithmeticOp | CompareOp;

function asTensor(x: TensorLike, like: Tensor): Tensor {
  return typeof x === 'number' ? scalarLike(x, like) : x;
}

/** Broadcasts a list of tensors to one shape as stride-0 views (no copy). */
export function broadcastAll(op: string, tensors: readonly Tensor[]): Tensor[] {
  const shape = broadcastShapes(op, ...tensors.map((t) => t.shape));
  return tensors.map((t) => (shapesEqual(t.shape, shape) ? t : apply('expand', [t], { shape })));
}

export function castTo(x: Tensor, dtype: DType): Tensor {
  return x.dtype === dtype ? x : apply('cast', [x], { dtype });
}

function binary(op: BinaryOp, a: TensorLike, b: TensorLike): Tensor {
  if (typeof a === 'number' && typeof b === 'number') {
    throw new TypeError(`${op}: at least one operand must be a tensor`);
  }
  const ta = asTensor(a, b as Tensor);
  const tb = asTensor(b, ta);
  let dtype = promoteTypes(ta.dtype, tb.dtype);
  if ((op === 'div' || op === 'pow') && !isFloat(dtype)) dtype = 'f32';
  if (op === 'logicalAnd' || op === 'logicalOr' || op === 'logicalXor') dtype = 'bool';
  const [x, y] = broadcastAll(op, [castTo(ta, dtype), castTo(tb, dtype)]);
  return apply(op, [x, y], {});
}

export const add = (a: TensorLike, b: TensorLike) => binary('add', a, b);
export const sub = (a: TensorLike, b: TensorLike) => binary('sub', a, b);
export const mul = (a: TensorLike, b: TensorLike) => binary('mul', a, b);
export const div = (a: TensorLike, b: TensorLike) => binary('div', a, b);
export const pow = (a: TensorLike, b: TensorLike) => binary('pow', a, b);
export const maximum = (a: TensorLike, b: TensorLike) => binary('maximum', a, b);
export const minimum = (a: TensorLike, b: TensorLike) => binary('minimum', a, b);
export const eq = (a: TensorLike, b: TensorLike) => binary('eq', a, b);
export const ne = (a: TensorLike, b: TensorLike) => binary('ne', a, b);
export const lt = (a: TensorLike, b: TensorLike) => binary('lt', a, b);
export const le = (a: TensorLike, b: TensorLike) => binary('le', a, b);
export const gt = (a: TensorLike, b: TensorLike) => binary('gt', a, b);
export const ge = (a: TensorLike, b: TensorLike) => binary('ge', a, b);
export const logicalAnd = (a: TensorLike, b: TensorLike) => binary('logicalAnd', a, b);
export const logicalOr = (a: TensorLike, b: TensorLike) => binary('logicalOr', a, b);
export const logicalXor = (a: TensorLike, b: TensorLike) => binary('logicalXor', a, b);

function unary(op: UnaryOp, x: Tensor): Tensor {
  return apply(op, [x], {});
}

export const neg = (x: Tensor) => unary('neg', x);
export const abs = (x: Tensor) => unary('abs', x);
export const sign = (x: Tensor) => unary('sign', x);
export const exp = (x: Tensor) => unary('exp', floatInput(x));
export const log = (x: Tensor) => unary('log', floatInput(x));
export const log1p = (x: Tensor) => unary('log1p', floatInput(x));
export const expm1 = (x: Tensor) => unary('expm1', floatInput(x));
export const sqrt = (x: Tensor) => unary('sqrt', floatInput(x));
export const rsqrt = (x: Tensor) => unary('rsqrt', floatInput(x));
export const tanh = (x: Tensor) => unary('tanh', floatInput(x));
export const sigmoid = (x: Tensor) => unary('sigmoid', floatInput(x));
/** log(sigmoid(x)), computed as -softplus(-x) so that it stays finite for large negative x. */
export const logSigmoid = (x: Tensor) => unary('logSigmoid', floatInput(x));
/** log(1 + exp(x)), finite for every finite x. */
export const softplus = (x: Tensor) => unary('softplus', floatInput(x));
export const relu = (x: Tensor) => unary('relu', x);
export const silu = (x: Tensor) => unary('silu', floatInput(x));
export const sin = (x: Tensor) => unary('sin', floatInput(x));
export const cos = (x: Tensor) => unary('cos', floatInput(x));
export const erf = (x: Tensor) => unary('erf', floatInput(x));
export const floor = (x: Tensor) => unary('floor', x);
export const ceil = (x: Tensor) => unary('ceil', x);
export const round = (x: Tensor) => unary('round', x);

/** GELU, exact (erf) by default or with the tanh approximation of GPT-2. */
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  return unary(approximate === 'tanh' ? 'geluTanh' : 'gelu', floatInput(x));
}

export const square = (x: Tensor) => mul(x, x);
export const reciprocal = (x: Tensor) => div(1, x);

function floatInput(x: Tensor): Tensor {
  return isFloat(x.dtype) ? x : castTo(x, 'f32');
}

export function logicalNot(x: Tensor): Tensor {
  return apply('logicalNot', [castTo(x, 'bool')], {});
}

/** True where the element is neither NaN nor infinite. */
// biome-ignore lint/suspicious/noShadowRestrictedNames: the name matches the Tensor method; callers import it explicitly
export function isFinite(x: Tensor): Tensor {
  return apply('isFinite', [x], {});
}

export function cast(x: Tensor, dtype: DType): Tensor {
  return apply('cast', [x], { dtype });
}

/** Elementwise `condition ? a : b`, broadcasting all three. */
export function where(condition: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const ta = asTensor(a, typeof b === 'number' ? condition : b);
  const tb = asTensor(b, ta);
  const dtype = promoteTypes(ta.dtype, tb.dtype);
  const [c, x, y] = broadcastAll('where', [castTo(condition, 'bool'), castTo(ta, dtype), castTo(tb, dtype)]);
  return apply('where', [c, x, y], {});
}

/** Limits every element to [min, max]; null leaves that side open. The gradient passes inside the range. */
export function clamp(x: Tensor, min: number | null, max: number | null): Tensor {
  return apply('clamp', [x], { min: min ?? Number.NEGATIVE_INFINITY, max: max ?? Number.POSITIVE_INFINITY });
}
