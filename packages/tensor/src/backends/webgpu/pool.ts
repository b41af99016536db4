/// <reference types="@webgpu/types" />

/** GPUBufferUsage bits, spelled out so that Node needs no globals from the `webgpu` package. */
export const Usage = {
  MAP_READ: 0x0001,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
} as const;

export const STORAGE_USAGE = Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST;
export const UNIFORM_USAGE = Usage.UNIFORM | Usage.COPY_DST;
export const STAGING_USAGE = Usage.MAP_READ | Usage.COPY_DST;

/**
 * Rounds a byte count up to its size class: 16 bytes at least, then four classes per power of two,
 * so a pooled buffer wastes at most a quarter of its size.
 */
export function sizeClass(bytes: number): number {
  if (bytes <= 16) return 16;
  const step = 2 ** Math.max(4, Math.floor(Math.log2(bytes)) - 2);
  return Math.ceil(bytes / step) * step;
}

export interface PoolStats {
  /** Buffers handed out and not yet returned. */
  inUse: number;
  /** Buffers waiting in the pool for reuse. */
  pooled: number;
  pooledBytes: number;
  /** Buffers created since the pool started. */
  created: number;
}

/**
 * Reuses GPU buffers by (usage, size class). The dispatcher returns a buffer here only after the
 * submit that last used it, so a reused buffer is never overwritten by work recorded earlier.
 */
export class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  private pooledBytes = 0;
  private inUse = 0;
  private created = 0;

  constructor(
    private readonly device: GPUDevice,
    /** Pooled bytes above this are destroyed instead of kept. */
    private readonly maxPooledBytes = 256 * 2 ** 20,
  ) {}

  acquire(bytes: number, usage: number): GPUBuffer {
    const size = sizeClass(bytes);
    const list = this.free.get(`${usage}:${size}`);
    this.inUse += 1;
    const reused = list?.pop();
    if (reused) {
      this.pooledBytes -= size;
      return reused;
    }
    this.created += 1;
    return this.device.createBuffer({ size, usage });
  }

  release(buffer: GPUBuffer): void {
    this.inUse -= 1;
    if (this.pooledBytes + buffer.size > this.maxPooledBytes) {
      buffer.destroy();
      return;
    }
    const key = `${buffer.usage}:${buffer.size}`;
    const list = this.free.get(key);
    if (list) list.push(buffer);
    else this.free.set(key, [buffer]);
    this.pooledBytes += buffer.size;
  }

  /** Destroys every pooled buffer (buffers in use are left alone). */
  trim(): void {
    for (const list of this.free.values()) for (const buffer of list) buffer.destroy();
    this.free.clear();
    this.pooledBytes = 0;
  }

  stats(): PoolStats {
    let pooled = 0;
    for (const list of this.free.values()) pooled += list.length;
    return { inUse: this.inUse, pooled, pooledBytes: this.pooledBytes, created: this.created };
  }
}
