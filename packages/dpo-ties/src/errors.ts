/**
 * Errors raised by @lab/dpo-ties. Each carries a `_tag` and the structured fields a caller needs, and
 * its message names the value that was wrong and what to do about it.
 */

/** A loss or classifier parameter (beta, nu, alpha) is outside the range its model allows. */
export class TieParameterError extends Error {
  readonly _tag = 'TieParameterError';
  constructor(
    readonly fn: string,
    readonly parameter: string,
    readonly value: unknown,
    detail: string,
  ) {
    super(
      `${fn}: ${parameter} = ${typeof value === 'string' ? JSON.stringify(value) : String(value)}: ${detail}`,
    );
    this.name = 'TieParameterError';
  }
}

/** The log-prob, length or tie tensors of a batch do not line up. */
export class PreferenceInputError extends Error {
  readonly _tag = 'PreferenceInputError';
  constructor(
    readonly fn: string,
    readonly input: string,
    readonly shape: readonly number[],
    detail: string,
  ) {
    super(`${fn}: ${input} has shape [${shape.join(', ')}]: ${detail}`);
    this.name = 'PreferenceInputError';
  }
}

/**
 * The sentiment-steering pipeline (reward model, sampled pairs, method comparison) got settings or
 * data it cannot work with. `setting` names the configuration field or input that was wrong.
 */
export class SteeringError extends Error {
  readonly _tag = 'SteeringError';
  constructor(
    readonly setting: string,
    detail: string,
  ) {
    super(`${setting}: ${detail}`);
    this.name = 'SteeringError';
  }
}
