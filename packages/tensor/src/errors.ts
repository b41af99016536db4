/**
 * Errors raised by @lab/tensor. Each carries a `_tag` and the structured fields a caller needs,
 * and its message names the op, the values involved and what to do.
 */

export type Shape = readonly number[];

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** An op received inputs whose shapes do not fit together. */
export class ShapeError extends Error {
  readonly _tag = 'ShapeError';
  constructor(
    readonly op: string,
    readonly shapes: readonly Shape[],
    detail: string,
  ) {
    super(`${op}: ${detail} (input shapes ${shapes.map(formatShape).join(', ')})`);
    this.name = 'ShapeError';
  }
}

/** An op received a dtype it does not support. */
export class DTypeError extends Error {
  readonly _tag = 'DTypeError';
  constructor(
    readonly op: string,
    readonly dtypes: readonly string[],
    detail: string,
  ) {
    super(`${op}: ${detail} (input dtypes ${dtypes.join(', ')})`);
    this.name = 'DTypeError';
  }
}

/** An argument other than a tensor (axis, size, index, option) is invalid. */
export class ArgumentError extends Error {
  readonly _tag = 'ArgumentError';
  constructor(
    readonly op: string,
    detail: string,
  ) {
    super(`${op}: ${detail}`);
    this.name = 'ArgumentError';
  }
}

/** A tensor was used after `dispose()`, directly or through the graph of a later `backward()`. */
export class DisposedError extends Error {
  readonly _tag = 'DisposedError';
  constructor(
    readonly op: string,
    detail: string,
  ) {
    super(`${op}: ${detail}`);
    this.name = 'DisposedError';
  }
}

/** Gradient computation failed: no graph, a non-scalar output without a seed, or a missing rule. */
export class GradError extends Error {
  readonly _tag = 'GradError';
  constructor(detail: string) {
    super(detail);
    this.name = 'GradError';
  }
}

/** A backend is missing, unavailable, or was asked for something beyond its limits. */
export class BackendError extends Error {
  readonly _tag = 'BackendError';
  constructor(
    readonly backend: string,
    detail: string,
  ) {
    super(`backend ${backend}: ${detail}`);
    this.name = 'BackendError';
  }
}
