/**
 * File formats: JSON Lines, a JSON array, several JSON arrays written one after another, TSV without
 * quoting, and plain text. Parsing yields raw records with the 1-based line each starts on, so a
 * schema error can name its line. Rows that do not parse come back as errors, not exceptions.
 */
import { DataError, FormatError } from './errors.js';

export type FormatName = 'jsonl' | 'json' | 'json-arrays' | 'tsv' | 'text';

/** A file already read into memory. `name` is used in every error message. */
export interface DataSource {
  name: string;
  text: string;
}

export interface RawRecord {
  line: number;
  value: unknown;
}

export interface ParsedFile {
  format: FormatName;
  records: RawRecord[];
  errors: DataError[];
}

export interface ParseOptions {
  /** Overrides detection from the file name and content. */
  format?: FormatName;
  /** TSV: the first line contains column names (default true for `.tsv`, false otherwise). */
  header?: boolean;
  /** TSV: column names when the file has no header line. */
  columns?: readonly string[];
  /** TSV: columns converted to numbers (a cell that is not a number is a row error). */
  numeric?: readonly string[];
}

/** Picks the format from the extension (after `.gz`) and, for `.json` and `.txt`, the content. */
export function detectFormat(source: DataSource): FormatName {
  const name = source.name.replace(/\.gz$/i, '').toLowerCase();
  const first = source.text.trimStart()[0];
  if (name.endsWith('.jsonl') || name.endsWith('.ndjson')) return 'jsonl';
  // Some `.json` files contain JSON Lines. An object at the start marks them, where a JSON file starts with an array.
  if (name.endsWith('.json')) return first === '{' ? 'jsonl' : 'json';
  if (name.endsWith('.tsv')) return 'tsv';
  if (name.endsWith('.txt')) {
    const line = source.text.slice(0, source.text.indexOf('\n') >>> 0);
    return line.includes('\t') ? 'tsv' : 'text';
  }
  throw new FormatError(
    source.name,
    'cannot tell the format from the name; pass {format: "jsonl" | "json" | "tsv" | "text"}',
  );
}

export function parseSource(source: DataSource, options: ParseOptions = {}): ParsedFile {
  const format = options.format ?? detectFormat(source);
  switch (format) {
    case 'jsonl':
      return parseJsonLines(source);
    case 'json':
    case 'json-arrays':
      return parseJsonArrays(source);
    case 'tsv':
      return parseTsv(source, options);
    case 'text':
      return parseTextLines(source);
  }
}

function parseJsonLines(source: DataSource): ParsedFile {
  const records: RawRecord[] = [];
  const errors: DataError[] = [];
  const lines = source.text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line.length === 0) continue;
    try {
      records.push({ line: i + 1, value: JSON.parse(line) });
    } catch (error) {
      errors.push(
        new DataError(source.name, i + 1, '(row)', `is not valid JSON (${(error as Error).message})`),
      );
    }
  }
  return { format: 'jsonl', records, errors };
}

/**
 * Reads one JSON array or several written back to back (`[...][...]`). A scanner tracks strings and
 * nesting to find where each element starts and ends. Each element is then parsed on its own and keeps
 * its line number, so a bad element is one row error and the rest still load.
 */
function parseJsonArrays(source: DataSource): ParsedFile {
  const text = source.text;
  const records: RawRecord[] = [];
  const errors: DataError[] = [];
  let line = 1;
  let arrays = 0;
  let i = 0;

  const skipSpace = (): void => {
    while (i < text.length && /\s/.test(text[i])) {
      if (text[i] === '\n') line++;
      i++;
    }
  };

  for (skipSpace(); i < text.length; skipSpace()) {
    if (text[i] !== '[')
      throw new FormatError(
        source.name,
        `line ${line}: expected "[" to start a JSON array, found ${JSON.stringify(text[i])}`,
      );
    arrays++;
    i++;
    for (skipSpace(); text[i] !== ']'; skipSpace()) {
      const startLine = line;
      const start = i;
      const end = scanValue(text, i, source.name, startLine);
      line += countNewlines(text, start, end);
      i = end;
      try {
        records.push({ line: startLine, value: JSON.parse(text.slice(start, end)) });
      } catch (error) {
        errors.push(
          new DataError(source.name, startLine, '(row)', `is not valid JSON (${(error as Error).message})`),
        );
      }
      skipSpace();
      if (text[i] === ',') i++;
      else if (text[i] !== ']')
        throw new FormatError(source.name, `line ${line}: expected "," or "]" after an array element`);
    }
    i++;
  }
  if (arrays === 0)
    throw new FormatError(source.name, 'contains no JSON array; check that the file is not empty');
  return { format: arrays > 1 ? 'json-arrays' : 'json', records, errors };
}

/** Returns the index just past the JSON value that starts at `start`. */
function scanValue(text: string, start: number, file: string, line: number): number {
  let depth = 0;
  let i = start;
  for (; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      if (i >= text.length) break;
      if (depth === 0) return i + 1;
    } else if (c === '{' || c === '[') {
      depth++;
    } else if (c === '}' || c === ']') {
      if (depth === 0) return i;
      depth--;
      if (depth === 0) return i + 1;
    } else if (depth === 0 && (c === ',' || /\s/.test(c))) {
      return i;
    }
  }
  if (depth === 0) return i;
  throw new FormatError(file, `line ${line}: an array element is not closed before the end of the file`);
}

function countNewlines(text: string, start: number, end: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', start); i >= 0 && i < end; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function parseTsv(source: DataSource, options: ParseOptions): ParsedFile {
  const lines = source.text.split('\n');
  const header = options.header ?? (options.columns === undefined && /\.tsv(\.gz)?$/i.test(source.name));
  const columns = header ? lines[0].replace(/\r$/, '').split('\t') : options.columns;
  if (columns === undefined) {
    throw new FormatError(
      source.name,
      'is TSV without a header line; pass {columns: [...]} to name its columns',
    );
  }
  const numeric = new Set(options.numeric ?? []);
  const records: RawRecord[] = [];
  const errors: DataError[] = [];
  for (let i = header ? 1 : 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '');
    if (line.length === 0) continue;
    // No quoting: a tab always separates cells, and quotes are ordinary characters.
    const cells = line.split('\t');
    if (cells.length !== columns.length) {
      errors.push(
        new DataError(
          source.name,
          i + 1,
          '(columns)',
          `has ${cells.length} tab-separated cells, expected ${columns.length} (${columns.join(', ')})`,
        ),
      );
      continue;
    }
    const row: Record<string, string | number> = {};
    let bad: DataError | undefined;
    columns.forEach((column, c) => {
      const cell = cells[c];
      if (!numeric.has(column)) row[column] = cell;
      else if (cell.trim() !== '' && Number.isFinite(Number(cell))) row[column] = Number(cell);
      else
        bad ??= new DataError(source.name, i + 1, column, `expected a number, got ${JSON.stringify(cell)}`);
    });
    if (bad) errors.push(bad);
    else records.push({ line: i + 1, value: row });
  }
  return { format: 'tsv', records, errors };
}

/** Parses plain text into one record `{text}` per non-empty line. */
function parseTextLines(source: DataSource): ParsedFile {
  const records: RawRecord[] = [];
  source.text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim().length > 0) records.push({ line: i + 1, value: { text: line } });
  });
  return { format: 'text', records, errors: [] };
}
