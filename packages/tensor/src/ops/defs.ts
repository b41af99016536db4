import type { DType } from '../dtype.js';

/** Elementwise ops of one input whose output has the input's dtype. */
export const UNARY_OPS = [
  'neg',
  'abs',
  'sign',
  'exp',
  'log',
  'log1p',
  'expm1',
  'sqrt',
  'rsqrt',
  'tanh',
  'sigmoid',
  'logSigmoid',
  'softplus',
  'relu',
  'gelu',
  'geluTanh',
  'silu',
  'sin',
  'cos',
  'erf',
  'floor',
  'ceil',
  'round',
] as const;
export type UnaryOp = (typeof UNARY_OPS)[number];

/** Elementwise ops of two broadcast inputs whose output has the promoted dtype. */
export const ARITHMETIC_OPS = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum'] as const;
export type ArithmeticOp = (typeof ARITHMETIC_OPS)[number];

/** Elementwise ops of two broadcast inputs whose output is bool. */
export const COMPARE_OPS = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr', 'logicalXor'] as const;
export type CompareOp = (typeof COMPARE_OPS)[number];

export const REDUCE_OPS = ['sum', 'prod', 'max', 'min', 'logsumexp'] as const;
export type ReduceOp = (typeof REDUCE_OPS)[number];

export interface ReduceAttrs {
  /** Normalized, sorted axes. */
  axes: number[];
  keepDims: boolean;
}

export interface ScanAttrs {
  axis: number;
  reverse: boolean;
  exclusive: boolean;
}

type Empty = Record<string, never>;

/** Attributes of every primitive, by op name. The tables of rules and kernels are mapped over this. */
export type OpAttrs = { [K in UnaryOp]: Empty } & { [K in ArithmeticOp]: Empty } & {
  [K in CompareOp]: Empty;
} & { [K in ReduceOp]: ReduceAttrs } & {
  logicalNot: Empty;
  isFinite: Empty;
  where: Empty;
  clamp: { min: number; max: number };
  cast: { dtype: DType };
  argmax: { axis: number; keepDims: boolean };
  argmin: { axis: number; keepDims: boolean };

  // views: no kernel, only new strides over the same storage
  reshape: { shape: number[] };
  permute: { axes: number[] };
  expand: { shape: number[] };
  slice: { starts: number[]; ends: number[]; steps: number[] };

  contiguous: Empty;
  unslice: { shape: number[]; starts: number[]; steps: number[] };
  concat: { axis: number };
  pad: { pads: [number, number][]; value: number };
  gather: { axis: number };
  indexSelect: { axis: number };
  indexAdd: { axis: number };
  scatterAdd: { axis: number };
  oneHot: { numClasses: number; dtype: DType };
  triangle: { k: number; upper: boolean };

  matmul: Empty;

  softmax: { axis: number };
  logSoftmax: { axis: number };
  crossEntropy: { ignoreIndex: number; labelSmoothing: number };
  layerNorm: { eps: number };
  rmsNorm: { eps: number };
  attention: { causal: boolean; scale: number; hasMask: boolean };

  argsort: { axis: number; descending: boolean };
  cumsum: ScanAttrs;
  cumprod: ScanAttrs;
  cumprodGrad: ScanAttrs;

  uniform: { shape: number[]; key: [number, number]; counter: number; dtype: DType };
  full: { shape: number[]; value: number; dtype: DType };
};

export type OpName = keyof OpAttrs;

export const VIEW_OPS = ['reshape', 'permute', 'expand', 'slice'] as const;
export type ViewOp = (typeof VIEW_OPS)[number];

/** Ops a backend must implement with a kernel. */
export type KernelOp = Exclude<OpName, ViewOp>;

export function isViewOp(op: OpName): op is ViewOp {
  return (VIEW_OPS as readonly string[]).includes(op);
}
