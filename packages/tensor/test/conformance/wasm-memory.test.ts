// The wasm backend's memory: buffers return to the allocator, freed blocks are reused, the memory grows
// with the live views staying correct, and the limit and misuse give errors that say what to do.
import { describe, expect, it } from 'vitest';
import * as T from '../../src/index.js';
import { BackendError, WasmBackend } from '../../src/index.js';
import { checkNoLeaks } from '../helpers.js';

checkNoLeaks();

const wasm = () => T.getBackend('wasm') as WasmBackend;

describe('wasm memory', () => {
  it('live blocks return to start after ops', () => {
    const before = wasm().memoryStats.liveBlocks;
    T.scope(() => {
      const x = T.randn([64, 48], { seed: 1, backend: 'wasm' });
      const y = T.softmax(T.matmul(x, T.transpose(x)), -1); // matmul scratch and a transpose view
      T.sum(T.gelu(y), 0).dataSync();
      expect(wasm().memoryStats.liveBlocks).toBeGreaterThan(before);
    });
    expect(wasm().memoryStats.liveBlocks).toBe(before);
  });

  it('freed blocks are reused', () => {
    const first = T.zeros([1000], { backend: 'wasm' });
    first.dispose();
    const reserved = wasm().memoryStats.reservedBytes;
    const second = T.ones([1000], { backend: 'wasm' });
    expect(wasm().memoryStats.reservedBytes).toBe(reserved);
    second.dispose();
  });

  it('growth keeps earlier tensors intact', () => {
    const backend = new WasmBackend({ threads: 1 }, 'wasm-growth');
    T.registerBackend('wasm-growth', () => backend);
    const startBytes = backend.memoryStats.memoryBytes;
    T.scope(() => {
      const small = T.arange(0, 10, 1, { dtype: 'f32', backend: 'wasm-growth' });
      const big = T.full([4_000_000], 1.5, { backend: 'wasm-growth' }); // 16 MB, past the first 1 MiB
      expect(backend.memoryStats.memoryBytes).toBeGreaterThan(startBytes);
      expect(Array.from(small.dataSync())).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const total = T.sum(big).dataSync()[0];
      expect(total).toBe(6_000_000);
    });
    expect(backend.memoryStats.liveBlocks).toBe(0);
    backend.dispose();
  });

  it('memory limit error names the fix', () => {
    const backend = new WasmBackend({ threads: 1, maxMemoryBytes: 4 * 1024 * 1024 }, 'wasm-small');
    T.registerBackend('wasm-small', () => backend);
    expect(() => T.zeros([2_000_000], { backend: 'wasm-small' })).toThrow(/maxMemoryBytes/);
    expect(backend.memoryStats.liveBlocks).toBe(0);
    backend.dispose();
  });

  it('double free is an error', () => {
    const backend = wasm();
    const buffer = backend.upload(new Float32Array([1, 2]), 'f32');
    backend.free(buffer);
    expect(() => backend.free(buffer)).toThrow(BackendError);
  });

  it('dispose stops threads and rejects work', () => {
    const backend = new WasmBackend({ threads: 2 }, 'wasm-disposable');
    T.registerBackend('wasm-disposable', () => backend);
    T.scope(() => {
      const a = T.randn([128, 128], { seed: 2, backend: 'wasm-disposable' });
      T.matmul(a, a).dataSync(); // starts the worker
    });
    backend.dispose();
    expect(() => T.zeros([2], { backend: 'wasm-disposable' })).toThrow(/disposed/);
  });
});
