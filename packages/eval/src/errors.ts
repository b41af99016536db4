/**
 * Errors raised by @lab/eval. Each carries structured fields, and its message states what was wrong,
 * with which value, and what to do about it.
 */

/** Base class, so callers can catch every error of this package with one `instanceof`. */
export class EvaluationError extends Error {
  override readonly name: string = 'EvaluationError';
}

/**
 * An argument of a metric was unusable: empty, of the wrong length, outside its domain, or not
 * finite where a finite number is needed.
 */
export class MetricInputError extends EvaluationError {
  override readonly name = 'MetricInputError';

  constructor(
    /** The function that rejected the input, e.g. `auc`. */
    readonly metric: string,
    /** The argument or field at fault, e.g. `positives[3]`. */
    readonly argument: string,
    /** The offending value, when there is one to show. */
    readonly value: unknown,
    /** The expected form of the value and the fix. */
    readonly hint: string,
  ) {
    super(`${metric}: ${argument} = ${formatValue(value)} is not usable; ${hint}`);
  }
}

/** A line of a metrics.jsonl file could not be parsed. */
export class MetricsParseError extends EvaluationError {
  override readonly name = 'MetricsParseError';

  constructor(
    /** 1-based line number in the text. */
    readonly line: number,
    /** The cause of the failure on that line. */
    readonly reason: string,
  ) {
    super(
      `metrics.jsonl line ${line}: ${reason}; each line must be one JSON object such as {"step": 10, "loss": 2.3}`,
    );
  }
}

function formatValue(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  if (Array.isArray(value)) return `array of length ${value.length}`;
  if (ArrayBuffer.isView(value))
    return `${value.constructor.name} of length ${(value as unknown as ArrayLike<unknown>).length}`;
  return typeof value;
}
