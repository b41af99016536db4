import { ArgumentError, ShapeError } from '../errors.js';
import { add } from '../ops/elementwise.js';
import { matmul } from '../ops/linalg.js';
import { reshape, transpose } from '../ops/movement.js';
import { uniform } from '../ops/random.js';
import type { Tensor } from '../tensor.js';
import { initGenerator, initialValue, type InitOptions } from './init.js';
import { Module } from './module.js';

export interface LinearOptions extends InitOptions {
  /** Adds a learned bias (default true). */
  bias?: boolean;
}

function checkFeatures(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) throw new ArgumentError('Linear', `${name} = ${value} must be a positive integer`);
}

/**
 * y = x W^T + b over the last axis. The weight is stored as (outFeatures, inFeatures), as in PyTorch,
 * so PyTorch checkpoints load unchanged. Weight and bias start uniform in (-1/sqrt(in), 1/sqrt(in)),
 * which is PyTorch's default (Kaiming-uniform with a = sqrt(5) reduces to this bound).
 */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LinearOptions = {},
  ) {
    super();
    checkFeatures('inFeatures', inFeatures);
    checkFeatures('outFeatures', outFeatures);
    const generator = initGenerator(options);
    const bound = 1 / Math.sqrt(inFeatures);
    const random = { generator, dtype: options.dtype, backend: options.backend };
    this.weight = this.registerParameter('weight', initialValue(() => uniform([outFeatures, inFeatures], -bound, bound, random)));
    this.bias = options.bias === false ? null : this.registerParameter('bias', initialValue(() => uniform([outFeatures], -bound, bound, random)));
  }

  /** x: (*, inFeatures) -> (*, outFeatures). */
  forward(x: Tensor): Tensor {
    if (x.rank < 1 || x.shape[x.rank - 1] !== this.inFeatures) {
      throw new ShapeError('Linear', [x.shape, this.weight.shape], `input must end in an axis of size inFeatures = ${this.inFeatures}`);
    }
    const rows = reshape(x, [-1, this.inFeatures]); // (N, in)
    const projected = matmul(rows, transpose(this.weight)); // (N, out)
    const y = this.bias ? add(projected, this.bias) : projected;
    return reshape(y, [...x.shape.slice(0, -1), this.outFeatures]); // (*, out)
  }
}
