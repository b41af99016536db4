/**
 * Loading = parsing a file's format, renaming fields, and checking every row against the schema of
 * its dataset kind. A bad row is a `DataError` naming file, line and field, or, with
 * `{onInvalid: 'skip'}`, a counted rejection.
 */
import { Result, Schema, SchemaIssue } from 'effect';
import { DataError, FormatError } from './errors.js';
import { type DataSource, type FormatName, type ParseOptions, parseSource } from './formats.js';
import { type KindName, type KindSpec, kinds, type RowOf } from './schema.js';

export interface LoadOptions extends ParseOptions {
  /** 'error' (default) throws the first bad row's DataError; 'skip' drops and counts bad rows. */
  onInvalid?: 'error' | 'skip';
  /** Renames fields before validation: `{prompt: 'instruction'}` reads the file's `instruction` as `prompt`. */
  fields?: Readonly<Record<string, string>>;
}

export interface LoadResult<A> {
  file: string;
  format: FormatName;
  rows: A[];
  /** The 1-based line each row starts on, parallel to `rows`. */
  lines: number[];
  loaded: number;
  rejected: number;
  rejections: DataError[];
}

/** Loads rows of one dataset kind from a file already in memory. */
export function parseDataset<K extends KindName>(
  source: DataSource,
  kind: K,
  options: LoadOptions = {},
): LoadResult<RowOf<K>> {
  const spec = kinds[kind] as unknown as KindSpec<RowOf<K>>;
  return parseRows(source, spec.schema, options);
}

/** Loads rows checked against any Effect schema. */
export function parseRows<A>(
  source: DataSource,
  schema: Schema.Decoder<A>,
  options: LoadOptions = {},
): LoadResult<A> {
  return parseMapped(source, schema, (value) => value, options);
}

/** A problem that a row mapping found in one field. The loader turns it into a DataError with the row's line. */
export class FieldIssue extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'FieldIssue';
  }
}

/**
 * Loads rows through `map`, which turns a parsed record into the schema's layout (ready loaders use
 * it to split dialogues or rename upstream keys) and may throw a FieldIssue for a bad row.
 */
export function parseMapped<A>(
  source: DataSource,
  schema: Schema.Decoder<A>,
  map: (value: unknown) => unknown,
  options: LoadOptions = {},
): LoadResult<A> {
  const parsed = parseSource(source, options);
  const result = emptyResult<A>(source.name, parsed.format);
  const reject = rejecter(result, options);
  const decode = Schema.decodeUnknownResult(schema);

  // Rows that did not parse and rows that fail the schema are reported in file order.
  const syntax = [...parsed.errors];
  for (const record of parsed.records) {
    while (syntax.length > 0 && syntax[0].line < record.line) reject(syntax.shift()!);
    let value: unknown;
    try {
      value = map(options.fields ? renameFields(record.value, options.fields) : record.value);
    } catch (error) {
      if (!(error instanceof FieldIssue)) throw error;
      reject(new DataError(source.name, record.line, error.field, error.reason));
      continue;
    }
    const decoded = decode(value, { errors: 'first' });
    if (Result.isSuccess(decoded)) {
      result.rows.push(decoded.success);
      result.lines.push(record.line);
    } else {
      reject(schemaError(source.name, record.line, value, decoded.failure.issue, options.fields));
    }
  }
  for (const error of syntax) reject(error);
  return finish(result);
}

export function emptyResult<A>(file: string, format: FormatName): LoadResult<A> {
  return { file, format, rows: [], lines: [], loaded: 0, rejected: 0, rejections: [] };
}

/** Returns a function that records a bad row, or throws it when the caller asked for errors. */
export function rejecter(
  result: LoadResult<unknown>,
  options: { onInvalid?: 'error' | 'skip' },
): (error: DataError) => void {
  return (error) => {
    if ((options.onInvalid ?? 'error') === 'error') throw error;
    result.rejections.push(error);
  };
}

export function finish<A>(result: LoadResult<A>): LoadResult<A> {
  result.rejections.sort((a, b) => a.line - b.line);
  result.loaded = result.rows.length;
  result.rejected = result.rejections.length;
  if (result.loaded === 0 && result.rejected === 0)
    throw new FormatError(result.file, 'contains no rows; check that the file is not empty');
  return result;
}

function renameFields(value: unknown, fields: Readonly<Record<string, string>>): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [target, from] of Object.entries(fields)) {
    if (from in out) {
      out[target] = out[from];
      if (from !== target) delete out[from];
    }
  }
  return out;
}

const formatIssue = SchemaIssue.makeFormatterStandardSchemaV1();

/** Converts a schema issue into a DataError that names the field as the file spells it. */
export function schemaError(
  file: string,
  line: number,
  value: unknown,
  issue: SchemaIssue.Issue,
  fields?: Readonly<Record<string, string>>,
): DataError {
  const first = formatIssue(issue).issues[0];
  const path = (first?.path ?? []).map((p) =>
    typeof p === 'object' && p !== null && 'key' in p ? p.key : p,
  ) as PropertyKey[];
  if (path.length === 0)
    return new DataError(file, line, '(row)', `${first?.message ?? 'is invalid'}, got ${describe(value)}`);
  const found = path.reduce<unknown>(
    (v, key) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[key] : undefined),
    value,
  );
  const top = String(path[0]);
  const field = [fields?.[top] ?? top, ...path.slice(1).map(String)].join('.');
  // Optional fields read "Expected boolean | undefined"; the undefined alternative only means "may be absent".
  const expected = lowerFirst(first.message.replace(/ \| undefined/g, ''));
  const message = first.message === 'Missing key' ? 'is missing' : `${expected}, got ${describe(found)}`;
  return new DataError(file, line, field, message);
}

function lowerFirst(s: string): string {
  return s.length > 0 ? s[0].toLowerCase() + s.slice(1) : s;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value) ?? String(value);
  const shown = json.length > 40 ? `${json.slice(0, 37)}...` : json;
  return `${Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value} ${shown}`;
}
