import { noGrad } from '../autograd/mode.js';
import type { FloatDType } from '../dtype.js';
import { scope } from '../memory.js';
import { contiguous } from '../ops/movement.js';
import { Generator, getDefaultGenerator } from '../random/generator.js';
import type { Tensor } from '../tensor.js';

/** Options shared by layers whose parameters start random. */
export interface InitOptions {
  /** Draws the initial values from a fresh generator with this seed; otherwise from `generator`. */
  seed?: number;
  /** Generator to draw from (the default generator when neither this nor `seed` is given). */
  generator?: Generator;
  dtype?: FloatDType;
  /** Backend of the parameters; defaults to the current one. */
  backend?: string;
}

/** One generator per layer, so that a seed drives all of the layer's draws in sequence. */
export function initGenerator(options: InitOptions): Generator {
  if (options.seed !== undefined) return new Generator(options.seed);
  return options.generator ?? getDefaultGenerator();
}

/**
 * Runs an initializer without recording autograd and frees its temporaries, returning a contiguous
 * leaf ready for `registerParameter`.
 */
export function initialValue(init: () => Tensor): Tensor {
  return noGrad(() =>
    scope(() => {
      const value = init();
      return value.isContiguous ? value : contiguous(value);
    }),
  );
}
