import { BackendError } from '../../errors.js';
import { LAYOUT, RELAXED_MODULE, RELAXED_PROBE, SHARED_FLAG_OFFSET, SIMD_MODULE } from './module.generated.js';

/** Exports of the kernel module. Pointers and strides are in bytes, sizes in elements. */
export interface KernelExports {
  run(job: number, thread: number): void;
  matmul_job(job: number, thread: number): void;
  unary(op: number, x: number, out: number, n: number): void;
  binary(op: number, out: number, a: number, b: number, rows: number, cols: number, aRow: number, aCol: number, bRow: number, bCol: number): void;
  copy32(dst: number, src: number, rows: number, cols: number, rowStride: number, colStride: number): void;
  copy64(dst: number, src: number, rows: number, cols: number, rowStride: number, colStride: number): void;
  copy8(dst: number, src: number, rows: number, cols: number, rowStride: number, colStride: number): void;
  reduce_rows(op: number, x: number, out: number, rows: number, cols: number): void;
  reduce_middle(op: number, x: number, out: number, outer: number, count: number, inner: number, scratch: number): void;
  arg_rows(x: number, out: number, rows: number, cols: number, isMin: number): void;
  softmax_rows(x: number, out: number, rows: number, cols: number, log: number): void;
  attention_rows(scores: number, rows: number, cols: number, scale: number, shift: number, mask: number, maskRow: number, maskCol: number): void;
  norm_rows(x: number, out: number, rows: number, cols: number, eps: number, rms: number): void;
  cross_entropy_rows(logits: number, targets: number, out: number, rows: number, cols: number, ignore: number, smoothing: number): number;
}

export { LAYOUT };

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Whether this host validates relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd). */
export function relaxedSimdSupported(): boolean {
  try {
    return WebAssembly.validate(decodeBase64(RELAXED_PROBE));
  } catch {
    return false;
  }
}

/** Compiled modules by variant, so that backends after the first (and `initWasm`'s async compile) share one. */
const compiled = new Map<string, WebAssembly.Module>();

function kernelBytes(relaxed: boolean, shared: boolean): Uint8Array<ArrayBuffer> {
  const bytes = decodeBase64(relaxed ? RELAXED_MODULE : SIMD_MODULE);
  if (!shared) {
    // Limits flag 3 (shared, with maximum) -> 1 (maximum only): the same code on an unshared memory.
    bytes[relaxed ? SHARED_FLAG_OFFSET.relaxed : SHARED_FLAG_OFFSET.simd] = 1;
  }
  return bytes;
}

/**
 * Returns the kernel module, compiling it synchronously the first time. Chromium limits synchronous
 * compiles on a page's main thread: to 8 MB in current versions (Chromium 156 compiles this 14 KB
 * module, as the browser tests check), to 4 KB in older ones. `initWasm` compiles asynchronously first.
 */
export function compileKernels(relaxed: boolean, shared: boolean): WebAssembly.Module {
  const key = `${relaxed}/${shared}`;
  let module = compiled.get(key);
  if (!module) {
    try {
      module = new WebAssembly.Module(kernelBytes(relaxed, shared));
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      throw new BackendError('wasm', `failed to compile the kernel module synchronously (${error.message}); call \`await initWasm()\` before using the backend`);
    }
    compiled.set(key, module);
  }
  return module;
}

/** Compiles the kernel module off the calling thread, for `compileKernels` to return later. */
export async function precompileKernels(relaxed: boolean, shared: boolean): Promise<void> {
  const key = `${relaxed}/${shared}`;
  if (!compiled.has(key)) compiled.set(key, await WebAssembly.compile(kernelBytes(relaxed, shared)));
}
