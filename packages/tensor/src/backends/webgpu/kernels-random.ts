import { castScalar } from '../../dtype.js';
import { BackendError } from '../../errors.js';
import type { GpuKernelTable } from './kernel.js';
import { runMap, SCALAR_AT } from './map.js';
import { readWord, scalarType } from './wgsl.js';

/**
 * Philox4x32-10 with the cpu backend's layout: element i of a draw is lane i mod 4 of the block at
 * counter + floor(i / 4) (a 64-bit counter in two words, upper words zero) under key (k0, k1), and
 * becomes (word >> 8) * 2^-24. Scalars: key0, key1, counter low word, counter high word.
 */
const PHILOX = /* wgsl */ `
fn mul_hi(a: u32, b: u32) -> u32 {
  let a_lo = a & 0xffffu;
  let a_hi = a >> 16u;
  let b_lo = b & 0xffffu;
  let b_hi = b >> 16u;
  let lo_lo = a_lo * b_lo;
  let hi_lo = a_hi * b_lo;
  let lo_hi = a_lo * b_hi;
  let cross = (lo_lo >> 16u) + (hi_lo & 0xffffu) + (lo_hi & 0xffffu);
  return a_hi * b_hi + (hi_lo >> 16u) + (lo_hi >> 16u) + (cross >> 16u);
}
fn philox_unit(g: u32) -> f32 {
  let base = m(${SCALAR_AT + 2}u);
  let lo = base + (g >> 2u);
  var x0 = lo;
  var x1 = m(${SCALAR_AT + 3}u) + select(0u, 1u, lo < base);
  var x2 = 0u;
  var x3 = 0u;
  var k0 = m(${SCALAR_AT}u);
  var k1 = m(${SCALAR_AT + 1}u);
  for (var round = 0; round < 10; round++) {
    let hi0 = mul_hi(0xd2511f53u, x0);
    let lo0 = 0xd2511f53u * x0;
    let hi1 = mul_hi(0xcd9e8d57u, x2);
    let lo1 = 0xcd9e8d57u * x2;
    x0 = hi1 ^ x1 ^ k0;
    x1 = lo1;
    x2 = hi0 ^ x3 ^ k1;
    x3 = lo0;
    k0 += 0x9e3779b9u;
    k1 += 0xbb67ae85u;
  }
  let lane = g & 3u;
  let word = select(select(select(x3, x2, lane == 2u), x1, lane == 1u), x0, lane == 0u);
  return f32(word >> 8u) * (1.0 / 16777216.0);
}
`;

export const RANDOM_KERNELS: GpuKernelTable<'uniform' | 'full'> = {
  uniform: (ctx, _inputs, { key, counter }, out) => {
    if (out.dtype !== 'f32')
      throw new BackendError('webgpu', `uniform: dtype ${out.dtype} is not supported; draw f32`);
    if (!Number.isSafeInteger(counter) || counter < 0)
      throw new BackendError('webgpu', `uniform: counter ${counter} is not a non-negative safe integer`);
    const scalars = [
      { value: key[0], type: 'u32' as const },
      { value: key[1], type: 'u32' as const },
      { value: counter % 2 ** 32, type: 'u32' as const },
      { value: Math.floor(counter / 2 ** 32), type: 'u32' as const },
    ];
    return runMap(ctx, {
      op: 'uniform',
      key: 'philox',
      inputs: [],
      outShape: out.shape,
      outDtype: 'f32',
      expr: 'philox_unit(g)',
      helpers: PHILOX,
      scalars,
    });
  },
  full: (ctx, _inputs, { value }, out) => {
    const scalar = { value: castScalar(value, out.dtype), type: scalarType(out.dtype) };
    const read = readWord(out.dtype, SCALAR_AT);
    return runMap(ctx, {
      op: 'full',
      key: 'full',
      inputs: [],
      outShape: out.shape,
      outDtype: out.dtype,
      expr: read,
      scalars: [scalar],
    });
  },
};
