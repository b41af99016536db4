// Starting the wasm backend on either host: the synchronous compile the default factory uses, the
// async `initWasm` path, and worker threads that join once started. Runs in Node and in Chromium (a
// cross-origin isolated page, where the threads are Web Workers and the page's thread never blocks).
import { describe, expect, it } from 'vitest';
import * as T from '../../src/index.js';
import { SIMD_MODULE } from '../../src/backends/wasm/module.generated.js';
import { checkNoLeaks } from '../helpers.js';
import { expectClose, HOST, input } from './harness.js';

checkNoLeaks();

/** f32 sums of 300 products: a few ulp of the double-precision reference per term. */
const MATMUL_TOLERANCE = { atol: 2e-6 * Math.sqrt(300), rtol: 1e-5 };

async function checkMatmul(backend: string): Promise<void> {
  const a = input([240, 300], 21);
  const b = input([300, 200], 22);
  const [wa, wb] = await Promise.all([a.to(backend), b.to(backend)]);
  T.scope(() => expectClose(T.matmul(wa, wb), T.matmul(a, b), MATMUL_TOLERANCE, `${backend} matmul`));
  for (const t of [a, b, wa, wb]) t.dispose();
}

describe(`wasm start in ${HOST}`, () => {
  it('sync compile of kernels allowed', () => {
    // The default factory compiles synchronously. Older Chromium rejected this over 4 KB on a page's thread.
    const bytes = Uint8Array.from(atob(SIMD_MODULE), (c) => c.charCodeAt(0));
    expect(bytes.length).toBeGreaterThan(4096);
    expect(new WebAssembly.Module(bytes)).toBeInstanceOf(WebAssembly.Module);
  });

  it('host offers shared memory', () => {
    // threads need SharedArrayBuffer: Node has it, a page only when cross-origin isolated
    expect(typeof SharedArrayBuffer).toBe('function');
    if (HOST === 'browser') expect((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated).toBe(true);
  });

  it('initWasm registers a threaded backend', async () => {
    const backend = await T.initWasm({ name: 'wasm-init', threads: 2 });
    expect(T.getBackend('wasm-init')).toBe(backend);
    expect(backend.features.has('threads')).toBe(true);
    expect(backend.threadStats.workers).toBe(1);
    expect(backend.threadStats.ready).toBe(1);
    await checkMatmul('wasm-init');
    expect(backend.threadStats.parallelJobs).toBeGreaterThan(0);
    backend.dispose();
  });

  it('jobs before workers start', async () => {
    // A page's workers cannot start before the page's thread yields, so the first job runs there alone
    // (and is still correct). Node's pool starts its workers synchronously inside the first job.
    const backend = new T.WasmBackend({ threads: 2 }, 'wasm-late');
    T.registerBackend('wasm-late', () => backend);
    await checkMatmul('wasm-late');
    expect(backend.threadStats.parallelJobs).toBe(HOST === 'browser' ? 0 : 1);
    await backend.ready();
    const jobs = backend.threadStats.parallelJobs;
    await checkMatmul('wasm-late');
    expect(backend.threadStats.parallelJobs).toBe(jobs + 1);
    backend.dispose();
  });

  it('one thread starts no workers', async () => {
    const backend = await T.initWasm({ name: 'wasm-one', threads: 1 });
    await checkMatmul('wasm-one');
    expect(backend.features.has('threads')).toBe(false);
    expect(backend.threadStats).toEqual({ workers: 0, ready: 0, parallelJobs: 0 });
    backend.dispose();
  });
});
