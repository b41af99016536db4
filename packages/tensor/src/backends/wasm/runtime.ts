import { bytesPerElement, type DType, type TypedArray } from '../../dtype.js';
import { BackendError } from '../../errors.js';
import { Allocator, PAGE_BYTES } from './allocator.js';
import { compileKernels, type KernelExports, LAYOUT, precompileKernels, relaxedSimdSupported } from './loader.js';
import { availableCores, CONTROL_BYTES, type JobPool, nodeWorkerClass, type PoolStats, ThreadPool } from './pool.js';
import { BrowserThreadPool, browserWorkersAvailable } from './pool-browser.js';

/** A block of wasm memory with `size` elements of `dtype` from byte address `ptr`. */
export interface WasmBuffer {
  readonly ptr: number;
  /** Bytes reserved for the block (its size class). */
  readonly capacity: number;
  readonly dtype: DType;
  readonly size: number;
  freed: boolean;
}

export interface WasmRuntimeOptions {
  /** Threads including the caller's, by default the host's available cores. 1 disables workers. */
  threads?: number;
  /** Use f32x4.relaxed_madd where the host validates it (default true). */
  relaxedSimd?: boolean;
  /** Upper bound of the wasm memory in bytes (default and maximum 4 GiB). */
  maxMemoryBytes?: number;
}

/** Words in the job block: four common ones (kind, claim counter, item count, spare) and the fields. */
const JOB_WORDS = 32;
const RESERVED_BYTES = 1024;

/** Threads and module variant for `options` on this host: workers need Node's or a cross-origin isolated page's. */
function planRuntime(options: WasmRuntimeOptions) {
  const WorkerClass = nodeWorkerClass();
  const requested = Math.max(1, Math.floor(options.threads ?? availableCores()));
  const shared = (WorkerClass !== null || browserWorkersAvailable()) && requested > 1;
  const relaxed = (options.relaxedSimd ?? true) && relaxedSimdSupported();
  return { WorkerClass, shared, threads: shared ? requested : 1, relaxed };
}

/** Compiles the module that a runtime with `options` will use, asynchronously (see `initWasm`). */
export async function precompileRuntime(options: WasmRuntimeOptions = {}): Promise<void> {
  const { relaxed, shared } = planRuntime(options);
  await precompileKernels(relaxed, shared);
}

/** One instantiated kernel module with its memory, allocator and optional worker threads. */
export class WasmRuntime {
  readonly memory: WebAssembly.Memory;
  readonly kernels: KernelExports;
  readonly allocator: Allocator;
  readonly relaxed: boolean;
  readonly shared: boolean;
  readonly threads: number;
  /** Upper bound of the memory, in bytes. */
  readonly maxBytes: number;
  private pool: JobPool | null = null;
  private heap: ArrayBuffer | SharedArrayBuffer;
  private u8View: Uint8Array;
  private i32View: Int32Array;
  private f32View: Float32Array;
  private f64View: Float64Array;
  private readonly jobPtr: number;

  constructor(options: WasmRuntimeOptions = {}) {
    const maxBytes = Math.min(options.maxMemoryBytes ?? 2 ** 32, LAYOUT.maxPages * PAGE_BYTES);
    const maxPages = Math.floor(maxBytes / PAGE_BYTES);
    this.maxBytes = maxPages * PAGE_BYTES;
    const { WorkerClass, shared, threads, relaxed } = planRuntime(options);
    this.shared = shared;
    this.threads = threads;
    this.relaxed = relaxed;
    const module = compileKernels(this.relaxed, this.shared);
    this.memory = new WebAssembly.Memory({ initial: 16, maximum: maxPages, shared: this.shared });
    this.kernels = new WebAssembly.Instance(module, { env: { memory: this.memory } }).exports as unknown as KernelExports;
    // Address 0 is kept free so that no buffer has pointer 0. The control block and the job block follow.
    this.allocator = new Allocator(this.memory, RESERVED_BYTES, maxPages * PAGE_BYTES);
    this.jobPtr = 256;
    this.heap = this.memory.buffer;
    this.u8View = new Uint8Array(this.heap);
    this.i32View = new Int32Array(this.heap);
    this.f32View = new Float32Array(this.heap);
    this.f64View = new Float64Array(this.heap);
    if (this.threads > 1) {
      this.pool = WorkerClass
        ? new ThreadPool(WorkerClass, module, this.memory, 64, this.threads)
        : new BrowserThreadPool(module, this.memory, 64, this.threads);
    }
    if (64 + CONTROL_BYTES > this.jobPtr || this.jobPtr + JOB_WORDS * 4 > RESERVED_BYTES) {
      throw new BackendError('wasm', 'internal layout error: control and job blocks overlap');
    }
  }

  allocate(dtype: DType, size: number): WasmBuffer {
    const { ptr, capacity } = this.allocator.allocate(size * bytesPerElement(dtype));
    return { ptr, capacity, dtype, size, freed: false };
  }

  free(buffer: WasmBuffer): void {
    if (buffer.freed) throw new BackendError('wasm', `buffer at ${buffer.ptr} (${buffer.size} x ${buffer.dtype}) was freed twice`);
    buffer.freed = true;
    this.allocator.release(buffer.ptr, buffer.capacity);
  }

  /** Allocates scratch memory for one kernel call, to be released with `free`. */
  scratch(bytes: number): WasmBuffer {
    return this.allocate('bool', Math.max(bytes, 16));
  }

  /** Returns a typed-array view of `size` elements at `ptr`, valid until the next allocation. */
  view(dtype: DType, ptr: number, size: number): TypedArray {
    this.refresh();
    switch (dtype) {
      case 'f32':
        return this.f32View.subarray(ptr >>> 2, (ptr >>> 2) + size);
      case 'i32':
        return this.i32View.subarray(ptr >>> 2, (ptr >>> 2) + size);
      case 'f64':
        return this.f64View.subarray(ptr >>> 3, (ptr >>> 3) + size);
      case 'bool':
        return this.u8View.subarray(ptr, ptr + size);
    }
  }

  viewOf(buffer: WasmBuffer): TypedArray {
    return this.view(buffer.dtype, buffer.ptr, buffer.size);
  }

  /** The job block, filled by `writeJob` and run by `runJob`. */
  writeJob(kind: number, items: number, fields: Readonly<Record<number, number>>): number {
    this.refresh();
    const base = this.jobPtr >>> 2;
    this.i32View.fill(0, base, base + JOB_WORDS);
    this.i32View[base] = kind;
    this.i32View[base + 2] = items;
    for (const [word, value] of Object.entries(fields)) this.i32View[base + Number(word)] = value;
    return this.jobPtr;
  }

  /** Runs the job in the job block on all threads, or on this one when `parallel` is false. */
  runJob(parallel: boolean): void {
    if (parallel && this.pool) {
      this.pool.run(this.jobPtr, (job, thread) => this.kernels.run(job, thread));
    } else {
      this.kernels.run(this.jobPtr, 0);
    }
  }

  /** Threads a job may use: the pool's size, or 1. */
  get jobThreads(): number {
    return this.pool ? this.pool.size : 1;
  }

  /** Resolves when the worker threads can take jobs (at once without threads). */
  async ready(): Promise<void> {
    await this.pool?.ready();
  }

  get poolStats(): PoolStats {
    return this.pool?.stats ?? { workers: 0, ready: 0, parallelJobs: 0 };
  }

  dispose(): void {
    this.pool?.dispose();
    this.pool = null;
  }

  private refresh(): void {
    const current = this.memory.buffer;
    if (current === this.heap && this.u8View.byteLength === current.byteLength) return;
    this.heap = current;
    this.u8View = new Uint8Array(current);
    this.i32View = new Int32Array(current);
    this.f32View = new Float32Array(current);
    this.f64View = new Float64Array(current);
  }
}
