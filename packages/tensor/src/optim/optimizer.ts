import { noGrad } from '../autograd/mode.js';
import { isFloat } from '../dtype.js';
import { ArgumentError, formatShape } from '../errors.js';
import { keep, scope } from '../memory.js';
import { castTo } from '../ops/elementwise.js';
import { detach } from '../ops/misc.js';
import { view } from '../ops/movement.js';
import { shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { OptimizerStateError } from './errors.js';
import type { Schedule } from './schedule.js';

export type Hyperparameters = Record<string, number | boolean>;

/**
 * Everything needed to continue training bit for bit: plain data (JSON-serializable) plus named
 * tensors, which a trainer can write to safetensors with the JSON of the rest as metadata.
 */
export interface OptimizerState {
  /** Class name of the optimizer that wrote the state, such as 'AdamW'. */
  kind: string;
  /** Completed `step()` calls, the input of the schedule. */
  step: number;
  lr: number;
  hyperparameters: Hyperparameters;
  /** Updates applied to each parameter; a parameter without a gradient in a step is not counted. */
  paramSteps: number[];
  /** Per-parameter tensors keyed "<parameter index>.<slot>", such as "3.expAvg". */
  tensors: Map<string, Tensor>;
}

export interface OptimizerOptions {
  lr?: number;
  /** Learning rate per update index; when given it overrides `lr` at every step. */
  schedule?: Schedule;
}

/**
 * Base of the optimizers. A step computes each new parameter value under `noGrad` inside a scope and
 * swaps it into the parameter's storage (see `assignStorage`), so module fields stay valid. The scope
 * frees the temporaries, so the live tensor count stays flat from one step to the next.
 */
export abstract class Optimizer {
  readonly params: readonly Tensor[];
  lr: number;
  schedule: Schedule | null;
  /** Completed `step()` calls. */
  stepCount = 0;
  protected paramSteps: number[];
  private readonly slots = new Map<string, (Tensor | null)[]>();

  protected constructor(params: Iterable<Tensor>, lr: number, schedule: Schedule | undefined, slotNames: readonly string[]) {
    this.params = [...params];
    const name = this.constructor.name;
    if (this.params.length === 0) throw new ArgumentError(name, 'received no parameters. Pass module.parameters()');
    if (new Set(this.params).size !== this.params.length) throw new ArgumentError(name, 'received the same parameter twice');
    this.params.forEach((p, i) => {
      if (p.node !== null || !p.isContiguous) {
        throw new ArgumentError(name, `parameter ${i} (${p}) must be a contiguous leaf tensor, such as one registered on a Module`);
      }
    });
    if (!(lr >= 0 && Number.isFinite(lr))) throw new ArgumentError(name, `lr = ${lr} must be a finite non-negative number`);
    this.lr = lr;
    this.schedule = schedule ?? null;
    this.paramSteps = this.params.map(() => 0);
    for (const slot of slotNames) this.slots.set(slot, this.params.map(() => null));
  }

  /** Sets the learning rate of later steps; a schedule, when set, still overrides it. */
  setLr(lr: number): void {
    if (!(lr >= 0 && Number.isFinite(lr))) throw new ArgumentError(`${this.constructor.name}.setLr`, `lr = ${lr} must be a finite non-negative number`);
    this.lr = lr;
  }

  /**
   * Updates every parameter that requires a gradient and has one; the others keep their values and
   * their per-parameter step counts. The learning rate comes from the schedule when one is set.
   */
  step(): void {
    if (this.schedule) this.lr = this.schedule(this.stepCount);
    noGrad(() => {
      this.params.forEach((p, i) => {
        if (!p.requiresGrad || p.grad === null) return;
        const grad = p.grad;
        this.paramSteps[i] += 1;
        scope(() => this.update(i, p, grad));
      });
    });
    this.stepCount += 1;
  }

  /** Disposes every parameter's `.grad` and sets it to null. */
  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** Returns the state as plain data plus new views of the state tensors, which the caller owns. */
  state(): OptimizerState {
    const tensors = new Map<string, Tensor>();
    for (const [slot, values] of this.slots) {
      values.forEach((t, i) => {
        if (t !== null) tensors.set(`${i}.${slot}`, detach(t));
      });
    }
    return {
      kind: this.constructor.name,
      step: this.stepCount,
      lr: this.lr,
      hyperparameters: this.hyperparameters(),
      paramSteps: [...this.paramSteps],
      tensors,
    };
  }

  /**
   * Restores a state from `state()` of an optimizer of the same kind over parameters of the same
   * shapes. The tensors are shared, not consumed: the caller may dispose its copies afterwards. A
   * tensor of another float dtype is cast to its parameter's dtype, and then the run is no longer
   * bit-identical.
   */
  loadState(state: OptimizerState): void {
    this.checkState(state);
    const incoming = new Map<string, (Tensor | null)[]>();
    for (const slot of this.slots.keys()) incoming.set(slot, this.params.map(() => null));
    for (const [key, t] of state.tensors) {
      const [index, slot] = key.split('.');
      const p = this.params[Number(index)];
      incoming.get(slot)![Number(index)] = keep(noGrad(() => (t.dtype === p.dtype ? view(t) : castTo(t, p.dtype))));
    }

    this.disposeSlots();
    for (const [slot, values] of incoming) this.slots.set(slot, values);
    this.stepCount = state.step;
    this.lr = state.lr;
    this.paramSteps = [...state.paramSteps];
    this.setHyperparameters(state.hyperparameters);
  }

  /** Frees the state tensors (moments, momentum buffers); the parameters stay with their owner. */
  dispose(): void {
    this.disposeSlots();
  }

  /** Computes and assigns the new value of parameter `index`; runs under noGrad inside a scope. */
  protected abstract update(index: number, param: Tensor, grad: Tensor): void;
  protected abstract hyperparameters(): Hyperparameters;
  protected abstract setHyperparameters(values: Hyperparameters): void;

  protected getSlot(slot: string, index: number): Tensor | null {
    return this.slots.get(slot)![index];
  }

  /** Stores a state tensor past the update's scope, freeing the one it replaces. */
  protected setSlot(slot: string, index: number, value: Tensor): void {
    const values = this.slots.get(slot)!;
    const previous = values[index];
    values[index] = keep(value);
    if (previous !== null && previous !== value) previous.dispose();
  }

  private disposeSlots(): void {
    for (const values of this.slots.values()) {
      values.forEach((t, i) => {
        t?.dispose();
        values[i] = null;
      });
    }
  }

  private checkState(state: OptimizerState): void {
    const name = this.constructor.name;
    const fail = (key: string | null, detail: string) => new OptimizerStateError(name, key, detail);
    if (state.kind !== name) throw fail(null, `the state was written by ${state.kind}. Load it into a ${state.kind}`);
    if (state.paramSteps.length !== this.params.length) {
      throw fail(null, `the state covers ${state.paramSteps.length} parameters but this optimizer has ${this.params.length}. Build it over the same parameter list`);
    }
    for (const [key, t] of state.tensors) {
      const [index, slot, ...rest] = key.split('.');
      const i = Number(index);
      if (rest.length > 0 || !this.slots.has(slot) || !Number.isInteger(i) || i < 0 || i >= this.params.length) {
        throw fail(key, `unexpected key "${key}". Keys are "<parameter index>.<slot>" with slots ${[...this.slots.keys()].join(', ')}`);
      }
      const p = this.params[i];
      if (!shapesEqual(t.shape, p.shape) || !isFloat(t.dtype) || t.backend !== p.backend) {
        throw fail(key, `"${key}" is ${t.dtype} ${formatShape(t.shape)} on ${t.backend.name} but parameter ${i} is ${p.dtype} ${formatShape(p.shape)} on ${p.backend.name}. State tensors need the parameter's shape, a float dtype and its backend`);
      }
    }
  }
}
