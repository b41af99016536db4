import type { FloatDType } from '../dtype.js';
import { ArgumentError } from '../errors.js';
import { Generator, getDefaultGenerator } from '../random/generator.js';
import { apply } from '../runtime.js';
import { checkShape, sizeOf } from '../shape.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { add, castTo, cos, div, ge, log, lt, maximum, mul, neg, sqrt, sub, where } from './elementwise.js';
import { argmax } from './reduce.js';
import { broadcastTo, reshape, unsqueeze } from './movement.js';

export interface RandomOptions {
  /** Uses a fresh generator with this seed; otherwise `generator`, otherwise the default one. */
  seed?: number;
  generator?: Generator;
  dtype?: FloatDType;
  backend?: string;
}

function generatorOf(options: RandomOptions): Generator {
  if (options.seed !== undefined) return new Generator(options.seed);
  return options.generator ?? getDefaultGenerator();
}

/** Uniform numbers in [0, 1) with 24 random bits each. */
export function rand(shape: readonly number[], options: RandomOptions = {}): Tensor {
  const dims = checkShape('rand', shape);
  const generator = generatorOf(options);
  const counter = generator.take(sizeOf(dims));
  return apply('uniform', [], { shape: dims, key: [...generator.key], counter, dtype: options.dtype ?? 'f32' }, options.backend);
}

export function uniform(shape: readonly number[], low = 0, high = 1, options: RandomOptions = {}): Tensor {
  return add(mul(rand(shape, options), high - low), low);
}

/** Standard normal numbers by the Box-Muller transform of two uniform draws. */
export function randn(shape: readonly number[], options: RandomOptions = {}): Tensor {
  const dims = checkShape('randn', shape);
  const generator = generatorOf(options);
  const opts = { ...options, seed: undefined, generator };
  const u1 = rand(dims, opts);
  const u2 = rand(dims, opts);
  const radius = sqrt(mul(log(sub(1, u1)), -2));
  return mul(radius, cos(mul(u2, 2 * Math.PI)));
}

export function normal(shape: readonly number[], mean = 0, std = 1, options: RandomOptions = {}): Tensor {
  return add(mul(randn(shape, options), std), mean);
}

/** 1 with probability p and 0 otherwise, elementwise; the result is bool. */
export function bernoulli(p: TensorLike, shape?: readonly number[], options: RandomOptions = {}): Tensor {
  const dims = typeof p === 'number' ? (shape ?? []) : (shape ?? p.shape);
  const u = rand(dims, { ...options, backend: options.backend ?? (typeof p === 'number' ? undefined : p.backend.name) });
  return lt(u, p);
}

/**
 * Draws `numSamples` class indices per row from softmax(logits) along the last axis, with replacement,
 * by the Gumbel-max trick: argmax(logits - log(-log(u))). Returns i32 of shape (..., numSamples).
 */
export function categorical(logits: Tensor, numSamples = 1, options: RandomOptions = {}): Tensor {
  if (logits.rank < 1) throw new ArgumentError('categorical', 'logits need a class axis');
  const shape = [...logits.shape.slice(0, -1), numSamples, logits.shape[logits.rank - 1]];
  const u = rand(shape, { ...options, backend: logits.backend.name, dtype: logits.dtype === 'f64' ? 'f64' : 'f32' });
  // maximum, not u + 2^-25: in f32 the largest u, 1 - 2^-24, plus 2^-25 rounds to 1, whose Gumbel noise
  // is +inf, and +inf plus a -inf logit is NaN, which argmax would pick.
  const gumbel = neg(log(neg(log(maximum(u, 2 ** -25)))));
  const expanded = broadcastTo(unsqueeze(castTo(logits, u.dtype), -2), shape);
  return argmax(add(expanded, gumbel), -1);
}

/**
 * Zeroes each element with probability p and scales the rest by 1 / (1 - p) in training mode;
 * returns the input unchanged otherwise.
 */
export function dropout(x: Tensor, p: number, training = true, options: RandomOptions = {}): Tensor {
  if (!(p >= 0 && p < 1)) throw new ArgumentError('dropout', `p = ${p} must be in [0, 1)`);
  if (!training || p === 0) return reshape(x, x.shape);
  const dtype = x.dtype === 'f64' ? 'f64' : 'f32';
  const keepMask = ge(rand(x.shape, { ...options, backend: x.backend.name, dtype }), p);
  return div(where(keepMask, x, 0), 1 - p);
}
