/// <reference types="@webgpu/types" />
import { WebGPUDeviceLostError, WebGPUDriverError, WebGPUIndexError } from './errors.js';
import {
  checkBinding,
  checkBufferSize,
  checkStorageBufferCount,
  gridFor,
  type KernelLimits,
} from './limits.js';
import { BufferPool, STAGING_USAGE, STORAGE_USAGE, UNIFORM_USAGE } from './pool.js';
import { META_WORDS, type Meta, PRELUDE } from './wgsl.js';

/** A tensor's storage on the GPU. `lastBatch` is the batch of dispatches that last touched it. */
export class GpuBuffer {
  lastBatch = -1;
  constructor(
    readonly raw: GPUBuffer,
    /** Bytes the tensor needs. The raw buffer may be larger (its pool size class). */
    readonly bytes: number,
  ) {}
}

export interface Binding {
  buffer: GpuBuffer;
  write?: boolean;
  /** Byte range to bind, or the whole tensor when absent. */
  offset?: number;
  size?: number;
}

/** One compute dispatch: WGSL after the shared prelude, its uniforms, its storage bindings. */
export interface Dispatch {
  op: string;
  /** Pipeline cache key: equal keys must mean equal WGSL. */
  key: string;
  source: () => string;
  meta: Meta;
  /** Bound at 1, 2, ... in order. */
  bindings: Binding[];
  /** Also binds the index-error flag buffer, after the others. */
  status?: boolean;
  workgroups: number;
}

/** Ops that report bad indices through the status buffer, by code. */
export const STATUS_OPS = [
  'gather',
  'indexSelect',
  'indexAdd',
  'scatterAdd',
  'oneHot',
  'crossEntropy',
] as const;

const alignUp = (n: number, to: number) => Math.ceil(n / to) * to;

export interface DispatchStats {
  liveBuffers: number;
  pipelines: number;
  submits: number;
  dispatches: number;
}

/**
 * Records dispatches into one shared command encoder and submits them in batches: when a read
 * needs the results, every `batchSize` dispatches, or on `flush()`. Buffers freed while the
 * unsubmitted batch still uses them go back to the pool only after that batch is submitted.
 */
export class Dispatcher {
  readonly pool: BufferPool;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private batch = 0;
  private recorded = 0;
  private readonly pendingRelease: GPUBuffer[] = [];
  private readonly pipelines = new Map<
    string,
    { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout }
  >();
  private readonly layouts = new Map<string, GPUBindGroupLayout>();
  private readonly statusBuffer: GpuBuffer;
  private lostError: WebGPUDeviceLostError | null = null;
  private driverError: WebGPUDriverError | null = null;
  private readonly lostSignal: Promise<never>;
  private liveBuffers = 0;
  private submits = 0;
  private dispatches = 0;

  constructor(
    readonly device: GPUDevice,
    readonly limits: KernelLimits,
    private readonly batchSize = 64,
  ) {
    this.pool = new BufferPool(device);
    this.statusBuffer = new GpuBuffer(device.createBuffer({ size: 16, usage: STORAGE_USAGE }), 16);
    this.lostSignal = device.lost.then((info) => {
      this.lostError = new WebGPUDeviceLostError(String(info.reason ?? 'unknown'), info.message);
      throw this.lostError;
    });
    this.lostSignal.catch(() => {});
    device.addEventListener('uncapturederror', (event) => {
      const error = (event as GPUUncapturedErrorEvent).error;
      this.driverError ??= new WebGPUDriverError(error.constructor?.name ?? 'GPUError', error.message);
    });
  }

  /** Throws the error that broke the device, if any: lost device first, then driver errors. */
  throwIfBroken(): void {
    if (this.lostError) throw this.lostError;
    if (this.driverError) {
      const error = this.driverError;
      this.driverError = null;
      throw error;
    }
  }

  allocate(op: string, bytes: number): GpuBuffer {
    if (this.lostError) throw this.lostError;
    checkBufferSize(op, bytes, this.limits);
    this.liveBuffers += 1;
    return new GpuBuffer(this.pool.acquire(Math.max(bytes, 4), STORAGE_USAGE), bytes);
  }

  upload(op: string, data: ArrayBufferView<ArrayBuffer>): GpuBuffer {
    const buffer = this.allocate(op, data.byteLength);
    if (data.byteLength > 0)
      this.device.queue.writeBuffer(buffer.raw, 0, data.buffer, data.byteOffset, data.byteLength);
    return buffer;
  }

  free(buffer: GpuBuffer): void {
    this.liveBuffers -= 1;
    this.retire(buffer.raw, buffer.lastBatch);
  }

  private retire(raw: GPUBuffer, lastBatch: number): void {
    if (this.lostError) return;
    if (lastBatch === this.batch && this.encoder !== null) this.pendingRelease.push(raw);
    else this.pool.release(raw);
  }

  run(d: Dispatch): void {
    if (this.lostError) throw this.lostError;
    if (d.workgroups === 0) return;
    checkStorageBufferCount(d.op, d.bindings.length + (d.status ? 1 : 0), this.limits);
    for (const b of d.bindings) checkBinding(d.op, b.size ?? b.buffer.bytes, this.limits);
    const [x, y] = gridFor(d.op, d.workgroups, this.limits);
    const { pipeline, layout } = this.pipeline(d);

    const uniform = this.pool.acquire(META_WORDS * 4, UNIFORM_USAGE);
    this.device.queue.writeBuffer(uniform, 0, d.meta.bytes());
    const all = d.status ? [...d.bindings, { buffer: this.statusBuffer, write: true }] : d.bindings;
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: uniform } }];
    all.forEach((b, i) => {
      const size = alignUp(Math.max(b.size ?? b.buffer.bytes, 4), 4);
      entries.push({ binding: i + 1, resource: { buffer: b.buffer.raw, offset: b.offset ?? 0, size } });
    });
    const group = this.device.createBindGroup({ layout, entries });

    const pass = this.openPass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(x, y);
    for (const b of all) b.buffer.lastBatch = this.batch;
    this.pendingRelease.push(uniform);
    this.dispatches += 1;
    this.recorded += 1;
    if (this.recorded >= this.batchSize) this.submit();
  }

  /** Copies the first `bytes` bytes of a buffer to the host. */
  async read(buffer: GpuBuffer, bytes: number): Promise<ArrayBuffer> {
    this.throwIfBroken();
    const size = alignUp(Math.max(bytes, 4), 4);
    const staging = this.pool.acquire(size + 16, STAGING_USAGE);
    const encoder = this.openEncoder();
    this.closePass();
    if (bytes > 0) encoder.copyBufferToBuffer(buffer.raw, 0, staging, 0, size);
    encoder.copyBufferToBuffer(this.statusBuffer.raw, 0, staging, size, 16);
    buffer.lastBatch = this.batch;
    this.submit();
    try {
      await Promise.race([staging.mapAsync(1 /* GPUMapMode.READ */), this.lostSignal]);
    } catch (error) {
      // A map is aborted only when the device is lost or destroyed, and that may settle before
      // device.lost does. Either way the device is gone for every later call too.
      if (error instanceof WebGPUDeviceLostError) throw error;
      this.lostError ??= new WebGPUDeviceLostError('map aborted', (error as Error).message);
      throw this.lostError;
    }
    const copy = staging.getMappedRange(0, size + 16).slice(0);
    staging.unmap();
    this.pool.release(staging);
    this.throwIfBroken();
    this.checkStatus(new Uint32Array(copy, size, 4));
    return copy.slice(0, bytes);
  }

  private checkStatus(status: Uint32Array): void {
    if (status[0] === 0) return;
    this.device.queue.writeBuffer(this.statusBuffer.raw, 0, new Uint32Array(4));
    const op = STATUS_OPS[status[1]] ?? 'a kernel';
    throw new WebGPUIndexError(op, status[2] | 0, status[3]);
  }

  /** Submits every recorded dispatch. */
  submit(): void {
    if (this.encoder === null) return;
    this.closePass();
    const commands = this.encoder.finish();
    this.encoder = null;
    this.device.queue.submit([commands]);
    this.submits += 1;
    this.batch += 1;
    this.recorded = 0;
    for (const raw of this.pendingRelease.splice(0)) this.pool.release(raw);
  }

  stats(): DispatchStats {
    return {
      liveBuffers: this.liveBuffers,
      pipelines: this.pipelines.size,
      submits: this.submits,
      dispatches: this.dispatches,
    };
  }

  private openEncoder(): GPUCommandEncoder {
    this.encoder ??= this.device.createCommandEncoder();
    return this.encoder;
  }

  private openPass(): GPUComputePassEncoder {
    this.pass ??= this.openEncoder().beginComputePass();
    return this.pass;
  }

  private closePass(): void {
    this.pass?.end();
    this.pass = null;
  }

  private layoutFor(d: Dispatch): GPUBindGroupLayout {
    const kinds = d.bindings.map((b) => (b.write ? 'w' : 'r')).join('') + (d.status ? 'w' : '');
    let layout = this.layouts.get(kinds);
    if (!layout) {
      const entries: GPUBindGroupLayoutEntry[] = [
        { binding: 0, visibility: 4 /* COMPUTE */, buffer: { type: 'uniform' } },
      ];
      [...kinds].forEach((kind, i) => {
        entries.push({
          binding: i + 1,
          visibility: 4,
          buffer: { type: kind === 'w' ? 'storage' : 'read-only-storage' },
        });
      });
      layout = this.device.createBindGroupLayout({ entries });
      this.layouts.set(kinds, layout);
    }
    return layout;
  }

  private pipeline(d: Dispatch): { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout } {
    const cached = this.pipelines.get(d.key);
    if (cached) return cached;
    const layout = this.layoutFor(d);
    this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ code: PRELUDE + d.source(), label: d.key });
    const pipeline = this.device.createComputePipeline({
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: 'main' },
      label: d.key,
    });
    this.device.popErrorScope().then((error) => {
      if (error)
        this.driverError = new WebGPUDriverError('shader compilation', `kernel ${d.key}: ${error.message}`);
    });
    const entry = { pipeline, layout };
    this.pipelines.set(d.key, entry);
    return entry;
  }
}
