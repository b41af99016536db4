import { ArgumentError } from '../errors.js';
import { dropout } from '../ops/random.js';
import { Generator } from '../random/generator.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

export interface DropoutOptions {
  /** Draws masks from a fresh generator with this seed; otherwise from `generator`. */
  seed?: number;
  /** Generator for the masks (the default generator when neither this nor `seed` is given). */
  generator?: Generator;
}

/**
 * In training mode, zeroes each element with probability p and scales the rest by 1 / (1 - p), so the
 * expected value is unchanged. In eval mode it returns the input values unchanged (as a view).
 */
export class Dropout extends Module {
  private readonly generator: Generator | undefined;

  constructor(
    readonly p = 0.5,
    options: DropoutOptions = {},
  ) {
    super();
    if (!(p >= 0 && p < 1)) throw new ArgumentError('Dropout', `p = ${p} must be in [0, 1)`);
    this.generator = options.seed !== undefined ? new Generator(options.seed) : options.generator;
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, { generator: this.generator });
  }
}
