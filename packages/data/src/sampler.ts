/**
 * Seeded shuffling and batching. Numbers come from a counter-based generator: the value at counter
 * i depends only on (seed, stream, i), so an order can be recomputed for any epoch without replaying
 * earlier draws, and the same seed always gives the same order.
 */
import { CollateError } from './errors.js';

const GOLDEN = 0x9e3779b9;

/** Mixes a 32-bit word so that every input bit flips about half the output bits (murmur3-style finalizer). */
function fmix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

function hashWords(words: readonly number[], salt: number): number {
  let h = fmix32(salt);
  for (const w of words) h = fmix32((h ^ (w >>> 0)) + GOLDEN);
  return h;
}

/** Uniform number in [0, 1) with 53 random bits, a pure function of its arguments. */
export function uniformAt(seed: number, stream: number, counter: number): number {
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new CollateError(-1, `seed must be a non-negative safe integer, got ${seed}`);
  const words = [
    seed % 2 ** 32,
    Math.floor(seed / 2 ** 32),
    stream,
    counter % 2 ** 32,
    Math.floor(counter / 2 ** 32),
  ];
  const high = hashWords(words, 1);
  const low = hashWords(words, 2);
  return (high * 2 ** 21 + (low >>> 11)) / 2 ** 53;
}

/** Returns a Fisher-Yates permutation of 0..n-1. Each `epoch` gets its own independent order. */
export function permutation(n: number, seed: number, epoch = 0): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(uniformAt(seed, epoch, i) * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

export interface BatchOptions {
  batchSize: number;
  seed?: number;
  epoch?: number;
  /** Shuffle before batching (default true). */
  shuffle?: boolean;
  /** Drop a last batch smaller than batchSize (default false). */
  dropLast?: boolean;
}

/** Row indices grouped into batches, in a seeded order. */
export function batchIndices(n: number, options: BatchOptions): number[][] {
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new CollateError(-1, `batchSize must be a positive integer, got ${batchSize}`);
  const order =
    (options.shuffle ?? true)
      ? permutation(n, options.seed ?? 0, options.epoch ?? 0)
      : Array.from({ length: n }, (_, i) => i);
  const batches: number[][] = [];
  for (let start = 0; start < n; start += batchSize) {
    const batch = order.slice(start, start + batchSize);
    if (batch.length === batchSize || !options.dropLast) batches.push(batch);
  }
  return batches;
}

/** Groups the rows themselves into seeded batches: `batches(rows, {batchSize: 8, seed: 1})`. */
export function batches<A>(rows: readonly A[], options: BatchOptions): A[][] {
  return batchIndices(rows.length, options).map((batch) => batch.map((i) => rows[i]));
}
