/** `loadState` received state that does not fit this optimizer: another kind, parameter count, key or shape. */
export class OptimizerStateError extends Error {
  readonly _tag = 'OptimizerStateError';

  constructor(
    readonly optimizer: string,
    readonly key: string | null,
    detail: string,
  ) {
    super(`${optimizer}.loadState: ${detail}`);
    this.name = 'OptimizerStateError';
  }
}
