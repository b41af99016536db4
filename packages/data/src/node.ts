// Node-only entry point (`@lab/data/node`): read data files and tokenizers from paths.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { isGzip } from './bytes-source.js';
import { parseAlpacaEvalJudgments, parseAlpacaEvalOutputs, parseHhRlhf } from './datasets/preference.js';
import { type MqmResult, type MqmWeights, parseMqm } from './datasets/mqm.js';
import { type ForgetRetainSets, parseGsm8k, parseTofuMultipleChoice, parseTofuQa } from './datasets/qa.js';
import { parseSentimentSentences, parseTinyShakespeare, parseWikiText } from './datasets/text.js';
import { FormatError } from './errors.js';
import type { DataSource } from './formats.js';
import { type LoadOptions, type LoadResult, parseDataset } from './load.js';
import { type CheckOptions, checkSource, type DataReport } from './preflight.js';
import type { KindName, QaRow, RowOf } from './schema.js';
import { Llama2Tokenizer } from './tokenizer/llama2.js';

/**
 * Reads a file as UTF-8 text and gunzips it when its bytes start with the gzip magic number, whatever
 * its name. A leading byte-order mark is dropped, as the web TextDecoder does.
 */
export async function readSource(path: string): Promise<DataSource> {
  const bytes = await readFile(path);
  const text = (raw: Buffer) => raw.toString('utf8').replace(/^\uFEFF/, '');
  if (!isGzip(bytes)) return { name: path, text: text(bytes) };
  try {
    return { name: path, text: text(gunzipSync(bytes)) };
  } catch (error) {
    throw new FormatError(
      path,
      `is not valid gzip (${(error as Error).message}); check the file is complete`,
    );
  }
}

export async function loadDataset<K extends KindName>(
  path: string,
  kind: K,
  options: LoadOptions = {},
): Promise<LoadResult<RowOf<K>>> {
  return parseDataset(await readSource(path), kind, options);
}

export async function checkData<K extends KindName>(
  path: string,
  options: CheckOptions<K>,
): Promise<DataReport> {
  return checkSource(await readSource(path), options);
}

export async function loadLlama2Tokenizer(
  path: string,
  options: { vocabSize?: number } = {},
): Promise<Llama2Tokenizer> {
  return Llama2Tokenizer.fromBytes(new Uint8Array(await readFile(path)), options);
}

/**
 * Path of a file in the repository's `data/` folder, e.g. `dataPath('tofu/forget10.json')`.
 * `LAB_DATA_DIR` overrides the folder. The published package ships no data, so outside the
 * repository set LAB_DATA_DIR or pass your own paths to the loaders.
 */
export function dataPath(name: string): string {
  const root = process.env.LAB_DATA_DIR ?? findDataRoot();
  const path = join(root, name);
  if (!existsSync(path)) {
    throw new FormatError(
      path,
      `does not exist; data/README.md lists the shipped files (data folder ${root}, override with LAB_DATA_DIR)`,
    );
  }
  return path;
}

function findDataRoot(): string {
  // The repository root is the first folder above this file that contains both data/ and packages/.
  // Checking for packages/ too keeps packages/data itself from matching.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 6; up++) {
    if (existsSync(join(dir, 'data', 'README.md')) && existsSync(join(dir, 'packages')))
      return join(dir, 'data');
    dir = resolve(dir, '..');
  }
  throw new FormatError(
    'data/',
    'no data folder found above @lab/data; set LAB_DATA_DIR to the folder that holds the data files',
  );
}

/** Returns the path of `name` in `dir`, or of `name.gz` when only the compressed file exists. */
function pick(dir: string, name: string): string {
  for (const candidate of [name, `${name}.gz`])
    if (existsSync(join(dir, candidate))) return join(dir, candidate);
  throw new FormatError(join(dir, name), 'does not exist, plain or as .gz');
}

export const loadHhRlhf = async (path: string, options: LoadOptions = {}) =>
  parseHhRlhf(await readSource(path), options);
export const loadAlpacaEvalJudgments = async (path: string, options: LoadOptions = {}) =>
  parseAlpacaEvalJudgments(await readSource(path), options);
export const loadAlpacaEvalOutputs = async (path: string, options: LoadOptions = {}) =>
  parseAlpacaEvalOutputs(await readSource(path), options);
export const loadGsm8k = async (path: string, options: LoadOptions = {}) =>
  parseGsm8k(await readSource(path), options);
export const loadTofuQa = async (path: string, options: LoadOptions = {}) =>
  parseTofuQa(await readSource(path), options);
export const loadTofuMultipleChoice = async (path: string, options: LoadOptions = {}) =>
  parseTofuMultipleChoice(await readSource(path), options);
export const loadWikiText = async (path: string, options: Pick<LoadOptions, 'onInvalid'> = {}) =>
  parseWikiText(await readSource(path), options);
export const loadTinyShakespeare = async (path: string, options: Pick<LoadOptions, 'onInvalid'> = {}) =>
  parseTinyShakespeare(await readSource(path), options);
export const loadSentimentSentences = async (path: string, options: LoadOptions & { client?: string } = {}) =>
  parseSentimentSentences(await readSource(path), options);

export async function loadMqm(
  path: string,
  options: LoadOptions & { weights?: MqmWeights } = {},
): Promise<MqmResult> {
  return parseMqm(await readSource(path), options);
}

/**
 * TOFU forget/retain/holdout sets from one folder: `forget{pct}`, `retain{100 - pct}` and
 * `holdout{pct}` (each `.json` or `.json.gz`), for pct 01, 05 or 10.
 *
 * TOFU's full set is retain90 followed by forget10, and forget05/forget01 are the last 200/40 rows
 * of forget10. So when `retain95`/`retain99` is absent it is rebuilt as retain90 plus the rows of
 * forget10 that precede the forget split, after checking that the split is the tail of forget10.
 */
export async function loadTofu(
  dir: string,
  forget: '01' | '05' | '10' = '10',
  options: LoadOptions = {},
): Promise<ForgetRetainSets> {
  const retainName = `retain${100 - Number(forget)}.json`;
  const forgetSet = await loadTofuQa(pick(dir, `forget${forget}.json`), options);
  const holdout = await loadTofuQa(pick(dir, `holdout${forget}.json`), options);
  const hasRetain = existsSync(join(dir, retainName)) || existsSync(join(dir, `${retainName}.gz`));
  const retain = hasRetain
    ? await loadTofuQa(pick(dir, retainName), options)
    : await rebuildRetain(dir, forgetSet, options);
  return { forget: forgetSet, retain, holdout };
}

async function rebuildRetain(
  dir: string,
  forgetSet: LoadResult<QaRow>,
  options: LoadOptions,
): Promise<LoadResult<QaRow>> {
  const retain90 = await loadTofuQa(pick(dir, 'retain90.json'), options);
  const forget10 = await loadTofuQa(pick(dir, 'forget10.json'), options);
  const keep = forget10.rows.length - forgetSet.rows.length;
  const tail = forget10.rows.slice(keep);
  const matches = tail.every(
    (row, i) => row.question === forgetSet.rows[i].question && row.answer === forgetSet.rows[i].answer,
  );
  if (keep < 0 || !matches) {
    throw new FormatError(
      forgetSet.file,
      'is not the tail of forget10, so the matching retain set cannot be rebuilt; supply the retain file',
    );
  }
  return {
    ...retain90,
    file: `${retain90.file} + ${forget10.file} rows 1-${keep}`,
    rows: [...retain90.rows, ...forget10.rows.slice(0, keep)],
    lines: [...retain90.lines, ...forget10.lines.slice(0, keep)],
    loaded: retain90.loaded + keep,
  };
}

export type { DataSource };
