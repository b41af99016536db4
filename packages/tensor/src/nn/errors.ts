import { formatShape, type Shape } from '../errors.js';

export type StateDictProblem = 'missing' | 'unexpected' | 'shape';

/**
 * `loadStateDict` found a key the module lacks, lacked a key the module has, or found a tensor whose
 * shape differs from the parameter's. `key` is the first offending name and `keys` all of them.
 */
export class StateDictError extends Error {
  readonly _tag = 'StateDictError';

  constructor(
    readonly problem: StateDictProblem,
    readonly key: string,
    readonly keys: readonly string[],
    readonly expectedShape: Shape | null = null,
    readonly actualShape: Shape | null = null,
  ) {
    super(StateDictError.describe(problem, key, keys, expectedShape, actualShape));
    this.name = 'StateDictError';
  }

  private static describe(problem: StateDictProblem, key: string, keys: readonly string[], expected: Shape | null, actual: Shape | null): string {
    const others = keys.length > 1 ? ` (${keys.length} keys in all: ${keys.slice(0, 8).join(', ')}${keys.length > 8 ? ', ...' : ''})` : '';
    switch (problem) {
      case 'missing':
        return `loadStateDict: missing key "${key}"${others}. The module has this parameter but the state dict does not. Pass {strict: false} to keep its current value`;
      case 'unexpected':
        return `loadStateDict: unexpected key "${key}"${others}. The module has no parameter of that name. Pass {strict: false} to ignore it`;
      case 'shape':
        return `loadStateDict: shape mismatch for "${key}": the parameter has shape ${formatShape(expected ?? [])} but the state dict has ${formatShape(actual ?? [])}`;
    }
  }
}
