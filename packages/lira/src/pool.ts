/**
 * The experiment's text: a candidate pool of fixed-length byte chunks cut from one file, and
 * pretraining chunks cut from another, so the base model never trains on a candidate. Each row is BOS
 * followed by `chunkBytes` bytes, the same tokenisation and context for training and scoring.
 */
import { ByteTokenizer, permutation, type TokenizedExample } from '@lab/data';
import { LiraInputError } from './errors.js';
import { hashJson } from './store.js';

/** Cuts text into non-overlapping chunks of `chunkBytes` bytes (the tail that does not fill one is dropped). */
export function byteChunks(text: string, chunkBytes: number): TokenizedExample[] {
  const tokenizer = new ByteTokenizer();
  const ids = tokenizer.encode(text);
  const bos = tokenizer.special.bos ?? 256;
  const rows: TokenizedExample[] = [];
  for (let start = 0; start + chunkBytes <= ids.length; start += chunkBytes)
    rows.push({ prompt: [bos], completion: ids.slice(start, start + chunkBytes) });
  return rows;
}

/** `count` chunks drawn without replacement with a seeded shuffle. */
export function drawChunks(
  rows: readonly TokenizedExample[],
  count: number,
  seed: number,
  what: string,
): TokenizedExample[] {
  if (count > rows.length)
    throw new LiraInputError(
      'drawChunks',
      `${what} size`,
      count,
      `exceeds the ${rows.length} chunks in the text; lower it or use a longer file`,
    );
  return permutation(rows.length, seed, 0)
    .slice(0, count)
    .map((i) => rows[i]);
}

/** Hash of a list of token rows, for store keys. */
export function rowsHash(rows: readonly TokenizedExample[]): string {
  return hashJson(rows.map((r) => [r.prompt, r.completion]));
}
