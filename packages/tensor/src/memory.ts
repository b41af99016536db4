import type { Backend } from './backend.js';
import { bytesPerElement, type DType } from './dtype.js';

/**
 * A reference-counted backend buffer. Views share one storage; the buffer returns to the backend when
 * the last tensor holding it is disposed.
 */
export class Storage {
  refs = 1;
  constructor(
    readonly backend: Backend,
    readonly buffer: unknown,
    readonly dtype: DType,
    readonly size: number,
  ) {
    live.buffers += 1;
    live.bytes += size * bytesPerElement(dtype);
  }

  retain(): this {
    this.refs += 1;
    return this;
  }

  release(): void {
    this.refs -= 1;
    if (this.refs === 0) {
      this.backend.free(this.buffer);
      live.buffers -= 1;
      live.bytes -= this.size * bytesPerElement(this.dtype);
    }
  }
}

const live = { tensors: 0, buffers: 0, bytes: 0 };

export interface MemoryInfo {
  /** Tensors created and not yet disposed. */
  tensors: number;
  /** Backend buffers still referenced by some tensor. */
  buffers: number;
  bytes: number;
}

export function memory(): MemoryInfo {
  return { ...live };
}

export function countTensor(delta: 1 | -1): void {
  live.tensors += delta;
}

interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
}

const scopes: Set<Disposable>[] = [];

export function trackInScope(t: Disposable): void {
  scopes[scopes.length - 1]?.add(t);
}

/** Removes a tensor from every open scope, so it outlives them; the caller disposes it later. */
export function keep<T extends Disposable>(t: T): T {
  for (const s of scopes) s.delete(t);
  return t;
}

function collect(value: unknown, out: Set<unknown>, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 4) return;
  if ('dispose' in value && 'isDisposed' in value) {
    out.add(value);
    return;
  }
  if (Array.isArray(value)) for (const v of value) collect(v, out, depth + 1);
  else if (value instanceof Map) for (const v of value.values()) collect(v, out, depth + 1);
  else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, out, depth + 1);
  }
}

function closeScope(result: unknown): void {
  const tracked = scopes.pop()!;
  const returned = new Set<unknown>();
  collect(result, returned);
  const parent = scopes[scopes.length - 1];
  for (const t of tracked) {
    if (returned.has(t)) parent?.add(t);
    else t.dispose();
  }
}

/**
 * Runs `fn` and disposes every tensor created inside it, except tensors in its return value (found in
 * arrays, Maps and plain objects up to four levels deep) and tensors passed to `keep`.
 */
export function scope<T>(fn: () => T): T {
  scopes.push(new Set());
  let result: T;
  try {
    result = fn();
  } catch (error) {
    closeScope(undefined);
    throw error;
  }
  if (result instanceof Promise) {
    closeScope(undefined);
    throw new TypeError('scope: the function returned a Promise; use scopeAsync for async work');
  }
  closeScope(result);
  return result;
}

/**
 * Runs an async `fn` like `scope` does. Tensors created by unrelated code that runs while `fn` awaits are tracked
 * here too, so do not interleave two scopeAsync calls.
 */
export async function scopeAsync<T>(fn: () => Promise<T>): Promise<T> {
  scopes.push(new Set());
  const depth = scopes.length;
  let result: T;
  try {
    result = await fn();
  } catch (error) {
    if (scopes.length === depth) closeScope(undefined);
    throw error;
  }
  closeScope(result);
  return result;
}
