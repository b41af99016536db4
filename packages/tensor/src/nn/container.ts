import { ArgumentError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

/** A list of modules registered under the names "0", "1", ..., as PyTorch's ModuleList. */
export class ModuleList<M extends Module = Module> extends Module {
  private readonly items: M[] = [];

  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.append(m);
  }

  append(module: M): this {
    this.registerModule(String(this.items.length), module);
    this.items.push(module);
    return this;
  }

  get length(): number {
    return this.items.length;
  }

  at(index: number): M {
    const item = this.items.at(index);
    if (item === undefined) throw new ArgumentError('ModuleList.at', `index ${index} is out of range for ${this.items.length} modules`);
    return item;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }
}

/** A module whose forward maps one tensor to one tensor, the element type of `Sequential`. */
export type Layer = Module & { forward(x: Tensor): Tensor };

/** Applies its layers in order; they are registered under "0", "1", ... */
export class Sequential extends ModuleList<Layer> {
  constructor(...layers: Layer[]) {
    super(layers);
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const layer of this) y = layer.forward(y);
    return y;
  }
}
