/**
 * Errors raised by @lab/data. Each carries a `_tag` and the structured fields a caller needs, and its
 * message names the value that was wrong and what to do about it.
 */

/** A row of a data file failed to parse or to match its schema. `line` is 1-based. */
export class DataError extends Error {
  readonly _tag = 'DataError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly field: string,
    readonly reason: string,
  ) {
    super(
      `${file}:${line}: field "${field}": ${reason}. Fix the row, map the field name with {fields}, ` +
        `or pass {onInvalid: 'skip'} to skip and count bad rows`,
    );
    this.name = 'DataError';
  }
}

/** A whole file could not be read as the requested format (unknown extension, bad gzip, no rows). */
export class FormatError extends Error {
  readonly _tag = 'FormatError';
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'FormatError';
  }
}

/** A tokenizer file is malformed, or an id or option is outside what the vocabulary supports. */
export class TokenizerError extends Error {
  readonly _tag = 'TokenizerError';
  constructor(
    readonly tokenizer: string,
    detail: string,
  ) {
    super(`${tokenizer} tokenizer: ${detail}`);
    this.name = 'TokenizerError';
  }
}

/** A batch cannot be collated: a row would lose every completion token, or an option is invalid. */
export class CollateError extends Error {
  readonly _tag = 'CollateError';
  constructor(
    readonly row: number,
    detail: string,
  ) {
    super(row >= 0 ? `collate: row ${row}: ${detail}` : `collate: ${detail}`);
    this.name = 'CollateError';
  }
}
