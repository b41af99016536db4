import { BackendError } from '../../errors.js';

/** Bytes per WebAssembly page. */
export const PAGE_BYTES = 65536;

/**
 * Block size for a request: multiples of 16 bytes up to 256, then four classes per power of two, so a
 * block wastes at most a fifth of its size and freed blocks are found again by exact class.
 */
export function sizeClass(bytes: number): number {
  if (bytes <= 256) return Math.max(16, Math.ceil(bytes / 16) * 16);
  const power = 2 ** Math.floor(Math.log2(bytes));
  const step = power / 4;
  return Math.ceil(bytes / step) * step;
}

/**
 * A size-class allocator over one WebAssembly.Memory: a bump pointer for new blocks and a free list per
 * size class for returned ones. Blocks are 16-byte aligned. Memory grows by whole pages when the bump
 * pointer reaches its end, so callers refresh their typed-array views after any allocation.
 */
export class Allocator {
  private top: number;
  private readonly freeLists = new Map<number, number[]>();
  /** Blocks handed out and not yet returned. */
  liveBlocks = 0;
  liveBytes = 0;

  constructor(
    private readonly memory: WebAssembly.Memory,
    base: number,
    private readonly maxBytes: number,
  ) {
    this.top = Math.ceil(base / 16) * 16;
  }

  /** Start address of a block of at least `bytes` bytes, and the block's size. */
  allocate(bytes: number): { ptr: number; capacity: number } {
    const capacity = sizeClass(bytes);
    const list = this.freeLists.get(capacity);
    let ptr = list?.pop();
    if (ptr === undefined) {
      ptr = this.top;
      this.ensure(ptr + capacity);
      this.top = ptr + capacity;
    }
    this.liveBlocks += 1;
    this.liveBytes += capacity;
    return { ptr, capacity };
  }

  release(ptr: number, capacity: number): void {
    let list = this.freeLists.get(capacity);
    if (!list) {
      list = [];
      this.freeLists.set(capacity, list);
    }
    list.push(ptr);
    this.liveBlocks -= 1;
    this.liveBytes -= capacity;
  }

  /** Bytes of the memory currently reserved (live, free-listed, or below the bump pointer). */
  get reservedBytes(): number {
    return this.top;
  }

  private ensure(end: number): void {
    const current = this.memory.buffer.byteLength;
    if (end <= current) return;
    if (end > this.maxBytes) {
      throw new BackendError(
        'wasm',
        `out of memory: an allocation needs ${end} bytes of wasm memory but the limit is ${this.maxBytes}; ` +
          'free tensors you no longer need, or create the backend with a larger maxMemoryBytes',
      );
    }
    // Grow by at least a quarter of the current size, so repeated growth stays amortized.
    const target = Math.max(end, Math.min(this.maxBytes, current + current / 4));
    this.memory.grow(Math.ceil((target - current) / PAGE_BYTES));
  }
}
