/**
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011): a counter-based
 * generator. Block `counter` under key (k0, k1) yields four 32-bit words, so element i of a draw is a
 * pure function of (key, counter + floor(i / 4), i mod 4) and every backend can compute it alone.
 */

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product of two unsigned 32-bit integers. */
export function mulHi(a: number, b: number): number {
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const bLo = b & 0xffff;
  const bHi = b >>> 16;
  const loLo = aLo * bLo;
  const hiLo = aHi * bLo;
  const loHi = aLo * bHi;
  const hiHi = aHi * bHi;
  const cross = (loLo >>> 16) + (hiLo & 0xffff) + (loHi & 0xffff);
  return (hiHi + (hiLo >>> 16) + (loHi >>> 16) + Math.floor(cross / 65536)) >>> 0;
}

/** Writes the four words of counter block (c0, c1, c2, c3) under key (k0, k1) into `out`. */
export function philoxBlock(counter: readonly number[], k0: number, k1: number, out: Uint32Array): void {
  let x0 = counter[0] >>> 0;
  let x1 = counter[1] >>> 0;
  let x2 = counter[2] >>> 0;
  let x3 = counter[3] >>> 0;
  let key0 = k0 >>> 0;
  let key1 = k1 >>> 0;
  for (let round = 0; round < 10; round++) {
    const hi0 = mulHi(M0, x0);
    const lo0 = Math.imul(M0, x0) >>> 0;
    const hi1 = mulHi(M1, x2);
    const lo1 = Math.imul(M1, x2) >>> 0;
    x0 = (hi1 ^ x1 ^ key0) >>> 0;
    x1 = lo1;
    x2 = (hi0 ^ x3 ^ key1) >>> 0;
    x3 = lo0;
    key0 = (key0 + W0) >>> 0;
    key1 = (key1 + W1) >>> 0;
  }
  out[0] = x0;
  out[1] = x1;
  out[2] = x2;
  out[3] = x3;
}

/** Maps a 32-bit word to [0, 1) using its top 24 bits, which every float32 holds exactly. */
export function wordToUnit(word: number): number {
  return (word >>> 8) * 2 ** -24;
}

/** Fills `out` with uniform [0, 1) numbers for elements 0..n-1 of a draw starting at block `counter`. */
export function philoxUniform(key: readonly [number, number], counter: number, out: Float32Array | Float64Array): void {
  const block = new Uint32Array(4);
  const words = [0, 0, 0, 0];
  for (let i = 0; i < out.length; i += 4) {
    const c = counter + i / 4;
    words[0] = c % 2 ** 32;
    words[1] = Math.floor(c / 2 ** 32);
    philoxBlock(words, key[0], key[1], block);
    for (let lane = 0; lane < 4 && i + lane < out.length; lane++) out[i + lane] = wordToUnit(block[lane]);
  }
}
