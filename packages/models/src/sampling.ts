import { GenerationError } from './errors.js';

/** Settings that turn next-token logits into the distribution a token is drawn from. */
export interface SamplingOptions {
  /** Divides the logits; 0 means greedy (all mass on the first largest logit). Default 1. */
  temperature?: number;
  /** Keep only the k most likely tokens (0 or undefined: all). */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose mass reaches p (1 or undefined: all). */
  topP?: number;
}

/**
 * A seeded stream of uniform numbers in [0, 1) (xoshiro128**, seeded through splitmix32), so sampling
 * is reproducible on every backend: the same seed gives the same draws.
 */
export class SeededRandom {
  private readonly s = new Uint32Array(4);

  constructor(seed = 0) {
    if (!Number.isSafeInteger(seed) || seed < 0)
      throw new GenerationError('SeededRandom', `seed ${seed} must be a non-negative safe integer`);
    let x = (seed >>> 0) ^ Math.floor(seed / 2 ** 32);
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  private nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Returns a uniform number in [0, 1) with 53 random bits. */
  next(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

function checkOptions(options: SamplingOptions): Required<SamplingOptions> {
  const temperature = options.temperature ?? 1;
  const topK = options.topK ?? 0;
  const topP = options.topP ?? 1;
  if (!(temperature >= 0) || !Number.isFinite(temperature))
    throw new GenerationError('sampling', `temperature ${temperature} must be a finite number >= 0`);
  if (!Number.isInteger(topK) || topK < 0)
    throw new GenerationError(
      'sampling',
      `topK ${topK} must be a non-negative integer (0 keeps every token)`,
    );
  if (!(topP > 0 && topP <= 1)) throw new GenerationError('sampling', `topP ${topP} must be in (0, 1]`);
  return { temperature, topK, topP };
}

function argmaxOf(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** Zeroes every entry outside `keep` and rescales the rest to sum to one, in place. */
function renormalize(probs: Float64Array, keep: readonly number[]): void {
  let total = 0;
  for (const i of keep) total += probs[i];
  const kept = new Float64Array(probs.length);
  for (const i of keep) kept[i] = probs[i] / total;
  probs.set(kept);
}

/**
 * Returns the distribution a token is sampled from: softmax(logits / temperature), cut to the top k
 * tokens, renormalized, cut to the top-p nucleus, renormalized. Temperature 0 gives a one-hot on the
 * first largest logit. The result is a new array, and `logits` is not modified.
 */
export function samplingDistribution(logits: ArrayLike<number>, options: SamplingOptions = {}): Float64Array {
  const { temperature, topK, topP } = checkOptions(options);
  const n = logits.length;
  if (n === 0) throw new GenerationError('samplingDistribution', 'logits are empty');
  const probs = new Float64Array(n);
  if (temperature === 0) {
    probs[argmaxOf(logits)] = 1;
    return probs;
  }
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(logits[i]))
      throw new GenerationError(
        'samplingDistribution',
        `logit ${i} is NaN; the model produced invalid values`,
      );
    max = Math.max(max, logits[i]);
  }
  if (max === Number.NEGATIVE_INFINITY)
    throw new GenerationError('samplingDistribution', 'every logit is -inf, so no token can be drawn');
  let total = 0;
  for (let i = 0; i < n; i++) {
    probs[i] = Math.exp((logits[i] - max) / temperature);
    total += probs[i];
  }
  for (let i = 0; i < n; i++) probs[i] /= total;
  if (topK === 0 && topP === 1) return probs;

  // Stable order: ties keep the lower id first, so the cut is deterministic.
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => probs[b] - probs[a] || a - b);
  let keep = topK > 0 ? order.slice(0, Math.min(topK, n)) : order;
  if (topK > 0) renormalize(probs, keep);
  if (topP < 1) {
    let mass = 0;
    let size = 0;
    while (size < keep.length && mass < topP) mass += probs[keep[size++]];
    keep = keep.slice(0, Math.max(1, size));
    renormalize(probs, keep);
  }
  return probs;
}

/** Draws an index from `probs` (summing to one) by inverting the cumulative sum at u in [0, 1). */
export function sampleIndex(probs: ArrayLike<number>, u: number): number {
  let cumulative = 0;
  let last = -1;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i] <= 0) continue;
    cumulative += probs[i];
    last = i;
    if (u < cumulative) return i;
  }
  if (last < 0) throw new GenerationError('sampleIndex', 'the distribution has no positive entry');
  // u landed in the rounding gap above the last cumulative sum.
  return last;
}
