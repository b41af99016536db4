/**
 * Collation: tokenized prompt/completion rows -> right-padded batches with attention and loss masks.
 *
 * Convention. `ids` (B, T) holds each row's tokens, truncated on its own and then right-padded.
 * A model reads `inputs = ids[:, :-1]` and its logits at position t predict `labels[:, t] = ids[:, t+1]`.
 * `lossMask[:, t] = 1` exactly when `labels[:, t]` is a completion token, so prompt tokens and padding
 * never enter the loss. Every row keeps at least one completion token that some position predicts;
 * a row that cannot is a CollateError naming it, never a row of zeros that would divide by 0 later.
 */
import { fromArray, type Tensor } from '@lab/tensor';
import { CollateError } from './errors.js';
import type { Sequence } from './schema.js';
import type { Tokenizer } from './tokenizer/tokenizer.js';

export interface TokenizedExample {
  prompt: readonly number[];
  completion: readonly number[];
}

export interface TokenizedPair {
  prompt: readonly number[];
  chosen: readonly number[];
  rejected: readonly number[];
  tie?: boolean;
}

/** 'keep-start' keeps the first maxLength tokens of a row, 'keep-end' the last maxLength. */
export type Truncation = 'keep-start' | 'keep-end';

export interface CollateOptions {
  /** Maximum row length after truncation, in tokens, counting the first token that nothing predicts. */
  maxLength?: number;
  truncation?: Truncation;
  /** Id written into padding positions (default 0); the masks keep it out of every loss. */
  padId?: number;
  /** Pad every batch to maxLength instead of to its longest row. */
  padToMaxLength?: boolean;
}

export interface TruncatedRow {
  ids: number[];
  /** Index of the first completion token in `ids`. */
  completionStart: number;
}

/**
 * Truncates one row. Returns a reason string instead when no completion token at position >= 1
 * would survive (position 0 is never a label, so it cannot carry loss).
 */
export function truncateRow(
  example: TokenizedExample,
  maxLength: number | undefined,
  truncation: Truncation = 'keep-end',
): TruncatedRow | string {
  const all = [...example.prompt, ...example.completion];
  const limit = maxLength ?? all.length;
  let ids = all;
  let completionStart = example.prompt.length;
  if (all.length > limit) {
    if (truncation === 'keep-start') {
      ids = all.slice(0, limit);
      completionStart = Math.min(completionStart, limit);
    } else {
      const dropped = all.length - limit;
      ids = all.slice(dropped);
      completionStart = Math.max(0, completionStart - dropped);
    }
  }
  const predicted = ids.length - Math.max(completionStart, 1);
  if (predicted >= 1) return { ids, completionStart };
  return (
    `keeps no completion token that a label can cover (prompt ${example.prompt.length} tokens, completion ` +
    `${example.completion.length}, maxLength ${maxLength ?? 'none'}, ${truncation}); raise maxLength, use keep-end, or shorten the prompt`
  );
}

export interface CollatedArrays {
  batchSize: number;
  /** T, the padded length. */
  length: number;
  ids: Int32Array; // (B, T)
  attentionMask: Float32Array; // (B, T)
  completionMask: Float32Array; // (B, T)
  /** Unpadded length of each row after truncation. */
  rowLengths: number[];
}

/** Truncates and pads rows into row-major arrays. `label(i)` names row i in errors. */
export function collateArrays(
  examples: readonly TokenizedExample[],
  options: CollateOptions = {},
  label: (i: number) => string = (i) => `row ${i}`,
): CollatedArrays {
  checkOptions(options);
  if (examples.length === 0) throw new CollateError(-1, 'got no rows; a batch needs at least one');
  const rows = examples.map((example, i) => {
    const row = truncateRow(example, options.maxLength, options.truncation);
    if (typeof row === 'string') throw new CollateError(i, `${label(i)} ${row}`);
    return row;
  });
  const longest = Math.max(...rows.map((r) => r.ids.length));
  const T = options.padToMaxLength && options.maxLength !== undefined ? options.maxLength : longest;
  const B = rows.length;
  const ids = new Int32Array(B * T).fill(options.padId ?? 0);
  const attentionMask = new Float32Array(B * T);
  const completionMask = new Float32Array(B * T);
  rows.forEach((row, b) => {
    for (let t = 0; t < row.ids.length; t++) {
      ids[b * T + t] = row.ids[t];
      attentionMask[b * T + t] = 1;
      if (t >= row.completionStart) completionMask[b * T + t] = 1;
    }
  });
  return {
    batchSize: B,
    length: T,
    ids,
    attentionMask,
    completionMask,
    rowLengths: rows.map((r) => r.ids.length),
  };
}

/** A collated batch as tensors; see the module comment for the shift convention. */
export interface Batch {
  ids: Tensor; // (B, T) i32
  attentionMask: Tensor; // (B, T) f32, 1 on real tokens
  completionMask: Tensor; // (B, T) f32, 1 on completion tokens
  inputs: Tensor; // (B, T-1) i32, ids[:, :-1]
  inputMask: Tensor; // (B, T-1) f32, attentionMask[:, :-1]
  labels: Tensor; // (B, T-1) i32, ids[:, 1:]
  lossMask: Tensor; // (B, T-1) f32, completionMask[:, 1:]
}

export function collate(examples: readonly TokenizedExample[], options: CollateOptions = {}): Batch {
  return toBatch(collateArrays(examples, options));
}

export interface PreferenceBatch {
  chosen: Batch;
  rejected: Batch;
  tie: Tensor; // (B) f32, 1 for tied pairs
}

/** Collates chosen and rejected rows to one common length T, so the two batches can be stacked. */
export function collatePreference(
  pairs: readonly TokenizedPair[],
  options: CollateOptions = {},
): PreferenceBatch {
  const B = pairs.length;
  const rows = [
    ...pairs.map((p) => ({ prompt: p.prompt, completion: p.chosen })),
    ...pairs.map((p) => ({ prompt: p.prompt, completion: p.rejected })),
  ];
  const arrays = collateArrays(rows, options, (i) =>
    i < B ? `pair ${i} (chosen)` : `pair ${i - B} (rejected)`,
  );
  const T = arrays.length;
  const half = (a: Int32Array | Float32Array, second: boolean) =>
    a.subarray(second ? B * T : 0, second ? 2 * B * T : B * T);
  const part = (second: boolean): CollatedArrays => ({
    batchSize: B,
    length: T,
    ids: half(arrays.ids, second) as Int32Array,
    attentionMask: half(arrays.attentionMask, second) as Float32Array,
    completionMask: half(arrays.completionMask, second) as Float32Array,
    rowLengths: arrays.rowLengths.slice(second ? B : 0, second ? 2 * B : B),
  });
  const tie = fromArray(
    Float32Array.from(pairs, (p) => (p.tie ? 1 : 0)),
    [B],
    { dtype: 'f32' },
  );
  return { chosen: toBatch(part(false)), rejected: toBatch(part(true)), tie };
}

function toBatch(a: CollatedArrays): Batch {
  const B = a.batchSize;
  const T = a.length;
  const shifted = <A extends Int32Array | Float32Array>(src: A, from: number, make: (n: number) => A): A => {
    const out = make(B * (T - 1));
    for (let b = 0; b < B; b++) out.set(src.subarray(b * T + from, b * T + from + T - 1), b * (T - 1));
    return out;
  };
  const i32 = (n: number) => new Int32Array(n);
  const f32 = (n: number) => new Float32Array(n);
  return {
    ids: fromArray(a.ids, [B, T], { dtype: 'i32' }),
    attentionMask: fromArray(a.attentionMask, [B, T], { dtype: 'f32' }),
    completionMask: fromArray(a.completionMask, [B, T], { dtype: 'f32' }),
    inputs: fromArray(shifted(a.ids, 0, i32), [B, T - 1], { dtype: 'i32' }),
    inputMask: fromArray(shifted(a.attentionMask, 0, f32), [B, T - 1], { dtype: 'f32' }),
    labels: fromArray(shifted(a.ids, 1, i32), [B, T - 1], { dtype: 'i32' }),
    lossMask: fromArray(shifted(a.completionMask, 1, f32), [B, T - 1], { dtype: 'f32' }),
  };
}

function checkOptions(options: CollateOptions): void {
  const { maxLength, truncation } = options;
  if (maxLength !== undefined && !(Number.isInteger(maxLength) && maxLength >= 2)) {
    throw new CollateError(
      -1,
      `maxLength must be an integer >= 2 (one input and one label), got ${maxLength}`,
    );
  }
  if (truncation !== undefined && truncation !== 'keep-start' && truncation !== 'keep-end') {
    throw new CollateError(
      -1,
      `truncation must be 'keep-start' or 'keep-end', got ${JSON.stringify(truncation)}`,
    );
  }
  if (options.padToMaxLength && maxLength === undefined)
    throw new CollateError(-1, 'padToMaxLength needs maxLength');
}

/**
 * Tokenizes a prompt and its completion separately, so the boundary between them is exact: bos
 * before the prompt, eos after the completion, and the completion encoded as a continuation.
 */
export function tokenizeExample(
  tokenizer: Tokenizer,
  sequence: Sequence,
  options: { bos?: boolean; eos?: boolean } = {},
): TokenizedExample {
  const bos = options.bos ?? tokenizer.special.bos !== undefined;
  const eos = options.eos ?? tokenizer.special.eos !== undefined;
  if (sequence.prompt === '') {
    return {
      prompt: bos ? [tokenizer.special.bos!] : [],
      completion: tokenizer.encode(sequence.completion, { eos }),
    };
  }
  return {
    prompt: tokenizer.encode(sequence.prompt, { bos }),
    completion: tokenizer.encode(sequence.completion, { eos, continuation: true }),
  };
}
