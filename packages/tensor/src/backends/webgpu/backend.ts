/// <reference types="@webgpu/types" />
import type { Backend, BufferView, OutputSpec } from '../../backend.js';
import type { DType, TypedArray } from '../../dtype.js';
import { BackendError } from '../../errors.js';
import type { KernelOp, OpAttrs } from '../../ops/defs.js';
import type { AcquiredDevice, AdapterDescription } from './device.js';
import { Dispatcher, type DispatchStats, type GpuBuffer } from './dispatch.js';
import {
  ELEMENT_BYTES,
  elementCount,
  type GpuKernel,
  type GpuKernelTable,
  type GpuView,
  type KernelContext,
} from './kernel.js';
import { ATTENTION_KERNELS } from './kernels-attention.js';
import { ELEMENTWISE_KERNELS } from './kernels-elementwise.js';
import { FUSED_KERNELS } from './kernels-fused.js';
import { MATMUL_KERNELS } from './kernels-matmul.js';
import { MOVEMENT_KERNELS } from './kernels-movement.js';
import { ORDER_KERNELS } from './kernels-order.js';
import { RANDOM_KERNELS } from './kernels-random.js';
import { REDUCE_KERNELS } from './kernels-reduce.js';
import { checkElementCount, type KernelLimits, kernelLimits } from './limits.js';
import type { PoolStats } from './pool.js';

/** Every primitive's WebGPU kernel. A missing entry is a compile error. */
const KERNELS: GpuKernelTable<KernelOp> = {
  ...ELEMENTWISE_KERNELS,
  ...REDUCE_KERNELS,
  ...MOVEMENT_KERNELS,
  ...MATMUL_KERNELS,
  ...FUSED_KERNELS,
  ...ATTENTION_KERNELS,
  ...ORDER_KERNELS,
  ...RANDOM_KERNELS,
};

export interface WebGPUBackendOptions {
  /** Name the backend is registered under (default 'webgpu'). Tensors find their backend by this name. */
  name?: string;
  /** Lowers the storage-binding limit the kernels are checked against (tests of the chunked path). */
  maxBindingBytes?: number;
  /** Dispatches recorded before a submit without waiting for a read. */
  batchSize?: number;
}

export interface WebGPUStats extends DispatchStats {
  pool: PoolStats;
}

/**
 * Tensors in GPU storage buffers, kernels in WGSL, for f32, i32 and bool (stored as u32). f64 raises a
 * BackendError. Work is recorded into a shared command encoder and submitted in batches, and only
 * `read` waits for the GPU.
 */
export class WebGPUBackend implements Backend {
  readonly name: string;
  readonly limits: Readonly<Record<string, number>>;
  readonly features: ReadonlySet<string>;
  readonly dtypes: ReadonlySet<DType> = new Set<DType>(['f32', 'i32', 'bool']);
  readonly adapter: AdapterDescription;
  readonly kernelLimits: KernelLimits;
  readonly gpu: Dispatcher;
  private readonly context: KernelContext;
  private readonly keepAlive: unknown;

  constructor(acquired: AcquiredDevice, options: WebGPUBackendOptions = {}) {
    const device = acquired.device;
    this.name = options.name ?? 'webgpu';
    this.adapter = acquired.adapter;
    this.features = acquired.features;
    this.keepAlive = acquired.keepAlive;
    this.kernelLimits = kernelLimits(device, options.maxBindingBytes);
    this.limits = {
      maxStorageBufferBindingSize: this.kernelLimits.maxBindingBytes,
      maxBufferSize: this.kernelLimits.maxBufferBytes,
      maxStorageBuffersPerShaderStage: this.kernelLimits.maxStorageBuffers,
      maxComputeWorkgroupsPerDimension: this.kernelLimits.maxWorkgroupsPerDimension,
      maxComputeWorkgroupStorageSize: this.kernelLimits.maxWorkgroupStorageBytes,
    };
    this.gpu = new Dispatcher(device, this.kernelLimits, options.batchSize);
    this.context = {
      gpu: this.gpu,
      limits: this.kernelLimits,
      alloc: (op, out) => this.allocate(op, out),
      execute: (op, inputs, attrs, out) => this.execute(op, inputs, attrs, out) as GpuBuffer,
    };
  }

  get device(): GPUDevice {
    return this.gpu.device;
  }

  private allocate(op: string, out: OutputSpec): GpuBuffer {
    const count = elementCount(out.shape);
    checkElementCount(op, count);
    return this.gpu.allocate(op, count * ELEMENT_BYTES);
  }

  upload(data: TypedArray, dtype: DType): GpuBuffer {
    if (dtype === 'f64' || data instanceof Float64Array) {
      throw new BackendError(
        'webgpu',
        'dtype f64 is not supported (WGSL has no 64-bit floats); create the tensor as f32, or on the cpu backend',
      );
    }
    checkElementCount('upload', data.length);
    const words =
      dtype === 'bool' ? Uint32Array.from(data as Uint8Array) : (data as Float32Array | Int32Array);
    return this.gpu.upload('upload', words as ArrayBufferView<ArrayBuffer>);
  }

  async read(buffer: unknown, dtype: DType, size: number): Promise<TypedArray> {
    const bytes = await this.gpu.read(buffer as GpuBuffer, size * ELEMENT_BYTES);
    if (dtype === 'f32') return new Float32Array(bytes);
    if (dtype === 'i32') return new Int32Array(bytes);
    // bool: u32 words become bytes. A Uint8Array store keeps the low 8 bits, as on the cpu backend.
    return Uint8Array.from(new Uint32Array(bytes));
  }

  free(buffer: unknown): void {
    this.gpu.free(buffer as GpuBuffer);
  }

  execute<P extends KernelOp>(
    op: P,
    inputs: readonly BufferView[],
    attrs: OpAttrs[P],
    out: OutputSpec,
  ): unknown {
    this.gpu.throwIfBroken();
    if (out.dtype === 'f64' || inputs.some((v) => v.dtype === 'f64')) {
      throw new BackendError(
        'webgpu',
        `${op}: dtype f64 is not supported; use f32, or run this op on the cpu backend`,
      );
    }
    const kernel = KERNELS[op] as GpuKernel<P>;
    return kernel(this.context, inputs as readonly GpuView[], attrs, out);
  }

  flush(): void {
    this.gpu.submit();
  }

  stats(): WebGPUStats {
    return { ...this.gpu.stats(), pool: this.gpu.pool.stats() };
  }

  /** Frees pooled buffers and destroys the device. Tensors still on it become unreadable. */
  destroy(): void {
    this.gpu.submit();
    this.gpu.pool.trim();
    this.device.destroy();
    void this.keepAlive;
  }
}
