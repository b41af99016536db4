import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DataError,
  detectFormat,
  FormatError,
  parseDataset,
  parseRows,
  PreferencePair,
  sourceFromBytes,
} from '../src/index.js';
import { loadDataset, readSource } from '../src/node.js';

const dir = mkdtempSync(join(tmpdir(), 'lab-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Awaits a load that must fail and returns its DataError, for field-by-field assertions. */
async function errorOf(promise: Promise<unknown>): Promise<DataError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DataError);
  return error as DataError;
}

describe('malformed rows name file, line and field', () => {
  it('reports invalid JSON on its line', async () => {
    const path = write(
      'bad-json.jsonl',
      '{"prompt": "p", "completion": "c"}\n{"prompt": "p", "completion": \n',
    );
    const error = await errorOf(loadDataset(path, 'prompt-completion'));
    expect(error.file).toBe(path);
    expect(error.line).toBe(2);
    expect(error.field).toBe('(row)');
    expect(error.reason).toMatch(/not valid JSON/);
  });

  it('reports a missing field', async () => {
    const path = write(
      'missing.jsonl',
      '{"prompt": "p", "chosen": "a", "rejected": "b"}\n\n{"prompt": "p", "chosen": "a"}\n',
    );
    const error = await errorOf(loadDataset(path, 'preference'));
    expect(error.line).toBe(3);
    expect(error.field).toBe('rejected');
    expect(error.reason).toBe('is missing');
  });

  it('reports a wrong type with the value', async () => {
    const path = write('type.jsonl', '{"prompt": "p", "chosen": "a", "rejected": "b", "tie": "yes"}\n');
    const error = await errorOf(loadDataset(path, 'preference'));
    expect(error.line).toBe(1);
    expect(error.field).toBe('tie');
    expect(error.reason).toBe('expected boolean, got string "yes"');
  });

  it('reports an empty completion', async () => {
    const path = write('empty.jsonl', '{"prompt": "p", "completion": ""}\n');
    const error = await errorOf(loadDataset(path, 'prompt-completion'));
    expect(error.field).toBe('completion');
    expect(error.reason).toMatch(/length of at least 1/);
  });

  it('reports a nested field by path', async () => {
    const rows = [
      {
        prompt: 'p',
        candidates: [
          { text: 'a', score: 1 },
          { text: 'b', score: 'high' },
        ],
      },
    ];
    const path = write('nested.json', JSON.stringify(rows, null, 2));
    const error = await errorOf(loadDataset(path, 'rated-comparison'));
    expect(error.field).toBe('candidates.1.score');
    expect(error.line).toBe(2);
  });

  it('reports a JSON array element on its line', async () => {
    const path = write('array.json', '[\n {"text": "a"},\n {"text": 5},\n {"text": "c"}\n]\n');
    const error = await errorOf(loadDataset(path, 'text'));
    expect(error.line).toBe(3);
    expect(error.field).toBe('text');
  });

  it('reports a TSV row with too many cells', async () => {
    const path = write('cells.txt', 'good row\t1\nbad\trow\t0\n');
    const error = await errorOf(
      loadDataset(path, 'labelled', { columns: ['text', 'label'], numeric: ['label'] }),
    );
    expect(error.line).toBe(2);
    expect(error.field).toBe('(columns)');
    expect(error.reason).toMatch(/3 tab-separated cells, expected 2/);
  });

  it('reports a TSV cell that is not a number', async () => {
    const path = write('label.tsv', 'text\tlabel\nfine\t1\nodd\tpositive\n');
    const error = await errorOf(loadDataset(path, 'labelled', { numeric: ['label'] }));
    expect(error.line).toBe(3);
    expect(error.field).toBe('label');
  });

  it('names the file field after renaming', async () => {
    const path = write('renamed.jsonl', '{"instruction": 7, "output": "x"}\n');
    const error = await errorOf(
      loadDataset(path, 'prompt-completion', { fields: { prompt: 'instruction', completion: 'output' } }),
    );
    expect(error.field).toBe('instruction');
  });

  it('puts file and line in the message', async () => {
    const path = write('message.jsonl', '{"text": 1}\n');
    const error = await errorOf(loadDataset(path, 'text'));
    expect(error.message).toContain(`${path}:1: field "text"`);
  });
});

describe('skipping bad rows', () => {
  it('counts loaded and rejected rows', async () => {
    const lines = [
      '{"prompt": "p1", "completion": "c1"}',
      '{"prompt": "p2"}',
      'not json',
      '{"prompt": "p4", "completion": "c4"}',
      '{"prompt": 5, "completion": "c5"}',
    ];
    const result = await loadDataset(write('mixed.jsonl', lines.join('\n')), 'prompt-completion', {
      onInvalid: 'skip',
    });
    expect(result.loaded).toBe(2);
    expect(result.rejected).toBe(3);
    expect(result.lines).toEqual([1, 4]);
    expect(result.rejections.map((e) => [e.line, e.field])).toEqual([
      [2, 'completion'],
      [3, '(row)'],
      [5, 'prompt'],
    ]);
  });

  it('throws the first bad row in file order', async () => {
    const text = '{"text": 1}\nnot json\n';
    const error = await errorOf(loadDataset(write('order.jsonl', text), 'text'));
    expect(error.line).toBe(1);
  });

  it('rejects a file with no rows', async () => {
    await expect(loadDataset(write('empty.jsonl', '\n\n'), 'text')).rejects.toThrow(FormatError);
  });
});

describe('format detection and parsing', () => {
  it('reads concatenated JSON arrays with line numbers', () => {
    const text = '[{"text": "a"},\n{"text": "b"}]\n[{"text": "c"}]\n[\n{"text": "d"}]';
    const result = parseDataset({ name: 'multi.json', text }, 'text');
    expect(result.format).toBe('json-arrays');
    expect(result.rows.map((r) => r.text)).toEqual(['a', 'b', 'c', 'd']);
    expect(result.lines).toEqual([1, 2, 3, 5]);
  });

  it('reads JSON Lines stored as .json', () => {
    expect(detectFormat({ name: 'bfcl.json', text: '{"a": 1}\n{"a": 2}\n' })).toBe('jsonl');
    expect(detectFormat({ name: 'x.json', text: '  [1]' })).toBe('json');
  });

  it('sees tabs in .txt as TSV', () => {
    expect(detectFormat({ name: 'imdb_labelled.txt', text: 'great\t1\n' })).toBe('tsv');
    expect(detectFormat({ name: 'input.txt', text: 'First Citizen:\n' })).toBe('text');
  });

  it('keeps quotes in unquoted TSV', () => {
    const result = parseDataset({ name: 'q.tsv', text: 'text\tlabel\n"quoted\t1\n' }, 'labelled');
    expect(result.rows[0].text).toBe('"quoted');
  });

  it('refuses an unknown extension', () => {
    expect(() => detectFormat({ name: 'data.parquet', text: '' })).toThrow(/pass \{format/);
  });

  it('reads gzip through node:zlib', async () => {
    const path = join(dir, 'rows.jsonl.gz');
    writeFileSync(path, gzipSync('{"text": "zipped"}\n'));
    const result = await loadDataset(path, 'text');
    expect(result.rows).toEqual([{ text: 'zipped' }]);
    expect((await readSource(path)).text).toBe('{"text": "zipped"}\n');
  });

  it('drops a byte-order mark from files', async () => {
    const path = write('bom.jsonl', '\uFEFF{"text": "first"}\n');
    const result = await loadDataset(path, 'text');
    expect(result.rows).toEqual([{ text: 'first' }]);
  });

  it('reads gzip through DecompressionStream', async () => {
    const source = await sourceFromBytes('rows.jsonl.gz', new Uint8Array(gzipSync('{"text": "web"}\n')));
    expect(source.text).toBe('{"text": "web"}\n');
  });

  it('reports a broken gzip file', async () => {
    const path = join(dir, 'broken.jsonl.gz');
    writeFileSync(path, gzipSync('{"text": "x"}\n').subarray(0, 12));
    await expect(readSource(path)).rejects.toThrow(/not valid gzip/);
  });

  it('validates against any schema', () => {
    const result = parseRows(
      { name: 'p.jsonl', text: '{"prompt": "", "chosen": "a", "rejected": "b", "extra": 1}\n' },
      PreferencePair,
    );
    expect(result.rows).toEqual([{ prompt: '', chosen: 'a', rejected: 'b' }]);
  });
});
