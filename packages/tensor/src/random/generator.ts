import { ArgumentError } from '../errors.js';

/** Serializable generator state: a 64-bit key as two words, and the next unused block counter. */
export interface GeneratorState {
  key: [number, number];
  counter: number;
}

/**
 * A stream of Philox blocks. Each draw takes `ceil(n / 4)` blocks starting at `counter`, so the same
 * seed and the same sequence of draws give the same numbers on every backend.
 */
export class Generator {
  key: [number, number];
  counter = 0;

  constructor(seed = 0) {
    this.key = seedToKey(seed);
  }

  /** Reserves blocks for `n` numbers and returns the first block's counter. */
  take(n: number): number {
    const start = this.counter;
    this.counter += Math.ceil(n / 4);
    return start;
  }

  state(): GeneratorState {
    return { key: [...this.key], counter: this.counter };
  }

  setState(state: GeneratorState): void {
    this.key = [state.key[0] >>> 0, state.key[1] >>> 0];
    this.counter = state.counter;
  }
}

function seedToKey(seed: number): [number, number] {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new ArgumentError('seed', `seed ${seed} must be a non-negative safe integer`);
  return [seed % 2 ** 32 >>> 0, Math.floor(seed / 2 ** 32) >>> 0];
}

let defaultGenerator = new Generator(0);

/** Reseeds the default generator used when no generator or seed is passed. */
export function manualSeed(seed: number): void {
  defaultGenerator = new Generator(seed);
}

export function getDefaultGenerator(): Generator {
  return defaultGenerator;
}
