import { backward } from './autograd/engine.js';
import type { Backend } from './backend.js';
import type { DType, TypedArray } from './dtype.js';
import { BackendError, DisposedError } from './errors.js';
import { countTensor, keep, type Storage, trackInScope } from './memory.js';
import * as ops from './ops/api.js';
import type { OpAttrs, OpName } from './ops/defs.js';
import { isContiguous, sizeOf } from './shape.js';

/** The autograd record of the op that produced a tensor. */
export interface GradNode {
  readonly op: OpName;
  readonly attrs: OpAttrs[OpName];
  readonly inputs: readonly Tensor[];
}

export type NestedArray = number | boolean | NestedArray[];
export type TensorLike = Tensor | number;

let nextId = 0;

/**
 * An n-dimensional array on a backend, with reverse-mode autograd. A tensor lives until it is
 * disposed, directly or by the `scope` that created it; views share storage with their source.
 */
export class Tensor {
  readonly id = nextId++;
  requiresGrad = false;
  /** Accumulated gradient of a leaf after `backward()`. */
  grad: Tensor | null = null;
  /** @internal */
  node: GradNode | null = null;
  /** @internal */
  storage: Storage | null;

  /** @internal Use the creation functions (`tensor`, `zeros`, ...) instead. */
  constructor(
    storage: Storage,
    readonly shape: readonly number[],
    readonly dtype: DType,
    readonly strides: readonly number[],
    readonly offset: number,
  ) {
    this.storage = storage;
    countTensor(1);
    trackInScope(this);
  }

  get rank(): number {
    return this.shape.length;
  }

  get size(): number {
    return sizeOf(this.shape);
  }

  get isDisposed(): boolean {
    return this.storage === null;
  }

  get backend(): Backend {
    if (this.storage === null) throw new DisposedError('backend', 'tensor was already disposed');
    return this.storage.backend;
  }

  get isContiguous(): boolean {
    return this.offset === 0 && isContiguous(this.shape, this.strides);
  }

  /** Releases this tensor's hold on its storage, and its gradient. Disposing twice is a no-op. */
  dispose(): void {
    if (this.storage === null) return;
    this.storage.release();
    this.storage = null;
    this.node = null;
    countTensor(-1);
    this.grad?.dispose();
    this.grad = null;
  }

  /** Marks this tensor as a leaf that accumulates `.grad` in `backward()`. */
  setRequiresGrad(flag = true): this {
    this.requiresGrad = flag;
    return this;
  }

  /** Keeps this tensor alive past every open `scope`. */
  keep(): this {
    return keep(this);
  }

  /** Accumulates d(this)/d(leaf) into the `.grad` of every leaf that requires a gradient. */
  backward(seed?: Tensor): void {
    backward(this, seed);
  }

  /** Elements in row-major order, copied from the backend. */
  async data(): Promise<TypedArray> {
    const dense = this.isContiguous ? this : ops.contiguous(this);
    try {
      const storage = dense.storage!;
      const all = await storage.backend.read(storage.buffer, this.dtype, storage.size);
      return all.length === this.size ? all : all.slice(0, this.size);
    } finally {
      if (dense !== this) dense.dispose();
    }
  }

  /** Synchronous read, for backends whose memory the host can see (cpu, wasm). */
  dataSync(): TypedArray {
    const backend = this.backend;
    if (!backend.readSync) {
      throw new BackendError(backend.name, 'has no synchronous read; use `await tensor.data()`');
    }
    const dense = this.isContiguous ? this : ops.contiguous(this);
    try {
      const storage = dense.storage!;
      const all = backend.readSync(storage.buffer, this.dtype, storage.size);
      return all.length === this.size ? all.slice() : all.slice(0, this.size);
    } finally {
      if (dense !== this) dense.dispose();
    }
  }

  /** The single element of a size-1 tensor as a number. */
  async item(): Promise<number> {
    ops.checkSingleElement(this);
    return (await this.data())[0];
  }

  async array(): Promise<NestedArray> {
    return ops.nest(await this.data(), this.shape, this.dtype);
  }

  toString(): string {
    return `Tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype}${this.isDisposed ? ', disposed' : ''})`;
  }

  // elementwise
  add(other: TensorLike): Tensor { return ops.add(this, other); }
  sub(other: TensorLike): Tensor { return ops.sub(this, other); }
  mul(other: TensorLike): Tensor { return ops.mul(this, other); }
  div(other: TensorLike): Tensor { return ops.div(this, other); }
  pow(exponent: TensorLike): Tensor { return ops.pow(this, exponent); }
  maximum(other: TensorLike): Tensor { return ops.maximum(this, other); }
  minimum(other: TensorLike): Tensor { return ops.minimum(this, other); }
  neg(): Tensor { return ops.neg(this); }
  abs(): Tensor { return ops.abs(this); }
  sign(): Tensor { return ops.sign(this); }
  exp(): Tensor { return ops.exp(this); }
  log(): Tensor { return ops.log(this); }
  log1p(): Tensor { return ops.log1p(this); }
  expm1(): Tensor { return ops.expm1(this); }
  sqrt(): Tensor { return ops.sqrt(this); }
  rsqrt(): Tensor { return ops.rsqrt(this); }
  square(): Tensor { return ops.square(this); }
  reciprocal(): Tensor { return ops.reciprocal(this); }
  tanh(): Tensor { return ops.tanh(this); }
  sigmoid(): Tensor { return ops.sigmoid(this); }
  logSigmoid(): Tensor { return ops.logSigmoid(this); }
  softplus(): Tensor { return ops.softplus(this); }
  relu(): Tensor { return ops.relu(this); }
  gelu(approximate: 'none' | 'tanh' = 'none'): Tensor { return ops.gelu(this, approximate); }
  silu(): Tensor { return ops.silu(this); }
  sin(): Tensor { return ops.sin(this); }
  cos(): Tensor { return ops.cos(this); }
  erf(): Tensor { return ops.erf(this); }
  floor(): Tensor { return ops.floor(this); }
  ceil(): Tensor { return ops.ceil(this); }
  round(): Tensor { return ops.round(this); }
  clamp(min: number | null, max: number | null): Tensor { return ops.clamp(this, min, max); }
  eq(other: TensorLike): Tensor { return ops.eq(this, other); }
  ne(other: TensorLike): Tensor { return ops.ne(this, other); }
  lt(other: TensorLike): Tensor { return ops.lt(this, other); }
  le(other: TensorLike): Tensor { return ops.le(this, other); }
  gt(other: TensorLike): Tensor { return ops.gt(this, other); }
  ge(other: TensorLike): Tensor { return ops.ge(this, other); }
  logicalAnd(other: TensorLike): Tensor { return ops.logicalAnd(this, other); }
  logicalOr(other: TensorLike): Tensor { return ops.logicalOr(this, other); }
  logicalXor(other: TensorLike): Tensor { return ops.logicalXor(this, other); }
  logicalNot(): Tensor { return ops.logicalNot(this); }
  isFinite(): Tensor { return ops.isFinite(this); }
  /** Elementwise `condition ? this : other`. */
  where(condition: Tensor, other: TensorLike): Tensor { return ops.where(condition, this, other); }
  cast(dtype: DType): Tensor { return ops.cast(this, dtype); }
  detach(): Tensor { return ops.detach(this); }
  clone(): Tensor { return ops.clone(this); }
  /** Copies this tensor to another registered backend. */
  to(backendName: string): Promise<Tensor> { return ops.toBackend(this, backendName); }

  // reductions
  sum(axis?: number | number[], keepDims = false): Tensor { return ops.sum(this, axis, keepDims); }
  mean(axis?: number | number[], keepDims = false): Tensor { return ops.mean(this, axis, keepDims); }
  prod(axis?: number | number[], keepDims = false): Tensor { return ops.prod(this, axis, keepDims); }
  max(axis?: number | number[], keepDims = false): Tensor { return ops.max(this, axis, keepDims); }
  min(axis?: number | number[], keepDims = false): Tensor { return ops.min(this, axis, keepDims); }
  logsumexp(axis?: number | number[], keepDims = false): Tensor { return ops.logsumexp(this, axis, keepDims); }
  argmax(axis?: number, keepDims = false): Tensor { return ops.argmax(this, axis, keepDims); }
  argmin(axis?: number, keepDims = false): Tensor { return ops.argmin(this, axis, keepDims); }
  var(axis?: number | number[], keepDims = false, correction = 1): Tensor { return ops.variance(this, axis, keepDims, correction); }
  std(axis?: number | number[], keepDims = false, correction = 1): Tensor { return ops.std(this, axis, keepDims, correction); }

  // movement
  reshape(shape: readonly number[]): Tensor { return ops.reshape(this, shape); }
  flatten(startAxis = 0, endAxis = -1): Tensor { return ops.flatten(this, startAxis, endAxis); }
  squeeze(axis?: number | number[]): Tensor { return ops.squeeze(this, axis); }
  unsqueeze(axis: number): Tensor { return ops.unsqueeze(this, axis); }
  permute(axes: readonly number[]): Tensor { return ops.permute(this, axes); }
  transpose(axis0 = -2, axis1 = -1): Tensor { return ops.transpose(this, axis0, axis1); }
  expand(shape: readonly number[]): Tensor { return ops.broadcastTo(this, shape); }
  broadcastTo(shape: readonly number[]): Tensor { return ops.broadcastTo(this, shape); }
  slice(starts: readonly number[], ends?: readonly (number | null)[], steps?: readonly number[]): Tensor { return ops.slice(this, starts, ends, steps); }
  narrow(axis: number, start: number, length: number): Tensor { return ops.narrow(this, axis, start, length); }
  split(sizes: number | readonly number[], axis = 0): Tensor[] { return ops.split(this, sizes, axis); }
  pad(pads: readonly (readonly [number, number])[], value = 0): Tensor { return ops.pad(this, pads, value); }
  gather(axis: number, indices: Tensor): Tensor { return ops.gather(this, axis, indices); }
  indexSelect(axis: number, indices: Tensor): Tensor { return ops.indexSelect(this, axis, indices); }
  scatterAdd(axis: number, indices: Tensor, source: Tensor): Tensor { return ops.scatterAdd(this, axis, indices, source); }
  tril(k = 0): Tensor { return ops.tril(this, k); }
  triu(k = 0): Tensor { return ops.triu(this, k); }
  contiguous(): Tensor { return this.isContiguous ? ops.view(this) : ops.contiguous(this); }

  // linear algebra and fused ops
  matmul(other: Tensor): Tensor { return ops.matmul(this, other); }
  softmax(axis = -1): Tensor { return ops.softmax(this, axis); }
  logSoftmax(axis = -1): Tensor { return ops.logSoftmax(this, axis); }

  // order statistics
  cumsum(axis = -1, options?: ops.ScanOptions): Tensor { return ops.cumsum(this, axis, options); }
  cumprod(axis = -1, options?: ops.ScanOptions): Tensor { return ops.cumprod(this, axis, options); }
  sort(axis = -1, descending = false): { values: Tensor; indices: Tensor } { return ops.sort(this, axis, descending); }
  argsort(axis = -1, descending = false): Tensor { return ops.argsort(this, axis, descending); }
  topk(k: number, axis = -1, largest = true): { values: Tensor; indices: Tensor } { return ops.topk(this, k, axis, largest); }
  quantile(q: number | readonly number[], axis?: number, keepDims = false): Tensor { return ops.quantile(this, q, axis, keepDims); }
}
