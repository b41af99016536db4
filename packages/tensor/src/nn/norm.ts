import { ArgumentError, ShapeError } from '../errors.js';
import { full } from '../ops/creation.js';
import { layerNorm, rmsNorm } from '../ops/fused.js';
import type { FloatDType } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { initialValue } from './init.js';
import { Module } from './module.js';

export interface LayerNormOptions {
  eps?: number;
  /** Learns a per-feature weight (start 1) and bias (start 0); default true. */
  elementwiseAffine?: boolean;
  /** With `elementwiseAffine`, whether to learn the bias too (default true). */
  bias?: boolean;
  dtype?: FloatDType;
  backend?: string;
}

export interface RMSNormOptions {
  eps?: number;
  /** Learns a per-feature weight, starting at 1 (default true). */
  elementwiseAffine?: boolean;
  dtype?: FloatDType;
  backend?: string;
}

function checkDim(op: string, dim: number): void {
  if (!Number.isInteger(dim) || dim <= 0) throw new ArgumentError(op, `dim = ${dim} must be a positive integer`);
}

function checkInput(op: string, x: Tensor, dim: number): void {
  if (x.rank < 1 || x.shape[x.rank - 1] !== dim) throw new ShapeError(op, [x.shape], `input must end in an axis of size ${dim}`);
}

function constantParameter(dim: number, value: number, dtype: FloatDType | undefined, backend: string | undefined): Tensor {
  return initialValue(() => full([dim], value, { dtype: dtype ?? 'f32', backend }));
}

/** Normalizes the last axis to zero mean and unit variance (biased), then scales and shifts. */
export class LayerNorm extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly eps: number;

  constructor(
    readonly dim: number,
    options: LayerNormOptions = {},
  ) {
    super();
    checkDim('LayerNorm', dim);
    this.eps = options.eps ?? 1e-5;
    const affine = options.elementwiseAffine ?? true;
    const withBias = affine && (options.bias ?? true);
    this.weight = affine ? this.registerParameter('weight', constantParameter(dim, 1, options.dtype, options.backend)) : null;
    this.bias = withBias ? this.registerParameter('bias', constantParameter(dim, 0, options.dtype, options.backend)) : null;
  }

  /** x: (*, dim) -> (*, dim). */
  forward(x: Tensor): Tensor {
    checkInput('LayerNorm', x, this.dim);
    return layerNorm(x, this.weight ?? undefined, this.bias ?? undefined, this.eps);
  }
}

/** Divides the last axis by its root mean square, then scales: x / sqrt(mean(x^2) + eps) * weight. */
export class RMSNorm extends Module {
  readonly weight: Tensor | null;
  readonly eps: number;

  constructor(
    readonly dim: number,
    options: RMSNormOptions = {},
  ) {
    super();
    checkDim('RMSNorm', dim);
    this.eps = options.eps ?? 1e-6;
    const affine = options.elementwiseAffine ?? true;
    this.weight = affine ? this.registerParameter('weight', constantParameter(dim, 1, options.dtype, options.backend)) : null;
  }

  /** x: (*, dim) -> (*, dim). */
  forward(x: Tensor): Tensor {
    checkInput('RMSNorm', x, this.dim);
    return rmsNorm(x, this.weight ?? undefined, this.eps);
  }
}
