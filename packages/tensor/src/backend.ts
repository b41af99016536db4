import type { DType, TypedArray } from './dtype.js';
import { BackendError } from './errors.js';
import type { KernelOp, OpAttrs } from './ops/defs.js';

/** A strided window onto a backend buffer: what a kernel receives for each input. */
export interface BufferView {
  readonly buffer: unknown;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

export interface OutputSpec {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/**
 * The contract every backend implements. Buffers are opaque to the front end; a kernel reads strided
 * views and returns a new contiguous buffer holding the output.
 */
export interface Backend {
  readonly name: string;
  /** Numeric limits such as `maxStorageBufferBindingSize`, in the units their names give. */
  readonly limits: Readonly<Record<string, number>>;
  readonly features: ReadonlySet<string>;
  readonly dtypes: ReadonlySet<DType>;
  /** Copies host data into a new buffer. */
  upload(data: TypedArray, dtype: DType): unknown;
  /** Reads a whole contiguous buffer of `size` elements. */
  read(buffer: unknown, dtype: DType, size: number): Promise<TypedArray>;
  /** Synchronous read, offered only by backends whose memory the host can see. */
  readSync?(buffer: unknown, dtype: DType, size: number): TypedArray;
  free(buffer: unknown): void;
  execute<P extends KernelOp>(op: P, inputs: readonly BufferView[], attrs: OpAttrs[P], out: OutputSpec): unknown;
  /** Submits queued work; a no-op for synchronous backends. */
  flush(): void;
}

const backends = new Map<string, () => Backend>();
const instances = new Map<string, Backend>();
let current = 'cpu';

/** Registers a backend factory under a name; the factory runs on first use. */
export function registerBackend(name: string, factory: () => Backend): void {
  backends.set(name, factory);
  instances.delete(name);
}

export function getBackend(name: string = current): Backend {
  const existing = instances.get(name);
  if (existing) return existing;
  const factory = backends.get(name);
  if (!factory) {
    throw new BackendError(name, `is not registered; registered backends: ${[...backends.keys()].join(', ')}`);
  }
  const backend = factory();
  instances.set(name, backend);
  return backend;
}

/** Selects the backend that creation functions use from now on. */
export function useBackend(name: string): Backend {
  const backend = getBackend(name);
  current = name;
  return backend;
}

export function currentBackendName(): string {
  return current;
}

export function registeredBackends(): string[] {
  return [...backends.keys()];
}
