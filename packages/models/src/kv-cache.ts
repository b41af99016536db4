import { concat, isGradEnabled, keep, narrow, type Tensor } from '@lab/tensor';
import { GenerationError } from './errors.js';

/**
 * Keys and values of the positions a model has already processed, one pair per layer, each
 * (B, Hkv, S, D). The cache owns its tensors: they outlive every `scope` until `truncate` replaces
 * them or `dispose` frees them. It serves inference only, because appending disposes the previous
 * history, which a recorded graph would still need.
 */
export class KVCache {
  private readonly keys: (Tensor | null)[];
  private readonly values: (Tensor | null)[];
  private disposed = false;

  constructor(readonly layers: number) {
    this.keys = new Array(layers).fill(null);
    this.values = new Array(layers).fill(null);
  }

  /** Positions held, the same for every layer between forward passes. */
  get length(): number {
    return this.keys[0]?.shape[2] ?? 0;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /**
   * Appends this step's keys and values (B, Hkv, T, D) to `layer` and returns the whole history
   * (B, Hkv, S + T, D).
   */
  append(layer: number, k: Tensor, v: Tensor): { k: Tensor; v: Tensor } {
    this.check('append');
    if (isGradEnabled() && (k.requiresGrad || v.requiresGrad)) {
      throw new GenerationError(
        'KVCache.append',
        'the cache is for inference. Run the forward pass inside noGrad(...) or pass no cache',
      );
    }
    const pastK = this.keys[layer];
    const pastV = this.values[layer];
    if (
      pastK &&
      (pastK.shape[0] !== k.shape[0] || pastK.shape[1] !== k.shape[1] || pastK.shape[3] !== k.shape[3])
    ) {
      throw new GenerationError(
        'KVCache.append',
        `layer ${layer} holds keys of shape [${pastK.shape.join(', ')}] but received [${k.shape.join(', ')}]; use one cache per batch and model`,
      );
    }
    const nextK = keep(pastK ? concat([pastK, k], 2) : k.contiguous()); // (B, Hkv, S + T, D)
    const nextV = keep(pastV ? concat([pastV, v], 2) : v.contiguous()); // (B, Hkv, S + T, Dv)
    pastK?.dispose();
    pastV?.dispose();
    this.keys[layer] = nextK;
    this.values[layer] = nextV;
    return { k: nextK, v: nextV };
  }

  /** Drops every position from `length` on, e.g. the rejected drafts of speculative decoding. */
  truncate(length: number): void {
    this.check('truncate');
    if (!Number.isInteger(length) || length < 0 || length > this.length) {
      throw new GenerationError(
        'KVCache.truncate',
        `length ${length} must be an integer in [0, ${this.length}]`,
      );
    }
    if (length === this.length) return;
    for (let layer = 0; layer < this.layers; layer++) {
      this.keys[layer] = shorten(this.keys[layer], length);
      this.values[layer] = shorten(this.values[layer], length);
    }
  }

  /** Frees every cached tensor; the cache cannot be used afterwards. */
  dispose(): void {
    for (const t of [...this.keys, ...this.values]) t?.dispose();
    this.keys.fill(null);
    this.values.fill(null);
    this.disposed = true;
  }

  private check(op: string): void {
    if (this.disposed)
      throw new GenerationError(
        `KVCache.${op}`,
        'the cache was already disposed; create a new one with model.createCache()',
      );
  }
}

function shorten(t: Tensor | null, length: number): Tensor | null {
  if (t === null) return null;
  if (length === 0) {
    t.dispose();
    return null;
  }
  const window = narrow(t, 2, 0, length); // (B, Hkv, length, D), a view
  const kept = keep(window.contiguous());
  if (window !== kept) window.dispose();
  t.dispose();
  return kept;
}
