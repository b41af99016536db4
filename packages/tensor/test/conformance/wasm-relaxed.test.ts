// The relaxed-SIMD variant of the kernels (fused multiply-add in the matmul micro-kernel). Node 20
// validates relaxed SIMD only behind --experimental-wasm-relaxed-simd, so this file turns the flag on for
// its own worker process, so the variant is checked wherever the host supports it.
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import * as T from '../../src/index.js';
import { WasmBackend } from '../../src/index.js';
import { checkNoLeaks } from '../helpers.js';
import { expectClose, input } from './harness.js';

checkNoLeaks();
setFlagsFromString('--experimental-wasm-relaxed-simd');

describe('wasm relaxed simd', () => {
  it('plain module when disabled', () => {
    const plain = new WasmBackend({ threads: 1, relaxedSimd: false }, 'wasm-plain');
    expect(plain.features.has('relaxed-simd')).toBe(false);
    plain.dispose();
  });

  it('fused matmul matches the reference', async () => {
    const backend = new WasmBackend({ threads: 2 }, 'wasm-relaxed');
    T.registerBackend('wasm-relaxed', () => backend);
    // Where the flag cannot be set at run time, the backend falls back to plain SIMD: warn and stop.
    if (!backend.features.has('relaxed-simd')) {
      console.warn('relaxed SIMD did not validate in this process; only the fallback was checked');
      backend.dispose();
      return;
    }
    const a = input([70, 300], 1);
    const b = input([300, 45], 2);
    const [ra, rb] = await Promise.all([a.to('wasm-relaxed'), b.to('wasm-relaxed')]);
    T.scope(() => {
      // f32 sums of 300 products: within a few ulp of the double-precision reference per term
      expectClose(T.matmul(ra, rb), T.matmul(a, b), { atol: 2e-6 * Math.sqrt(300), rtol: 1e-5 });
      expectClose(T.matmul(T.transpose(rb), T.transpose(ra)), T.matmul(T.transpose(b), T.transpose(a)), { atol: 2e-6 * Math.sqrt(300), rtol: 1e-5 });
    });
    for (const t of [a, b, ra, rb]) t.dispose();
    backend.dispose();
  });
});
