import { type Backend, type BufferView, getBackend, type OutputSpec, registerBackend, useBackend } from '../../backend.js';
import { castScalar, type DType, type TypedArray } from '../../dtype.js';
import { BackendError } from '../../errors.js';
import type { KernelOp, OpAttrs, ReduceAttrs } from '../../ops/defs.js';
import { sizeOf } from '../../shape.js';
import { runCpuKernel } from './fallback.js';
import { binaryKernel, contiguousKernel, hasBinaryKernel, hasUnaryKernel, unaryKernel } from './kernels-elementwise.js';
import { matmulKernel } from './kernels-matmul.js';
import { argKernel, attentionKernel, crossEntropyKernel, normKernel, reduceKernel, softmaxKernel } from './kernels-rows.js';
import type { PoolStats } from './pool.js';
import { precompileRuntime, type WasmBuffer, WasmRuntime, type WasmRuntimeOptions } from './runtime.js';

export type WasmBackendOptions = WasmRuntimeOptions;

export interface WasmInitOptions extends WasmBackendOptions {
  /** Name to register the backend under (default 'wasm', replacing the default factory). */
  name?: string;
  /** Make it the current backend. */
  use?: boolean;
}

/** Runs an op's wasm kernel, or returns null for inputs the kernel does not cover so the cpu kernel runs. */
function nativeKernel(rt: WasmRuntime, op: KernelOp, inputs: readonly BufferView[], attrs: unknown, out: OutputSpec): WasmBuffer | null {
  if (hasUnaryKernel(op)) return unaryKernel(rt, op, inputs, out);
  if (hasBinaryKernel(op)) return binaryKernel(rt, op, inputs, out);
  switch (op) {
    case 'matmul':
      return matmulKernel(rt, inputs, attrs as OpAttrs['matmul'], out);
    case 'sum':
    case 'max':
    case 'min':
      return reduceKernel(rt, op, inputs, attrs as ReduceAttrs, out);
    case 'argmax':
    case 'argmin':
      return argKernel(rt, op, inputs, attrs as OpAttrs['argmax'], out);
    case 'softmax':
    case 'logSoftmax':
      return softmaxKernel(rt, op, inputs, attrs as OpAttrs['softmax']);
    case 'layerNorm':
    case 'rmsNorm':
      return normKernel(rt, op, inputs, attrs as OpAttrs['layerNorm']);
    case 'crossEntropy':
      return crossEntropyKernel(rt, inputs, attrs as OpAttrs['crossEntropy']);
    case 'attention':
      return attentionKernel(rt, inputs, attrs as OpAttrs['attention'], out);
    case 'contiguous':
      return contiguousKernel(rt, inputs);
    default:
      return null;
  }
}

/**
 * WebAssembly backend: tensors live in one WebAssembly.Memory, hot f32 ops run SIMD kernels (matmul on
 * all cores through worker threads sharing that memory), and every other op runs the cpu backend's
 * kernel on views of the same memory. Reads can be synchronous.
 */
export class WasmBackend implements Backend {
  readonly name: string;
  readonly limits: Readonly<Record<string, number>>;
  readonly features: ReadonlySet<string>;
  readonly dtypes = new Set<DType>(['f32', 'f64', 'i32', 'bool']);
  private runtime: WasmRuntime | null;

  constructor(options: WasmBackendOptions = {}, name = 'wasm') {
    this.name = name;
    this.runtime = new WasmRuntime(options);
    const rt = this.runtime;
    this.limits = { maxMemoryBytes: rt.maxBytes, threads: rt.threads };
    this.features = new Set(['f64', 'simd', ...(rt.threads > 1 ? ['threads'] : []), ...(rt.relaxed ? ['relaxed-simd'] : [])]);
  }

  /** Threads a large kernel uses, including the calling thread. */
  get threads(): number {
    return this.rt.threads;
  }

  /** Worker threads started and ready, and jobs they have taken part in. */
  get threadStats(): PoolStats {
    return this.rt.poolStats;
  }

  /**
   * Resolves when the worker threads can take jobs. In a browser workers start only while the page's
   * thread is idle, and jobs before that run on the calling thread alone. Node's workers start within
   * the first job (or this call), so this resolves at once there.
   */
  ready(): Promise<void> {
    return this.rt.ready();
  }

  /** Blocks and bytes of wasm memory held by live buffers and kernel scratch. */
  get memoryStats(): { liveBlocks: number; liveBytes: number; reservedBytes: number; memoryBytes: number } {
    const rt = this.rt;
    return {
      liveBlocks: rt.allocator.liveBlocks,
      liveBytes: rt.allocator.liveBytes,
      reservedBytes: rt.allocator.reservedBytes,
      memoryBytes: rt.memory.buffer.byteLength,
    };
  }

  upload(data: TypedArray, dtype: DType): WasmBuffer {
    const buffer = this.rt.allocate(dtype, data.length);
    this.rt.viewOf(buffer).set(data);
    return buffer;
  }

  async read(buffer: unknown, dtype: DType, size: number): Promise<TypedArray> {
    return this.readSync(buffer, dtype, size).slice();
  }

  /** A view of the buffer's elements, valid until the next allocation on this backend. */
  readSync(buffer: unknown, dtype: DType, size: number): TypedArray {
    const b = this.live(buffer);
    return this.rt.view(dtype, b.ptr, Math.min(size, b.size));
  }

  free(buffer: unknown): void {
    this.rt.free(buffer as WasmBuffer);
  }

  execute<P extends KernelOp>(op: P, inputs: readonly BufferView[], attrs: OpAttrs[P], out: OutputSpec): WasmBuffer {
    const rt = this.rt;
    for (const input of inputs) this.live(input.buffer);
    if (op === 'full') {
      const { value } = attrs as OpAttrs['full'];
      const buffer = rt.allocate(out.dtype, sizeOf(out.shape));
      rt.viewOf(buffer).fill(castScalar(value, out.dtype));
      return buffer;
    }
    return nativeKernel(rt, op, inputs, attrs, out) ?? runCpuKernel(rt, op, inputs, attrs, out);
  }

  flush(): void {}

  /** Stops the worker threads. Tensors on this backend must not be used afterwards. */
  dispose(): void {
    this.runtime?.dispose();
    this.runtime = null;
  }

  private get rt(): WasmRuntime {
    if (!this.runtime) throw new BackendError(this.name, 'was disposed; register and use a new wasm backend');
    return this.runtime;
  }

  private live(buffer: unknown): WasmBuffer {
    const b = buffer as WasmBuffer;
    if (b.freed) throw new BackendError(this.name, `buffer at ${b.ptr} (${b.size} x ${b.dtype}) was used after it was freed`);
    return b;
  }
}

/**
 * Creates a wasm backend with its module compiled asynchronously and its worker threads started, and
 * registers it (as 'wasm' unless `name` is given). The way to get a threaded backend in a browser page:
 * the page must be cross-origin isolated (COOP same-origin and COEP require-corp) for shared memory.
 */
export async function initWasm(options: WasmInitOptions = {}): Promise<WasmBackend> {
  const name = options.name ?? 'wasm';
  await precompileRuntime(options);
  const backend = new WasmBackend(options, name);
  try {
    await backend.ready();
  } catch (error) {
    backend.dispose();
    throw error;
  }
  registerBackend(name, () => backend);
  getBackend(name);
  if (options.use) useBackend(name);
  return backend;
}
