/** An input to a LiRA function that cannot be used: which function, which argument, its value, and what to do. */
export class LiraInputError extends Error {
  constructor(
    readonly fn: string,
    readonly argument: string,
    readonly value: unknown,
    readonly detail: string,
  ) {
    super(`${fn}: ${argument} = ${JSON.stringify(value)} ${detail}`);
    this.name = 'LiraInputError';
  }
}

/** The reference-model store holds something it should not, or lacks what a run needs. */
export class ModelStoreError extends Error {
  constructor(
    readonly dir: string,
    readonly key: string,
    readonly detail: string,
  ) {
    super(`model store ${dir}: model ${key} ${detail}`);
    this.name = 'ModelStoreError';
  }
}
