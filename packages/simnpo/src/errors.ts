/**
 * Errors raised by @lab/simnpo. Each carries a `_tag` and the fields a caller needs; the message names
 * the value that was wrong and what to do about it.
 */

/** A loss or method setting (beta, margin, weights, sizes) is outside the range it allows. */
export class UnlearningConfigError extends Error {
  readonly _tag = 'UnlearningConfigError';
  constructor(
    readonly setting: string,
    readonly value: unknown,
    detail: string,
  ) {
    super(`${setting} = ${typeof value === 'string' ? JSON.stringify(value) : String(value)}: ${detail}`);
    this.name = 'UnlearningConfigError';
  }
}

/** The log-prob, mask or reference tensors handed to a loss do not line up. */
export class LossInputError extends Error {
  readonly _tag = 'LossInputError';
  constructor(
    readonly fn: string,
    detail: string,
  ) {
    super(`${fn}: ${detail}`);
    this.name = 'LossInputError';
  }
}
