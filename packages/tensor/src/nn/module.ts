import { ArgumentError, BackendError } from '../errors.js';
import { keep } from '../memory.js';
import { detach } from '../ops/misc.js';
import { assignStorage } from '../optim/assign.js';
import { shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { StateDictError } from './errors.js';

export interface LoadStateDictOptions {
  /** Raise on a missing or unexpected key (default true). Shape mismatches always raise. */
  strict?: boolean;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

function checkName(kind: string, name: string): void {
  if (name === '' || name.includes('.')) {
    throw new ArgumentError(`register${kind}`, `name "${name}" must be non-empty and contain no "." (dots join nested names)`);
  }
}

/**
 * Base class of layers and models. A module owns the parameters registered on it (leaf tensors that
 * require a gradient and outlive every `scope`) and the child modules registered on it, each under a
 * name. Nested names join with dots, as in PyTorch, so `blocks.0.attn.qkv.weight` names the same
 * tensor in both libraries' state dicts.
 */
export class Module {
  /** Training mode: dropout is active. Set it with `train()` and `eval()`, which reach every child. */
  training = true;
  private readonly ownParameters = new Map<string, Tensor>();
  private readonly childModules = new Map<string, Module>();
  private disposed = false;

  /**
   * Takes ownership of `value` as a parameter: marks it as requiring a gradient and keeps it alive past
   * every open scope until `dispose()`. It must be a contiguous leaf, because optimizers and
   * `loadStateDict` replace its storage in place.
   */
  registerParameter(name: string, value: Tensor): Tensor {
    checkName('Parameter', name);
    if (this.ownParameters.has(name) || this.childModules.has(name)) {
      throw new ArgumentError('registerParameter', `name "${name}" is already used on this ${this.constructor.name}`);
    }
    if (value.node !== null) {
      throw new ArgumentError('registerParameter', `"${name}" is the output of ${value.node.op}. Register a leaf such as value.detach()`);
    }
    if (!value.isContiguous) {
      throw new ArgumentError('registerParameter', `"${name}" is a strided view. Register value.contiguous() instead`);
    }
    keep(value).setRequiresGrad(true);
    this.ownParameters.set(name, value);
    return value;
  }

  registerModule<M extends Module>(name: string, module: M): M {
    checkName('Module', name);
    if (this.ownParameters.has(name) || this.childModules.has(name)) {
      throw new ArgumentError('registerModule', `name "${name}" is already used on this ${this.constructor.name}`);
    }
    this.childModules.set(name, module);
    return module;
  }

  /** Direct children in registration order. */
  namedChildren(): [string, Module][] {
    return [...this.childModules];
  }

  /** This module and every descendant, depth first, each once, with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const visit = (module: Module, name: string): void => {
      if (seen.has(module)) return;
      seen.add(module);
      out.push([name, module]);
      for (const [childName, child] of module.childModules) visit(child, name === '' ? childName : `${name}.${childName}`);
    };
    visit(this, prefix);
    return out;
  }

  /**
   * Parameters with dotted names, in PyTorch's order: each module's own parameters in registration
   * order, then its children depth first. A tensor registered twice (tied weights) appears once.
   */
  namedParameters(prefix = ''): [string, Tensor][] {
    const seen = new Set<Tensor>();
    return this.allNamedParameters(prefix).filter(([, p]) => {
      if (seen.has(p)) return false;
      seen.add(p);
      return true;
    });
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Parameters that currently require a gradient, the ones an optimizer should update. */
  trainableParameters(): Tensor[] {
    return this.parameters().filter((p) => p.requiresGrad);
  }

  /** Total number of scalar parameters. */
  parameterCount(): number {
    return this.parameters().reduce((total, p) => total + p.size, 0);
  }

  /**
   * Returns every parameter by dotted name as a new view of its current storage; a tensor registered
   * under two names appears under both. Updates replace a parameter's storage instead of writing into
   * it, so the views are snapshots that keep the values of this call after later optimizer steps. The
   * caller owns the views and disposes them (or creates them inside a `scope`).
   */
  stateDict(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [name, p] of this.allNamedParameters('')) out.set(name, detach(p));
    return out;
  }

  /**
   * Copies values from `state` into the parameters of the same names, casting to each parameter's
   * dtype. Everything is checked before anything is written, so a failed load changes nothing. The
   * caller keeps ownership of the tensors in `state`.
   */
  loadStateDict(state: ReadonlyMap<string, Tensor>, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const strict = options.strict ?? true;
    const entries = this.allNamedParameters('');
    const names = new Set(entries.map(([name]) => name));
    const missingKeys = entries.map(([name]) => name).filter((name) => !state.has(name));
    const unexpectedKeys = [...state.keys()].filter((name) => !names.has(name));
    if (strict && missingKeys.length > 0) throw new StateDictError('missing', missingKeys[0], missingKeys);
    if (strict && unexpectedKeys.length > 0) throw new StateDictError('unexpected', unexpectedKeys[0], unexpectedKeys);

    const present = entries.filter(([name]) => state.has(name));
    const mismatched = present.filter(([name, p]) => !shapesEqual(p.shape, state.get(name)!.shape));
    if (mismatched.length > 0) {
      const [name, p] = mismatched[0];
      throw new StateDictError('shape', name, mismatched.map(([n]) => n), p.shape, state.get(name)!.shape);
    }
    for (const [name, p] of present) {
      const value = state.get(name)!;
      if (value.backend !== p.backend) {
        throw new BackendError(value.backend.name, `loadStateDict: "${name}" is not on the module's backend ${p.backend.name}. Move it with .to()`);
      }
    }

    for (const [name, p] of present) assignStorage(p, state.get(name)!);
    return { missingKeys, unexpectedKeys };
  }

  /** Sets training mode on this module and every descendant. */
  train(mode = true): this {
    for (const [, module] of this.namedModules()) module.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Stops gradients for every parameter; `trainableParameters()` then leaves them out. */
  freeze(): this {
    for (const p of this.parameters()) p.setRequiresGrad(false);
    return this;
  }

  unfreeze(): this {
    for (const p of this.parameters()) p.setRequiresGrad(true);
    return this;
  }

  /** Disposes the `.grad` of every parameter and sets it to null. */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Frees every parameter (and its gradient) of this module and its descendants. */
  dispose(): void {
    for (const p of this.parameters()) p.dispose();
    this.disposed = true;
    for (const [, module] of this.namedModules()) module.disposed = true;
  }

  private allNamedParameters(prefix: string): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [moduleName, module] of this.namedModules(prefix)) {
      for (const [name, p] of module.ownParameters) out.push([moduleName === '' ? name : `${moduleName}.${name}`, p]);
    }
    return out;
  }
}
